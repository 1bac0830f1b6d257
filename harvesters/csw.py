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
- ISO 19115-2 records (``gmi:MI_Metadata``, Sentinel scenes) and profiles with a root of their own
  (geocat.ch's ``che:CHE_MD_Metadata``) are read like ``gmd:MD_Metadata``; GeoNetwork 4 may list
  ISO 19115-3 ``mdb:MD_Metadata`` records, read with the same mapping (:mod:`harvesters.csw_records`);
- a listed record of another schema (FGDC ``<metadata>``, ``rdf:RDF``: OWSLib's test records of one
  dataset in several schemas) is skipped with a message naming its element and namespace.

Requests are POSTed XML by default (every CSW 2.0.2 server that ckanext-spatial and OWSLib talk to
accepts it); ``method: get`` sends the KVP form. Each record of a page is read on its own: a
record that cannot be read (no identifier, a broken structure) becomes an error for that record,
named by its identifier or its position, whose detail names the field and the rule in English and
Chinese, and the rest of the page is harvested.

The remote id is the ISO ``gmd:fileIdentifier`` / ISO 19115-3 ``mdb:metadataIdentifier`` / Dublin
Core ``dc:identifier``. Mapping: title, abstract, keywords (the thesaurus of the first keyword group
→ 词典名称), the metadata contact's organisation (→ 元数据维护方, the provider is always the source's
department), the ISO maintenance frequency (``MD_MaintenanceFrequencyCode``) or
``dct:accrualPeriodicity`` → 更新周期, formats, and online resources (``gmd:CI_OnlineResource`` of
the distribution and identification sections but not of contacts, one per URL and protocol;
``dct:references``, ``dc:URI``) → 在线资源, OGC service protocols as service interfaces.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

from marshmallow import fields, validate

from catalog.i18n import Text, message
from harvesters import normalize as n
from harvesters.base import BaseConfigSchema, Harvester, HarvestError, RemoteRecord, SkipRecord
from harvesters.csw_records import (
    NS,
    RecordProblem,
    _cycle,
    _identifier,
    _int,
    _local,
    _q,
    identifier_label,
    record_kind,
    record_payload,
)
from harvesters.xml import parse_xml

#: ``iso19115-3`` asks GeoNetwork 4 for its records in their own schema, not converted down to 19139.
SCHEMAS = {"iso": NS["gmd"], "iso19115-3": "http://standards.iso.org/iso/19115/-3/mdb/2.0", "dc": NS["csw"]}
TYPE_NAMES = {"iso": "gmd:MD_Metadata", "iso19115-3": "gmd:MD_Metadata", "dc": "csw:Record"}
#: The queryable of a record's modification date: ISO Application Profile, Dublin Core.
MODIFIED = {"iso": "apiso:Modified", "iso19115-3": "apiso:Modified", "dc": "dct:modified"}
APISO = "http://www.opengis.net/cat/csw/apiso/1.0"
OGC = "http://www.opengis.net/ogc"
MAX_DISTRIBUTIONS = 100
_METADATA_ID = re.compile(r"^metadata_[0-9a-f]{32}$")
log = logging.getLogger(__name__)
_SERVICE_PROTOCOL = re.compile(r"^(OGC:|ESRI:|urn:x-esri|OGC API|WWW:LINK-1\.0-http--link$)|:(WMS|WFS|WCS|WMTS|CSW|SOS)\b", re.I)


class CswConfigSchema(BaseConfigSchema):
    """Settings of a CSW source."""

    output_schema = fields.String(load_default="iso", validate=validate.OneOf(sorted(SCHEMAS)))
    method = fields.String(load_default="post", validate=validate.OneOf(["get", "post"]))
    max_records = fields.Integer(load_default=50, validate=validate.Range(1, 1000))
    max_pages = fields.Integer(load_default=10000, validate=validate.Range(1, 1000000))
    constraint = fields.String(load_default=None, validate=validate.Length(max=2000))  # OGC CQL text
    incremental = fields.Boolean(load_default=True)


class CswHarvester(Harvester):
    """Harvest the records of a CSW 2.0.2 catalogue (pycsw, GeoNetwork, deegree …)."""

    name = "csw"
    title = Text({"zh": "CSW 地理信息目录服务", "en": "CSW catalogue service (OGC)"})
    config_schema = CswConfigSchema

    @property
    def endpoint(self) -> str:
        return self.context.url.split("?", 1)[0] if "request=" in self.context.url.lower() else self.context.url

    # -- requests ------------------------------------------------------------------------------

    def _page(self, start: int, query: Query) -> Element:
        limits = {"max_bytes": self.config.get("max_bytes"), "read_timeout": self.config.get("read_timeout")}
        # identity: pycsw 2.6.2's WSGI app gzips when asked but sends the uncompressed Content-Length.
        headers = {"Accept": "application/xml, text/xml;q=0.9, */*;q=0.1", "Accept-Encoding": "identity",
                   **self.context.auth_headers()}
        if self.config.get("method", "post") == "get":
            params: dict[str, Any] = {
                "service": "CSW", "version": "2.0.2", "request": "GetRecords", "resultType": "results",
                "typeNames": TYPE_NAMES[query.schema], "elementSetName": query.element_set,
                "outputSchema": SCHEMAS[query.schema], "startPosition": start, "maxRecords": query.size,
            }
            namespaces = [f"xmlns(gmd={NS['gmd']})"] if TYPE_NAMES[query.schema].startswith("gmd:") else []
            cql, ogc = query.constraints()
            if cql:
                params.update(constraintLanguage="CQL_TEXT", constraint_language_version="1.1.0", constraint=cql)
            elif ogc:
                params.update(constraintLanguage="FILTER", constraint_language_version="1.1.0", constraint=ogc)
            if query.modified_since:
                namespaces += [f"xmlns(apiso={APISO})", f"xmlns(dct={NS['dct']})"]
            if namespaces:
                params["namespace"] = ",".join(namespaces)
            url = self.endpoint + ("&" if "?" in self.endpoint else "?") + urlencode(params)
            response = self.http.get(url, headers=headers, **limits)
        else:
            body = get_records_body(query.schema, start, query.size, query.cql, element_set=query.element_set,
                                    modified_since=query.modified_since)
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
        size, cql = self.config.get("max_records", 50), self.config.get("constraint")
        since = self.context.since if self.config.get("incremental", True) else None
        seen: set[str] = set()
        everything = Query(schema, "full", size, cql)
        if since is None:
            yield from self._listing(everything, seen, announce=True)
            return
        # Changed records in full, then every id in brief, so records deleted upstream are still told
        # from unchanged ones. A day of overlap: stamps are often dates, and servers compare as text.
        changed = self._listing(Query(schema, "full", size, cql, (since - timedelta(days=1)).date().isoformat()),
                                seen, announce=False)
        try:
            first = next(changed, None)
        except HarvestError as exc:
            log.warning("%s refused the modification filter (%s); harvesting every record", self.endpoint, exc)
            yield from self._listing(everything, seen, announce=True)
            return
        if first is not None:
            yield first
            yield from changed
        yield from self._listing(Query("dc", "brief", min(1000, max(size, 200)), cql), seen, announce=True,
                                 ids_only=True)

    def _listing(self, query: Query, seen: set[str], *, announce: bool, ids_only: bool = False) -> Iterator[RemoteRecord]:
        """Page through one GetRecords query; ``ids_only`` yields "listed, unchanged" records (no payload)."""
        start, pages = 1, 0
        listed: set[str] = set()
        while True:
            if pages >= self.config.get("max_pages", 10000):
                self._incomplete(message("Paging stopped after {count} pages.", count=pages))
                return
            root = self._page(start, query)
            pages += 1
            results = root.find(_q("csw:SearchResults"))
            if results is None:
                raise HarvestError(message("{url} is not a CSW GetRecords answer (no csw:SearchResults).",
                                           url=self._last_url), url=self._last_url,
                                   hint=message("Check that the source URL is a CSW 2.0.2 endpoint."))
            matched = _int(results.get("numberOfRecordsMatched"))
            if announce and pages == 1 and matched is not None:
                self.context.announce_total(matched)
            records = list(results)
            new = 0
            for position, element in enumerate(records, start):
                if ids_only:
                    identifier = _identifier(element)
                    record = RemoteRecord(identifier[:500]) if identifier else None
                else:
                    record = self._record(element, position, query.schema)
                if record is None or record.remote_id in listed:
                    continue
                listed.add(record.remote_id)
                new += 1
                if record.remote_id not in seen:
                    seen.add(record.remote_id)
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
        """One listed record; a record that cannot be read becomes an error payload (its page goes on).

        The payload's ``error`` is a message (``msgid`` and ``params``: payloads are JSON) naming the field
        and the rule; ``unsupported`` marks a record in a schema Mulu does not read, which is skipped rather
        than failed.
        """
        identifier = None
        try:
            identifier = _identifier(element)
            payload = record_payload(element)
        except RecordProblem as exc:
            payload = {"error": _problem(exc.message)}
            if record_kind(element) is None:
                payload["unsupported"] = True
        except Exception as exc:  # a malformed record must not end its page
            payload = {"error": _problem(message("the record's structure cannot be read ({detail})",
                                                 detail=f"{type(exc).__name__}: {exc}"[:400]))}
        if not identifier:
            identifier = f"position:{position}"
            if not payload.get("unsupported"):
                # The identifier is what tells this record from the others in later runs: without it, nothing else counts.
                payload = {"error": _problem(message(
                    "the record at position {position} has no identifier ({element}): every record needs one so "
                    "that later harvests recognise it", position=position, element=identifier_label(element)))}
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
            error = payload["error"]
            detail = message(error["msgid"], **error.get("params", {})) if isinstance(error, dict) else str(error)
            problem = message("The CSW record {id} cannot be read: {detail}", id=record.remote_id, detail=detail)
            if payload.get("unsupported"):
                raise SkipRecord(problem)
            raise HarvestError(problem, url=record.url,
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


@dataclass(frozen=True)
class Query:
    """One GetRecords listing: output schema, element set, page size, the source's CQL, a modification date."""

    schema: str
    element_set: str
    size: int
    cql: str | None = None
    modified_since: str | None = None  # an ISO date: only records modified on or after it

    def constraints(self) -> tuple[str | None, str | None]:
        """(CQL text, OGC filter XML) — at most one of them: a source's CQL absorbs the date condition."""
        prop = MODIFIED[self.schema]
        if self.cql:
            if self.modified_since:
                return f"({self.cql}) AND {prop} >= '{self.modified_since}'", None
            return self.cql, None
        if self.modified_since:
            return None, modified_filter(prop, self.modified_since)
        return None, None


def _problem(problem) -> dict[str, Any]:
    """A message as JSON for a record's payload (string parameters only: positions become text)."""
    return {"msgid": problem.msgid, "params": {key: str(value) for key, value in problem.params.items()}}


def modified_filter(prop: str, day: str) -> str:
    """An OGC Filter 1.1 ``prop >= day``, declaring the namespaces it uses (it may travel alone in a KVP request)."""
    return (f'<ogc:Filter xmlns:ogc="{OGC}" xmlns:apiso="{APISO}" xmlns:dct="{NS["dct"]}">'
            f"<ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyName>{escape(prop)}</ogc:PropertyName>"
            f"<ogc:Literal>{escape(day)}</ogc:Literal></ogc:PropertyIsGreaterThanOrEqualTo></ogc:Filter>")


def get_records_body(schema: str, start: int, size: int, cql: str | None = None, *, element_set: str = "full",
                     modified_since: str | None = None) -> bytes:
    """The XML of a CSW 2.0.2 GetRecords request for one page."""
    text, ogc = Query(schema, element_set, size, cql, modified_since).constraints()
    constraint = ""
    if text:
        constraint = f'<csw:Constraint version="1.1.0"><csw:CqlText>{escape(text)}</csw:CqlText></csw:Constraint>'
    elif ogc:
        constraint = f'<csw:Constraint version="1.1.0">{ogc}</csw:Constraint>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<csw:GetRecords xmlns:csw="{NS["csw"]}" xmlns:gmd="{NS["gmd"]}" xmlns:ogc="{OGC}" '
        f'xmlns:apiso="{APISO}" xmlns:dct="{NS["dct"]}" '
        f'service="CSW" version="2.0.2" resultType="results" startPosition="{int(start)}" maxRecords="{int(size)}" '
        f'outputFormat="application/xml" outputSchema={quoteattr(SCHEMAS[schema])}>'
        f'<csw:Query typeNames={quoteattr(TYPE_NAMES[schema])}><csw:ElementSetName>{escape(element_set)}'
        f'</csw:ElementSetName>{constraint}</csw:Query></csw:GetRecords>'
    ).encode()
