"""Reading CSW answers: the records of a GetRecords page as JSON-friendly payloads.

Split from :mod:`harvesters.csw`, which pages and maps; everything here is a pure function of the
parsed XML (:mod:`harvesters.xml`). Three record schemas are read:

- ISO 19139 ``gmd:MD_Metadata`` and the profiles that keep the ``gmd`` elements under another root:
  ISO 19115-2 ``gmi:MI_Metadata``, GeoNetwork's Swiss ``che:CHE_MD_Metadata``, the Australian
  ``mcp:MD_Metadata``;
- ISO 19115-3 ``mdb:MD_Metadata`` (GeoNetwork 4's ``iso19115-3.2018`` schema, OWSLib's ``iso3``
  examples), whose versioned namespaces (``mdb/1.0`` and ``mdb/2.0``, ``cit/1.0`` and ``cit/2.0``,
  ``http`` and ``https``) differ between catalogues;
- Dublin Core ``csw:Record`` / ``csw:SummaryRecord`` / ``csw:BriefRecord``.

Both ISO encodings are read with the same code through local-name paths (:func:`_walk`): the
element names Mulu needs are the same in both or listed side by side in :class:`_Paths`. Any other
record (FGDC ``metadata``, ``rdf:RDF``, a feature catalogue) is reported as a schema Mulu does not
read. Quirks seen in the wild:

- ``gmd:LocalisedCharacterString/@locale`` points at a ``gmd:PT_Locale/@id``, a free name (``#FR``,
  ``#EN`` in geocat.ch records, but ``#CN`` or ``#locale-zho`` are as valid): the language is the one
  that ``PT_Locale`` declares, and a bare id is read as a language code when it is one;
- ``gmd:CI_OnlineResource`` also appears in contacts (an organisation's home page, often without a
  scheme: ``digitale.cbnbl.org``); those are not links to the data and are left out;
- GeoNetwork lists one OWS endpoint twice, once as ``OGC:WMS`` and once as ``OGC:WFS``: links are
  told apart by URL *and* protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from catalog.i18n import Message, message
from harvesters import normalize as n

NS = {
    "csw": "http://www.opengis.net/cat/csw/2.0.2",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dct": "http://purl.org/dc/terms/",
    "ows": "http://www.opengis.net/ows",
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "gmi": "http://www.isotc211.org/2005/gmi",
    "srv": "http://www.isotc211.org/2005/srv",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
# ISO 19115-3 namespaces all start so, whatever their version (mdb/1.0, mdb/2.0) and scheme.
_ISO3 = re.compile(r"^https?://standards\.iso\.org/iso/19115/-3/")
# ISO 19115 MD_MaintenanceFrequencyCode → a word harvesters.normalize.update_cycle knows.
# fortnightly / notPlanned have no cycle of their own (其他); unknown says nothing.
ISO_FREQUENCIES = {
    "continual": "continuous", "daily": "daily", "weekly": "weekly", "fortnightly": "fortnightly",
    "monthly": "monthly", "quarterly": "quarterly", "biannually": "semiannual", "annually": "annual",
    "asneeded": "asneeded", "irregular": "irregular", "notplanned": "notPlanned", "unknown": None,
}
# Language codes (ISO 639-2, 639-1, locale ids) → the tags normalize.pick_language ranks. "cn": Chinese
# catalogues name their PT_Locale after the country (id="CN") and some point at it without declaring it.
_LANGUAGES = {"chi": "zh", "zho": "zh", "zh": "zh", "cn": "zh", "eng": "en", "en": "en"}


class RecordProblem(ValueError):
    """A record that cannot be read: a translatable message naming the field and the rule it breaks.

    Its ``msgid`` and ``params`` travel in the record's JSON payload; the harvester makes the message again.
    """

    def __init__(self, problem: Message):
        super().__init__(problem.render("en"))
        self.message = problem


@dataclass(frozen=True)
class _Paths:
    """Where an ISO encoding keeps what Mulu reads, as local-name paths (``*``: any element)."""

    schema: str  # the payload's "schema" and the name used in messages
    identifier: tuple[str, ...]
    identifier_label: str
    language: tuple[str, ...]  # LanguageCode elements (codeListValue) or text properties
    locales: tuple[str, ...]  # PT_Locale elements
    locale_language: str  # from a PT_Locale to its LanguageCode
    info: str
    contact_organisation: tuple[str, ...]
    poc_organisation: tuple[str, ...]
    frequency: str
    formats: tuple[str, ...]
    linkage: tuple[str, ...]
    level: str
    modified: tuple[str, ...]


ISO19139 = _Paths(
    schema="iso", identifier=("fileIdentifier",), identifier_label="gmd:fileIdentifier",
    language=("language/LanguageCode", "language"), locales=("locale/PT_Locale",),
    locale_language="languageCode/LanguageCode", info="identificationInfo",
    # "*": profiles subclass the party (che:CHE_CI_ResponsibleParty) and keep gmd:organisationName.
    contact_organisation=("contact/*/organisationName",), poc_organisation=("pointOfContact/*/organisationName",),
    frequency="resourceMaintenance/MD_MaintenanceInformation/maintenanceAndUpdateFrequency/MD_MaintenanceFrequencyCode",
    formats=("distributionInfo/MD_Distribution/distributionFormat/MD_Format/name",),
    # geocat.ch writes a multilingual URL (che:PT_FreeURL) where gmd:URL belongs.
    linkage=("linkage/URL", "linkage", "linkage/PT_FreeURL/URLGroup/LocalisedURL"),
    level="hierarchyLevel/MD_ScopeCode", modified=("dateStamp",),
)
ISO19115_3 = _Paths(
    schema="iso19115-3", identifier=("metadataIdentifier/MD_Identifier/code",),
    identifier_label="mdb:metadataIdentifier",
    language=("defaultLocale/PT_Locale/language/LanguageCode",),
    locales=("defaultLocale/PT_Locale", "otherLocale/PT_Locale"), locale_language="language/LanguageCode",
    info="identificationInfo",
    contact_organisation=("contact/CI_Responsibility/party/CI_Organisation/name",),
    poc_organisation=("pointOfContact/CI_Responsibility/party/CI_Organisation/name",),
    frequency="resourceMaintenance/MD_MaintenanceInformation/maintenanceAndUpdateFrequency/MD_MaintenanceFrequencyCode",
    # The format moved into the transfer options in 19115-3; both places are read.
    formats=("distributionInfo/MD_Distribution/distributionFormat/MD_Format/formatSpecificationCitation/CI_Citation/title",
             "distributionInfo/MD_Distribution/transferOptions/MD_DigitalTransferOptions/distributionFormat/MD_Format/"
             "formatSpecificationCitation/CI_Citation/title"),
    linkage=("linkage",), level="metadataScope/MD_MetadataScope/resourceScope/MD_ScopeCode",
    modified=("dateInfo/CI_Date",),
)


def _q(name: str) -> str:
    prefix, _, local = name.partition(":")
    return f"{{{NS[prefix]}}}{local}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _walk(node: Element | None, path: str) -> list[Element]:
    """The elements at a local-name path below ``node`` (``*`` matches any element)."""
    nodes = [node] if node is not None else []
    for step in path.split("/"):
        nodes = [child for parent in nodes for child in parent if step == "*" or _local(child.tag) == step]
    return nodes


def _first(node: Element | None, *paths: str) -> Element | None:
    for path in paths:
        found = _walk(node, path)
        if found:
            return found[0]
    return None


def record_kind(element: Element) -> str | None:
    """The schema of one listed record: ``"iso"`` (ISO 19139 and its profiles), ``"iso19115-3"``, ``"dc"``, or ``None``.

    Told by namespaces, not by the root's name alone: ``mdb:MD_Metadata`` and ``gmd:MD_Metadata`` share
    their local name, and profiles rename the root (``che:CHE_MD_Metadata``) but keep ``gmd`` children.
    """
    namespace, local = _namespace(element.tag), _local(element.tag)
    if _ISO3.match(namespace) and local.endswith("_Metadata"):
        return "iso19115-3"
    if namespace in (NS["gmd"], NS["gmi"]) or any(_namespace(child.tag) == NS["gmd"] for child in element):
        return "iso"
    if namespace == NS["csw"] or any(_namespace(child.tag) in (NS["dc"], NS["dct"]) for child in element):
        return "dc"
    return None


def _paths(kind: str) -> _Paths:
    return ISO19115_3 if kind == "iso19115-3" else ISO19139


def _identifier(element: Element) -> str | None:
    kind = record_kind(element)
    if kind in ("iso", "iso19115-3"):
        return _text(_first(element, *_paths(kind).identifier))
    for node in element.findall(_q("dc:identifier")):
        if node.text and node.text.strip():
            return node.text.strip()
    return None


def identifier_label(element: Element) -> str:
    """The element that holds a record's identifier, for messages (``gmd:fileIdentifier`` …)."""
    kind = record_kind(element)
    return _paths(kind).identifier_label if kind in ("iso", "iso19115-3") else "dc:identifier"


def unsupported_schema(element: Element) -> RecordProblem:
    """The problem of a record in a schema Mulu does not read, naming its element and namespace."""
    name = f"{_local(element.tag)} ({_namespace(element.tag) or 'no namespace'})"
    return RecordProblem(message("the record is a {name}, a metadata schema Mulu does not read; it reads ISO 19139, "
                                 "ISO 19115-3 and Dublin Core (csw:Record)", name=name))


def _text(node: Element | None) -> str | None:
    """The text of an ISO property: gco:CharacterString, gmx/gcx:Anchor, a date, or the element's own text."""
    if node is None:
        return None
    for child in node:
        if _local(child.tag) in ("CharacterString", "Anchor", "Date", "DateTime", "Decimal", "Integer", "LocalName"):
            return (child.text or "").strip() or None
    return (node.text or "").strip() or None


def _language(code: str | None) -> str | None:
    """A language tag for pick_language from an ISO 639 code or a locale id (``chi``, ``zh-CN``, ``#locale-zho``, ``DE``)."""
    key = (code or "").strip().lstrip("#").lower()
    if not key:
        return None
    if key in _LANGUAGES:
        return _LANGUAGES[key]
    parts = [part for part in re.split(r"[-_\s]+", key) if part and part != "locale"]
    for part in parts:
        if part in _LANGUAGES:
            return _LANGUAGES[part]
    # Another language: kept as a tag so that it ranks after Chinese and English, not as untagged text.
    return parts[0] if parts else None


def _locales(root: Element, paths: _Paths) -> dict[str, str | None]:
    """The record's PT_Locale ids with the language each declares (``{"FR": "fre", "CN": "zh"}``)."""
    locales: dict[str, str | None] = {}
    for path in paths.locales:
        for locale in _walk(root, path):
            if locale.get("id"):
                locales[locale.get("id")] = _language(_code(_first(locale, paths.locale_language)))
    return locales


def _texts(node: Element | None, language: str | None, locales: dict[str, str | None] | None = None
           ) -> list[tuple[str, str | None]]:
    """An ISO property with its translations (gmd:PT_FreeText / lan:PT_FreeText) as ``(text, language)`` pairs."""
    if node is None:
        return []
    pairs = []
    main = _text(node)
    if main:
        pairs.append((main, language))
    for localised in node.iter():
        if _local(localised.tag) == "LocalisedCharacterString" and localised.text and localised.text.strip():
            reference = (localised.get("locale") or "").strip().lstrip("#")
            tag = (locales or {}).get(reference) or _language(reference)
            pairs.append((localised.text.strip(), tag))
    return pairs


def _code(node: Element | None) -> str | None:
    if node is None:
        return None
    return (node.get("codeListValue") or node.text or "").strip() or None


def _identification(root: Element, paths: _Paths) -> Element:
    """The first identification section that cites its resource (an empty or by-reference one is passed over)."""
    sections = _walk(root, f"{paths.info}/*")
    if not sections:
        label = "mdb:identificationInfo" if paths is ISO19115_3 else "gmd:identificationInfo"
        raise RecordProblem(message("no {element}: an ISO record describes its resource (title, abstract) there",
                                    element=label))
    return next((section for section in sections if _walk(section, "citation/CI_Citation")), sections[0])


def _links(areas: list[Element], paths: _Paths) -> list[dict[str, Any]]:
    """The online resources of the distribution and identification sections, without contacts' home pages."""
    # A contact's CI_OnlineResource (CI_Contact/onlineResource) is where to reach a party, and a thesaurus
    # citation's is the vocabulary: neither is a link to the data.
    ignored = {id(resource) for area in areas for holder in area.iter()
               if _local(holder.tag) in ("CI_Contact", "thesaurusName")
               for resource in holder.iter() if _local(resource.tag) == "CI_OnlineResource"}
    links: list[dict[str, Any]] = []
    seen: set[tuple[str, str | None]] = set()
    for area in areas:
        for resource in area.iter():
            if _local(resource.tag) != "CI_OnlineResource" or id(resource) in ignored:
                continue
            url = next((value for path in paths.linkage if (value := _text(_first(resource, path)))), None)
            protocol = _text(_first(resource, "protocol"))
            if not url or (url, protocol) in seen:
                continue
            seen.add((url, protocol))
            links.append({"url": url, "protocol": protocol, "name": _text(_first(resource, "name")),
                          "description": _text(_first(resource, "description")), "media_type": None})
    return links


def _modified(root: Element, paths: _Paths) -> str | None:
    if paths is ISO19139:
        return _text(_first(root, *paths.modified))
    # ISO 19115-3 dates the metadata in mdb:dateInfo: the revision, else the creation.
    dates = {_code(_first(date, "dateType/CI_DateTypeCode")): _text(_first(date, "date"))
             for date in _walk(root, paths.modified[0])}
    return dates.get("revision") or dates.get("creation") or next((v for v in dates.values() if v), None)


def _record_language(root: Element, paths: _Paths) -> str | None:
    for path in paths.language:
        node = _first(root, path)
        if node is not None:
            tag = _language(_code(node) if _local(node.tag) == "LanguageCode" else _text(node))
            if tag:
                return tag
    return None


def _iso(root: Element, paths: _Paths) -> dict[str, Any]:
    language = _record_language(root, paths)
    locales = _locales(root, paths)
    info = _identification(root, paths)
    citation = _first(info, "citation/CI_Citation")
    dates = {}
    for date in _walk(citation, "date/CI_Date"):
        kind = _code(_first(date, "dateType/CI_DateTypeCode"))
        value = _text(_first(date, "date"))
        if kind and value:
            dates[kind] = value
    keywords: list[str] = []
    thesaurus = None
    for group in _walk(info, "descriptiveKeywords/MD_Keywords"):
        words = [w for node in _walk(group, "keyword") if (w := n.pick_language(_texts(node, language, locales)))]
        keywords.extend(words)
        if words and thesaurus is None:
            thesaurus = _text(_first(group, "thesaurusName/CI_Citation/title"))
    organisation = (n.pick_language(_texts(_first(root, *paths.contact_organisation), language, locales))
                    or n.pick_language(_texts(_first(info, *paths.poc_organisation), language, locales)))
    formats = [f for path in paths.formats for node in _walk(root, path) if (f := _text(node))]
    return {
        "schema": paths.schema,
        "level": _code(_first(root, paths.level)),
        "title": _texts(_first(citation, "title"), language, locales),
        "abstract": _texts(_first(info, "abstract"), language, locales),
        "keywords": keywords,
        "thesaurus": thesaurus,
        "organisation": organisation,
        "frequency": _code(_first(info, paths.frequency)),
        "dates": dates,
        "modified": _modified(root, paths),
        "formats": formats,
        "links": _links([*_walk(root, "distributionInfo"), info], paths),
    }


def iso_payload(root: Element) -> dict[str, Any]:
    """The fields Mulu reads from a gmd:MD_Metadata (or gmi:MI_Metadata, che:CHE_MD_Metadata …), JSON-friendly.

    :raises RecordProblem: when the record has no identification section.
    """
    return _iso(root, ISO19139)


def iso3_payload(root: Element) -> dict[str, Any]:
    """The fields Mulu reads from an ISO 19115-3 mdb:MD_Metadata, JSON-friendly (the same keys as :func:`iso_payload`).

    :raises RecordProblem: when the record has no identification section.
    """
    return _iso(root, ISO19115_3)


def dc_payload(record: Element) -> dict[str, Any]:
    """The fields Mulu reads from a csw:Record (or SummaryRecord / BriefRecord), JSON-friendly."""

    def values(*names: str) -> list[tuple[str, str | None]]:
        return [(node.text.strip(), node.get(_q("xml:lang"))) for name in names for node in record.findall(_q(name))
                if node.text and node.text.strip()]

    links = []
    for node in (*record.findall(_q("dct:references")), *record.findall(_q("dc:URI"))):
        url = (node.text or "").strip()
        if url:
            links.append({"url": url, "protocol": node.get("scheme") or node.get("protocol"), "name": node.get("name"),
                          "description": node.get("description"), "media_type": None})
    dates = {"modified": next((t for t, _ in values("dct:modified", "dc:date")), None)}
    return {
        "schema": "dc",
        "level": next((t for t, _ in values("dc:type")), None),
        "title": values("dc:title", "dct:alternative"),
        "abstract": values("dct:abstract", "dc:description"),
        "keywords": [t for t, _ in values("dc:subject")],
        "thesaurus": None,
        "organisation": next((t for t, _ in values("dc:publisher", "dc:creator", "dc:contributor")), None),
        "frequency": next((t for t, _ in values("dct:accrualPeriodicity")), None),
        "dates": {k: v for k, v in dates.items() if v},
        "modified": dates["modified"],
        "formats": [t for t, _ in values("dc:format")],
        "links": links,
    }


def record_payload(element: Element) -> dict[str, Any]:
    """The payload of one listed record, whatever its schema.

    :raises RecordProblem: for a schema Mulu does not read, or an ISO record without identification section.
    """
    kind = record_kind(element)
    if kind == "iso":
        return iso_payload(element)
    if kind == "iso19115-3":
        return iso3_payload(element)
    if kind == "dc":
        return dc_payload(element)
    raise unsupported_schema(element)


def _cycle(vocab, frequency: str | None) -> str | None:
    if not frequency:
        return None
    key = frequency.strip().replace("_", "").replace(" ", "").lower()
    if key in ISO_FREQUENCIES:
        word = ISO_FREQUENCIES[key]
        return n.update_cycle(vocab, word) if word else None
    return n.update_cycle(vocab, frequency)
