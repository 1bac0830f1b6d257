"""The CSW harvester: OGC Catalogue Service 2.0.2 ``GetRecords``, in Dublin Core or ISO 19139.

Paging: ``startPosition``/``maxRecords`` from 1; the next page starts at the answer's
``nextRecord``. Paging stops when ``nextRecord`` is 0, when it passes ``numberOfRecordsMatched``,
or when a page is empty. Loop protection (the listing is then incomplete, so nothing is withdrawn):
a ``nextRecord`` that does not move forward, a page that brings no record not seen before, and
``max_pages``. Quirks seen in the wild:

- GeoNetwork answered ``startPosition=3`` of 6 records with ``nextRecord="5"`` and, asked for 5,
  the first page again (udata's CSW fixtures) — only the "no new record" rule stops that;
- ``numberOfRecordsMatched`` lies on some servers (OWSLib's INSPIRE response says 216 while
  ``nextRecord`` jumps to 85): it is used for the progress bar and as an upper bound only;
- an ``ows:ExceptionReport`` answered with HTTP 200 (pycsw, GeoNetwork) is a job error with the
  server's own exception text;
- pycsw 2.6.2's WSGI application, when ``gzip_compresslevel`` is set, gzips the answer for a client
  that accepts gzip but keeps the uncompressed ``Content-Length`` (a truncated or hanging read):
  requests say ``Accept-Encoding: identity``;
- ISO 19115-2 records (``gmi:MI_Metadata``, Sentinel scenes) are read like ``gmd:MD_Metadata``.

Requests are POSTed XML by default (every CSW 2.0.2 server that ckanext-spatial and OWSLib talk to
accepts it); ``method: get`` sends the KVP form. Each record of a page is read on its own: a
record that cannot be read (no identifier, a broken structure) becomes an error for that record,
named by its identifier or its position, and the rest of the page is harvested.

The remote id is the ISO ``gmd:fileIdentifier`` / Dublin Core ``dc:identifier``. Mapping: title,
abstract, keywords (the thesaurus of the first keyword group → 词典名称), the metadata contact's
organisation (→ 元数据维护方, the provider is always the source's department), the ISO
maintenance frequency (``MD_MaintenanceFrequencyCode``) or ``dct:accrualPeriodicity`` → 更新周期,
formats, and online resources (``gmd:CI_OnlineResource``, ``dct:references``, ``dc:URI``) → 在线资源,
OGC service protocols as service interfaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

from marshmallow import fields, validate

from catalog.i18n import Text, message
from harvesters import normalize as n
from harvesters.base import BaseConfigSchema, Harvester, HarvestError, RemoteRecord
from harvesters.xml import parse_xml

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
SCHEMAS = {"iso": NS["gmd"], "dc": NS["csw"]}
TYPE_NAMES = {"iso": "gmd:MD_Metadata", "dc": "csw:Record"}
MAX_DISTRIBUTIONS = 100
_METADATA_ID = re.compile(r"^metadata_[0-9a-f]{32}$")
# ISO 19115 MD_MaintenanceFrequencyCode → a word harvesters.normalize.update_cycle knows.
# fortnightly / notPlanned have no cycle of their own (其他); unknown says nothing.
ISO_FREQUENCIES = {
    "continual": "continuous", "daily": "daily", "weekly": "weekly", "fortnightly": "fortnightly",
    "monthly": "monthly", "quarterly": "quarterly", "biannually": "semiannual", "annually": "annual",
    "asneeded": "asneeded", "irregular": "irregular", "notplanned": "notPlanned", "unknown": None,
}
# ISO 639-2 codes of a record's language → the tags normalize.pick_language ranks.
_LANGUAGES = {"chi": "zh", "zho": "zh", "zh": "zh", "eng": "en", "en": "en"}
_SERVICE_PROTOCOL = re.compile(r"^(OGC:|ESRI:|urn:x-esri|OGC API|WWW:LINK-1\.0-http--link$)|:(WMS|WFS|WCS|WMTS|CSW|SOS)\b", re.I)


class CswConfigSchema(BaseConfigSchema):
    """Settings of a CSW source."""

    output_schema = fields.String(load_default="iso", validate=validate.OneOf(sorted(SCHEMAS)))
    method = fields.String(load_default="post", validate=validate.OneOf(["get", "post"]))
    max_records = fields.Integer(load_default=50, validate=validate.Range(1, 1000))
    max_pages = fields.Integer(load_default=10000, validate=validate.Range(1, 1000000))
    constraint = fields.String(load_default=None, validate=validate.Length(max=2000))  # OGC CQL text


def _q(name: str) -> str:
    prefix, _, local = name.partition(":")
    return f"{{{NS[prefix]}}}{local}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class CswHarvester(Harvester):
    """Harvest the records of a CSW 2.0.2 catalogue (pycsw, GeoNetwork, deegree …)."""

    name = "csw"
    title = Text({"zh": "CSW 地理信息目录服务", "en": "CSW catalogue service (OGC)"})
    config_schema = CswConfigSchema

    @property
    def endpoint(self) -> str:
        return self.context.url.split("?", 1)[0] if "request=" in self.context.url.lower() else self.context.url

    # -- requests ------------------------------------------------------------------------------

    def _page(self, start: int) -> Element:
        schema = self.config.get("output_schema", "iso")
        size = self.config.get("max_records", 50)
        cql = self.config.get("constraint")
        limits = {"max_bytes": self.config.get("max_bytes"), "read_timeout": self.config.get("read_timeout")}
        # identity: pycsw 2.6.2's WSGI app gzips when asked but sends the uncompressed Content-Length.
        headers = {"Accept": "application/xml, text/xml;q=0.9, */*;q=0.1", "Accept-Encoding": "identity",
                   **self.context.auth_headers()}
        if self.config.get("method", "post") == "get":
            params: dict[str, Any] = {
                "service": "CSW", "version": "2.0.2", "request": "GetRecords", "resultType": "results",
                "typeNames": TYPE_NAMES[schema], "elementSetName": "full", "outputSchema": SCHEMAS[schema],
                "startPosition": start, "maxRecords": size,
            }
            if schema == "iso":
                params["namespace"] = f"xmlns(gmd={NS['gmd']})"
            if cql:
                params.update(constraintLanguage="CQL_TEXT", constraint_language_version="1.1.0", constraint=cql)
            url = self.endpoint + ("&" if "?" in self.endpoint else "?") + urlencode(params)
            response = self.http.get(url, headers=headers, **limits)
        else:
            body = get_records_body(schema, start, size, cql)
            response = self.http.post(self.endpoint, body, headers={**headers, "Content-Type": "application/xml"},
                                      **limits)
        root = parse_xml(response.content, url=response.url)
        if _local(root.tag) == "ExceptionReport":
            texts = [t.strip() for t in root.itertext() if t.strip()]
            code = next((e.get("exceptionCode") for e in root.iter() if e.get("exceptionCode")), "")
            raise HarvestError(message("The CSW server refused GetRecords: {detail}",
                                       detail=" ".join([code, *texts]).strip()[:500] or "?"), url=response.url,
                               hint=message("Check the source URL and the output schema the server offers "
                                            "(its GetCapabilities lists them)."))
        self._last_url = response.url
        return root

    # -- gather --------------------------------------------------------------------------------

    def gather(self) -> Iterator[RemoteRecord]:
        schema = self.config.get("output_schema", "iso")
        start, pages = 1, 0
        seen: set[str] = set()
        while True:
            if pages >= self.config.get("max_pages", 10000):
                self._incomplete(message("Paging stopped after {count} pages.", count=pages))
                return
            root = self._page(start)
            pages += 1
            results = root.find(_q("csw:SearchResults"))
            if results is None:
                raise HarvestError(message("{url} is not a CSW GetRecords answer (no csw:SearchResults).",
                                           url=self._last_url), url=self._last_url,
                                   hint=message("Check that the source URL is a CSW 2.0.2 endpoint."))
            matched = _int(results.get("numberOfRecordsMatched"))
            if pages == 1 and matched is not None:
                self.context.announce_total(matched)
            records = list(results)
            new = 0
            for position, element in enumerate(records, start):
                record = self._record(element, position, schema)
                if record.remote_id in seen:
                    continue
                seen.add(record.remote_id)
                new += 1
                yield record
            following = _int(results.get("nextRecord"))
            if following is None:
                following = start + len(records)
            if not records or following == 0 or (matched is not None and following > matched):
                if not records and matched is not None and start <= matched and pages > 1:
                    self._incomplete(message("The CSW server answered an empty page at startPosition={start} "
                                             "of {count} records; paging stopped.", start=start, count=matched))
                return
            if following <= start:
                self._incomplete(message("The CSW server's nextRecord ({next}) does not move past startPosition={start}; "
                                         "paging stopped.", next=following, start=start))
                return
            if new == 0:
                self._incomplete(message("The CSW server returned the same records again at startPosition={start}; "
                                         "paging stopped.", start=start))
                return
            start = following

    def _incomplete(self, reason) -> None:
        self.context.listing_complete = False
        self.context.warnings.append(HarvestError(reason, url=self.context.url,
                                                  hint=message("Records not listed are kept; the next run tries again.")))

    def _record(self, element: Element, position: int, schema: str) -> RemoteRecord:
        """One listed record; a record that cannot be read becomes an error payload (its page goes on)."""
        identifier = None
        try:
            identifier = _identifier(element)
            payload = iso_payload(element) if _local(element.tag) in ("MD_Metadata", "MI_Metadata") else dc_payload(element)
        except Exception as exc:  # a malformed record must not end its page
            payload = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        if not identifier:
            identifier = f"position:{position}"
            payload = {"error": f"the record at position {position} has no identifier", **payload}
        url = self.record_url(identifier, schema)
        return RemoteRecord(identifier[:500], payload, url=url, modified=n.parse_datetime(payload.get("modified")))

    def record_url(self, identifier: str, schema: str) -> str:
        params = {"service": "CSW", "version": "2.0.2", "request": "GetRecordById", "id": identifier,
                  "elementSetName": "full", "outputSchema": SCHEMAS[schema]}
        return self.endpoint + ("&" if "?" in self.endpoint else "?") + urlencode(params)

    # -- map -----------------------------------------------------------------------------------

    def map(self, record: RemoteRecord) -> dict[str, Any]:
        payload = record.payload
        if payload.get("error"):
            raise HarvestError(message("The CSW record {id} cannot be read: {detail}", id=record.remote_id,
                                       detail=payload["error"]), url=record.url,
                               hint=message("Ask the remote catalogue to correct the record; the others are harvested."))
        vocab, profile = self.vocab, self.profile
        data: dict[str, Any] = {
            "title": n.plain_text(n.pick_language(payload["title"]), n.max_length(profile, "title", 200)),
            "abstract": n.plain_text(n.pick_language(payload["abstract"]), n.max_length(profile, "abstract", 4000)),
            "keywords": n.keywords(payload["keywords"], profile),
            "keyword_thesaurus": n.plain_text(payload.get("thesaurus"), n.max_length(profile, "keyword_thesaurus", 200)),
            "metadata_maintainer": n.plain_text(payload.get("organisation"),
                                                n.max_length(profile, "metadata_maintainer", 200)),
            "update_cycle": _cycle(vocab, payload.get("frequency")),
            "format": n.format_of(vocab, [*payload["formats"], *(link["media_type"] for link in payload["links"]
                                                                 if link.get("media_type"))]),
        }
        rows = []
        for link in payload["links"][:MAX_DISTRIBUTIONS]:
            service = bool(link.get("protocol") and _SERVICE_PROTOCOL.search(link["protocol"]))
            row = n.distribution(profile, title=link.get("name"), url=link.get("url"), description=link.get("description"),
                                 media_type=link.get("media_type"), kind="service" if service else "link")
            if row and service:
                row["service_type"] = n.plain_text(link["protocol"], 100)
            if row:
                rows.append(row)
        data["distributions"] = rows
        identifier = record.remote_id
        if _METADATA_ID.match(identifier):
            data["metadata_id"] = identifier
        return {key: value for key, value in data.items() if value not in (None, [], {})}


def get_records_body(schema: str, start: int, size: int, cql: str | None = None) -> bytes:
    """The XML of a CSW 2.0.2 GetRecords request for one page."""
    constraint = (f'<csw:Constraint version="1.1.0"><csw:CqlText>{escape(cql)}</csw:CqlText></csw:Constraint>'
                  if cql else "")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<csw:GetRecords xmlns:csw="{NS["csw"]}" xmlns:gmd="{NS["gmd"]}" xmlns:ogc="http://www.opengis.net/ogc" '
        f'service="CSW" version="2.0.2" resultType="results" startPosition="{int(start)}" maxRecords="{int(size)}" '
        f'outputFormat="application/xml" outputSchema={quoteattr(SCHEMAS[schema])}>'
        f'<csw:Query typeNames={quoteattr(TYPE_NAMES[schema])}><csw:ElementSetName>full</csw:ElementSetName>'
        f'{constraint}</csw:Query></csw:GetRecords>'
    ).encode()


# -- reading records ---------------------------------------------------------------------------


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
