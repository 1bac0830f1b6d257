"""The DCAT harvester: one RDF document (Turtle, RDF/XML, JSON-LD, N-Triples) or a Hydra paged collection.

Each page is parsed on its own; the next page is fetched (and its parsing started) before this
page's datasets are yielded, so at most two pages are held and memory follows the page size, not the
catalog size. A page whose bytes did not change since the
last run (and whose records all went well) is not parsed again (:mod:`harvesters.pages`); from the
third page on, pages are parsed in a worker process while the previous page's records are written
(:mod:`harvesters.pagereader`). Paging follows ``hydra:next`` (and the older
``hydra:nextPage``) and stops — with a warning, treating the listing as incomplete — when a link
points back to a page already read, when a page brings no dataset not seen before, or after
``max_pages``. Quirk seen in the wild: ckanext-dcat looped on a catalog whose last page linked to
itself until the process ran out of memory (ckanext-dcat#260).

The remote id of a dataset is its IRI, else (a blank node, as in udata's ``bnodes`` export) its
``dct:identifier``, else its landing page, else its title. Not ``dct:identifier`` first: CSIRO's
catalog gives one DOI to several distinct datasets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from marshmallow import fields, validate

from catalog import codes
from catalog.i18n import Text, message
from harvesters import normalize as n
from harvesters.base import BaseConfigSchema, Harvester, HarvestError, RemoteRecord
from harvesters.pagereader import PageReader
from harvesters.rdf import FORMATS, detect_format

_METADATA_ID = re.compile(r"^metadata_[0-9a-f]{32}$")
_MEDIA_TYPE_IRI = re.compile(r"^https?://(?:www\.)?(?:iana\.org/assignments/media-types|purl\.org/NET/mediatypes)/"
                             r"([\w.+-]+/[\w.+-]+)/?$", re.IGNORECASE)
_FILE_TYPE_IRI = re.compile(r"^https?://publications\.europa\.eu/resource/authority/file-type/([\w.-]+)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,;]+")
MAX_DISTRIBUTIONS = 100
_ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.9, application/n-triples;q=0.8, */*;q=0.1"


class DcatConfigSchema(BaseConfigSchema):
    """Settings of a DCAT source."""

    format = fields.String(load_default=None, validate=validate.OneOf(sorted(FORMATS)))
    max_pages = fields.Integer(load_default=1000, validate=validate.Range(1, 1000000))
    # Parse long listings in a worker process while the previous page is written (harvesters.pagereader).
    parallel = fields.Boolean(load_default=True)


class DcatHarvester(Harvester):
    """Harvest the datasets of a DCAT catalog document or paged collection."""

    name = "dcat"
    title = Text({"zh": "DCAT 目录（RDF）", "en": "DCAT catalog (RDF)"})
    config_schema = DcatConfigSchema

    def gather(self) -> Iterator[RemoteRecord]:
        self._visited: set[str] = set()
        self._pages = 0
        seen: set[str] = set()
        reader = PageReader(self._fetch_json, parallel=self.config.get("parallel", True))
        try:
            page = self._open(self.context.url, reader)
            while page is not None:
                url, response, memo, parsed = page
                if memo is not None:
                    # The same bytes as last time, and every record of them went well: nothing to parse.
                    records = [RemoteRecord(i) for i in memo.get("ids", []) if i not in seen]
                    links = [link for link in memo.get("next", []) if link != url]
                else:
                    records, links, left_out = self._records(url, response, parsed.result(), seen)
                    if left_out:
                        self._left_out(url, left_out)  # and not remembered: the next run says it again
                    else:
                        self.context.remember_page(url, response.content, {"ids": [r.remote_id for r in records],
                                                                           "next": links})
                seen.update(r.remote_id for r in records)
                if self._pages > 1 and not records and links:
                    yield from records
                    self._incomplete(message("The page {url} brought no new dataset; paging stopped.", url=url))
                    return
                # The next page is fetched (and its parsing started) before this page's records are written.
                page, failure = None, None
                if links:
                    try:
                        page = self._open(links[0], reader)
                    except HarvestError as exc:
                        failure = exc
                yield from records
                if failure is not None:
                    raise failure
            if not seen:
                # A document with no dataset at all (a GeoDCAT-AP service record, schema.org JSON-LD, an
                # error page that parses) must not read as "the catalog is now empty": that withdraws everything.
                self._incomplete(message("{url} holds no list of records.", url=self.context.url))
        finally:
            reader.close()

    def _open(self, url: str, reader: PageReader):
        """Fetch a page and start reading it, or ``None`` when paging must stop (loop, too many pages)."""
        if url in self._visited:
            self._incomplete(message("The page {url} links back to a page already read; paging stopped.", url=url))
            return None
        if self._pages >= self.config.get("max_pages", 1000):
            self._incomplete(message("Paging stopped after {count} pages.", count=self._pages))
            return None
        self._visited.add(url)
        self._pages += 1
        response = self.http.get(url, headers={"Accept": _ACCEPT, **self.context.auth_headers()},
                                 max_bytes=self.config.get("max_bytes"), read_timeout=self.config.get("read_timeout"))
        memo = self.context.recall_page(url, response.content)
        if memo is not None:
            return url, response, memo, None
        fmt = detect_format(self.config.get("format"), response.content_type, response.url, response.content)
        return url, response, None, reader.submit(response.content, fmt, response.url)

    @staticmethod
    def _records(url: str, response, parsed, seen: set[str]) -> tuple[list[RemoteRecord], list[str], list]:
        """A parsed page's datasets not listed before (on earlier pages), its next-page links, and the
        identifiers of the datasets it leaves out (``None`` for one that cannot be identified at all).

        A dataset listed on an earlier page again is not left out: pages shift while a catalog is paged.
        """
        payloads, next_links = parsed
        records: list[RemoteRecord] = []
        ids: set[str] = set()
        left_out: list[str | None] = []
        for payload in payloads:
            remote_id = _remote_id(payload)
            if remote_id is None or remote_id in ids:
                left_out.append(remote_id)
                continue
            if remote_id in seen:
                continue
            ids.add(remote_id)
            records.append(RemoteRecord(remote_id, payload, url=payload["landing_page"] or payload["uri"] or response.url,
                                        modified=n.parse_datetime(payload["modified"])))
        links = sorted({urljoin(response.url, link) for link in next_links} - {response.url, url})
        return records, links, left_out

    def _left_out(self, url: str, left_out: list[str | None]) -> None:
        """Tell the department about datasets of a page that were not harvested, rather than drop them silently."""
        shared = sorted(set(filter(None, left_out)))
        if shared:
            self.context.warnings.append(HarvestError(
                message("{count} datasets on {url} have the same identifier as another dataset of the page and were "
                        "left out: {ids}", count=sum(1 for i in left_out if i), url=url, ids=", ".join(shared[:10])),
                url=url, hint=message("Give every dataset its own IRI or dct:identifier.")))
        if None in left_out:
            self.context.warnings.append(HarvestError(
                message("{count} datasets on {url} have no IRI, identifier, landing page or title and were left out.",
                        count=left_out.count(None), url=url),
                url=url, hint=message("Give every dataset its own IRI or dct:identifier.")))

    def _fetch_json(self, context_url: str) -> Any:
        return self.http.get(context_url, headers={"Accept": "application/ld+json, application/json"},
                             max_bytes=self.config.get("max_bytes")).json()

    def _incomplete(self, reason) -> None:
        self.context.listing_complete = False
        self.context.warnings.append(HarvestError(reason, url=self.context.url,
                                                  hint=message("Records not listed are kept; the next run tries again.")))

    def map(self, record: RemoteRecord) -> dict[str, Any]:
        payload = record.payload
        vocab, profile = self.vocab, self.profile
        data: dict[str, Any] = {
            "title": n.plain_text(n.pick_language(payload["title"]), n.max_length(profile, "title", 200)),
            "abstract": n.plain_text(n.pick_language(payload["description"]), n.max_length(profile, "abstract", 4000)),
            "keywords": n.keywords(_best_language(payload["keywords"]), profile),
            "update_cycle": next(filter(None, (n.update_cycle(vocab, f) for f in payload["frequency"])), None),
            "open": next(filter(None, (n.open_attributes(vocab, r) for r in payload["access_rights"])), None),
            "theme": n.theme(vocab, payload["themes"]),
        }
        dists = payload["distributions"][:MAX_DISTRIBUTIONS]
        data["format"] = n.format_of(vocab, format_names(v for d in dists for v in (*d["format"], *d["media_type"])))
        rows = (n.distribution(profile, title=n.pick_language(d["title"]), url=d["download_url"] or d["access_url"],
                               media_type=media_type_label(_first(d["media_type"]) or _first(d["format"])),
                               description=n.pick_language(d["description"])) for d in dists)
        data["distributions"] = [row for row in rows if row]
        for identifier in payload["identifier"]:
            if _METADATA_ID.match(identifier):
                data["metadata_id"] = identifier
            elif _is_code(identifier):
                data["code"] = identifier
        return {key: value for key, value in data.items() if value not in (None, [], {})}


def _remote_id(payload: dict) -> str | None:
    for candidate in (payload["uri"], _first(payload["identifier"]), payload["landing_page"]):
        if candidate:
            return str(candidate)[:500]
    title = n.pick_language(payload["title"])
    return f"title:{title}"[:500] if title else None


def _first(values: list) -> Any:
    return values[0] if values else None


def media_type_label(value: str | None) -> str | None:
    """A format or media type as a person reads it: ``text/csv`` for the IANA IRI, ``CSV`` for the EU one.

    DCAT-AP wants IRIs for ``dcat:mediaType`` and ``dct:format``; shown as such in a distribution row they
    are a URL where a media type is expected.

    :param value: a ``dcat:mediaType`` or ``dct:format`` value; anything else is returned as given.
    """
    if not value or "://" not in value:
        return value
    match = _MEDIA_TYPE_IRI.search(value)
    if match:
        return match.group(1)
    match = _FILE_TYPE_IRI.search(value)
    return match.group(1) if match else value


def format_names(values) -> list[str]:
    """The names to look a format up by, each value first as given, then what it stands for.

    Quirks seen in the wild: IRIs of the EU file-type table (``…/authority/file-type/CSV``,
    ``…/file-type/RDF_TURTLE``: also looked up as ``RDF``) and of the IANA media-type registry
    (``https://www.iana.org/assignments/media-types/text/csv``) from DCAT-AP.de, DCAT-AP-DK, DCAT-AP_IT,
    GeoDCAT-AP and ArcGIS Hub; several formats in one literal (``"CSV JSON XML"``, data.norge.no).

    :param values: ``dct:format`` and ``dcat:mediaType`` values (literals, IRIs, blank-node labels).
    :returns: the names for :func:`harvesters.normalize.format_of`, without repeats, in order.
    """
    names: dict[str, None] = {}
    for value in values:
        text = str(value or "").strip()
        if not text:
            continue
        names[text] = None
        if "://" in text:
            label = media_type_label(text)
            if label == text:  # another IRI: its last segment often is the format's name
                label = text.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            if label:
                names[label] = None
            if "_" in label:
                names[label.split("_", 1)[0]] = None
        elif _SEPARATORS.search(text) and "/" not in text:
            names.update(dict.fromkeys(part for part in _SEPARATORS.split(text) if part))
    return list(names)


def _best_language(pairs: list) -> list[str]:
    """The keywords of the preferred language only (a multilingual catalog repeats each in every language)."""
    best = n.pick_language(pairs)
    if best is None:
        return []
    lang = next((lang for text, lang in pairs if text == best), None)
    return [text for text, other in pairs if other == lang]


def _is_code(text: str) -> bool:
    try:
        codes.parse(text)
    except codes.CodeError:
        return False
    return True
