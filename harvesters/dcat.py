"""The DCAT harvester: one RDF document (Turtle, RDF/XML, JSON-LD, N-Triples) or a Hydra paged collection.

Each page is parsed on its own and its datasets are yielded before the next page is fetched, so
memory follows the page size, not the catalog size. Paging follows ``hydra:next`` (and the older
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
from harvesters.rdf import FORMATS, dataset_nodes, dataset_payload, detect_format, next_pages, parse_graph

_METADATA_ID = re.compile(r"^metadata_[0-9a-f]{32}$")
MAX_DISTRIBUTIONS = 100
_ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.9, application/n-triples;q=0.8, */*;q=0.1"


class DcatConfigSchema(BaseConfigSchema):
    """Settings of a DCAT source."""

    format = fields.String(load_default=None, validate=validate.OneOf(sorted(FORMATS)))
    max_pages = fields.Integer(load_default=1000, validate=validate.Range(1, 1000000))


class DcatHarvester(Harvester):
    """Harvest the datasets of a DCAT catalog document or paged collection."""

    name = "dcat"
    title = Text({"zh": "DCAT 目录（RDF）", "en": "DCAT catalog (RDF)"})
    config_schema = DcatConfigSchema

    def gather(self) -> Iterator[RemoteRecord]:
        url: str | None = self.context.url
        visited: set[str] = set()
        seen: set[str] = set()
        pages = 0
        while url:
            if url in visited:
                self._incomplete(message("The page {url} links back to a page already read; paging stopped.", url=url))
                return
            if pages >= self.config.get("max_pages", 1000):
                self._incomplete(message("Paging stopped after {count} pages.", count=pages))
                return
            visited.add(url)
            pages += 1
            response = self.http.get(url, headers={"Accept": _ACCEPT, **self.context.auth_headers()},
                                     max_bytes=self.config.get("max_bytes"), read_timeout=self.config.get("read_timeout"))
            fmt = detect_format(self.config.get("format"), response.content_type, response.url, response.content)
            graph = parse_graph(response.content, fmt, response.url, self._fetch_json)
            new = 0
            for node in dataset_nodes(graph):
                payload = dataset_payload(graph, node)
                remote_id = _remote_id(payload)
                if remote_id is None or remote_id in seen:
                    continue
                seen.add(remote_id)
                new += 1
                yield RemoteRecord(remote_id, payload, url=payload["landing_page"] or payload["uri"] or response.url,
                                   modified=n.parse_datetime(payload["modified"]))
            links = sorted({urljoin(response.url, link) for link in next_pages(graph)} - {response.url, url})
            del graph
            if pages > 1 and new == 0 and links:
                self._incomplete(message("The page {url} brought no new dataset; paging stopped.", url=url))
                return
            url = links[0] if links else None

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
        data["format"] = n.format_of(vocab, [v for d in dists for v in (*d["format"], *d["media_type"])])
        rows = (n.distribution(profile, title=n.pick_language(d["title"]), url=d["download_url"] or d["access_url"],
                               media_type=_first(d["media_type"]) or _first(d["format"]),
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
