"""Reading CSW answers: the records of a GetRecords page as JSON-friendly payloads (ISO 19139 and Dublin Core).

Split from :mod:`harvesters.csw`, which pages and maps; everything here is a pure function of the
parsed XML (:mod:`harvesters.xml`).
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

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
# ISO 19115 MD_MaintenanceFrequencyCode → a word harvesters.normalize.update_cycle knows.
# fortnightly / notPlanned have no cycle of their own (其他); unknown says nothing.
ISO_FREQUENCIES = {
    "continual": "continuous", "daily": "daily", "weekly": "weekly", "fortnightly": "fortnightly",
    "monthly": "monthly", "quarterly": "quarterly", "biannually": "semiannual", "annually": "annual",
    "asneeded": "asneeded", "irregular": "irregular", "notplanned": "notPlanned", "unknown": None,
}
# ISO 639-2 codes of a record's language → the tags normalize.pick_language ranks.
_LANGUAGES = {"chi": "zh", "zho": "zh", "zh": "zh", "eng": "en", "en": "en"}


def _q(name: str) -> str:
    prefix, _, local = name.partition(":")
    return f"{{{NS[prefix]}}}{local}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _identifier(element: Element) -> str | None:
    if _local(element.tag) in ("MD_Metadata", "MI_Metadata"):
        node = element.find(_q("gmd:fileIdentifier"))
        return _text(node)
    for node in element.findall(_q("dc:identifier")):
        if node.text and node.text.strip():
            return node.text.strip()
    return None


def _text(node: Element | None) -> str | None:
    """The text of an ISO property: gco:CharacterString, gmx:Anchor, a date, or the element's own text."""
    if node is None:
        return None
    for child in node:
        if _local(child.tag) in ("CharacterString", "Anchor", "Date", "DateTime", "Decimal", "Integer"):
            return (child.text or "").strip() or None
    return (node.text or "").strip() or None


def _texts(node: Element | None, language: str | None) -> list[tuple[str, str | None]]:
    """An ISO property with its translations (gmd:PT_FreeText) as ``(text, language)`` pairs."""
    if node is None:
        return []
    pairs = []
    main = _text(node)
    if main:
        pairs.append((main, language))
    for localised in node.iter(_q("gmd:LocalisedCharacterString")):
        if localised.text and localised.text.strip():
            locale = (localised.get("locale") or "").lstrip("#").lower()
            pairs.append((localised.text.strip(), _LANGUAGES.get(locale, locale[:2] or None)))
    return pairs


def _code(node: Element | None) -> str | None:
    if node is None:
        return None
    return (node.get("codeListValue") or node.text or "").strip() or None


def iso_payload(root: Element) -> dict[str, Any]:
    """The fields Mulu reads from a gmd:MD_Metadata (or gmi:MI_Metadata) record, JSON-friendly."""
    language = _LANGUAGES.get((_code(root.find("gmd:language/gmd:LanguageCode", NS))
                               or _text(root.find(_q("gmd:language"))) or "").lower())
    holder = root.find(_q("gmd:identificationInfo"))
    info = holder[0] if holder is not None and len(holder) else None
    if info is None:
        raise ValueError("no gmd:identificationInfo")
    citation = info.find("gmd:citation/gmd:CI_Citation", NS)
    dates = {}
    for date in info.findall("gmd:citation/gmd:CI_Citation/gmd:date/gmd:CI_Date", NS):
        kind = _code(date.find("gmd:dateType/gmd:CI_DateTypeCode", NS))
        value = _text(date.find(_q("gmd:date")))
        if kind and value:
            dates[kind] = value
    keywords: list[str] = []
    thesaurus = None
    for group in info.findall("gmd:descriptiveKeywords/gmd:MD_Keywords", NS):
        words = [w for node in group.findall(_q("gmd:keyword")) if (w := n.pick_language(_texts(node, language)))]
        keywords.extend(words)
        if words and thesaurus is None:
            thesaurus = _text(group.find("gmd:thesaurusName/gmd:CI_Citation/gmd:title", NS))
    frequency = _code(info.find("gmd:resourceMaintenance/gmd:MD_MaintenanceInformation/gmd:maintenanceAndUpdateFrequency/"
                                "gmd:MD_MaintenanceFrequencyCode", NS))
    organisation = (_text(root.find("gmd:contact/gmd:CI_ResponsibleParty/gmd:organisationName", NS))
                    or _text(info.find("gmd:pointOfContact/gmd:CI_ResponsibleParty/gmd:organisationName", NS)))
    formats = [f for node in root.findall("gmd:distributionInfo/gmd:MD_Distribution/gmd:distributionFormat/gmd:MD_Format/"
                                          "gmd:name", NS) if (f := _text(node))]
    links: list[dict[str, Any]] = []
    urls: set[str] = set()
    for area in (*root.findall(_q("gmd:distributionInfo")), info):
        for resource in area.iter(_q("gmd:CI_OnlineResource")):
            url = _text(resource.find("gmd:linkage/gmd:URL", NS)) or _text(resource.find(_q("gmd:linkage")))
            if not url or url in urls:
                continue
            urls.add(url)
            links.append({"url": url, "protocol": _text(resource.find(_q("gmd:protocol"))),
                          "name": _text(resource.find(_q("gmd:name"))),
                          "description": _text(resource.find(_q("gmd:description"))), "media_type": None})
    return {
        "schema": "iso",
        "level": _code(root.find("gmd:hierarchyLevel/gmd:MD_ScopeCode", NS)),
        "title": _texts(citation.find(_q("gmd:title")) if citation is not None else None, language),
        "abstract": _texts(info.find(_q("gmd:abstract")), language),
        "keywords": keywords,
        "thesaurus": thesaurus,
        "organisation": organisation,
        "frequency": frequency,
        "dates": dates,
        "modified": _text(root.find(_q("gmd:dateStamp"))),
        "formats": formats,
        "links": links,
    }


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


def _cycle(vocab, frequency: str | None) -> str | None:
    if not frequency:
        return None
    key = frequency.strip().replace("_", "").replace(" ", "").lower()
    if key in ISO_FREQUENCIES:
        word = ISO_FREQUENCIES[key]
        return n.update_cycle(vocab, word) if word else None
    return n.update_cycle(vocab, frequency)
