"""Reading DCAT pages safely: RDF syntax detection, parsing without network, dataset extraction, Hydra links.

rdflib would fetch a JSON-LD ``@context`` given as a URL by itself, outside every limit; here each
remote context is fetched through the harvest HTTP client (timeouts, size limit, host policy) and
inlined before rdflib sees the document. RDF/XML passes the hardened XML check first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDFS, SKOS

from catalog.i18n import message
from harvesters.base import HarvestError
from harvesters.xml import check_xml

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
# Koop (ArcGIS Hub's DCAT feeds) writes these misspellings; rdflib's closed DCAT namespace warns on them.
MISSPELLED_ACCESS_URL = URIRef(str(DCAT) + "accessUrl")
MISSPELLED_DOWNLOAD_URL = URIRef(str(DCAT) + "downloadUrl")
FORMATS = {"turtle": "turtle", "ttl": "turtle", "xml": "xml", "rdf": "xml", "rdfxml": "xml", "json-ld": "json-ld",
           "jsonld": "json-ld", "nt": "nt", "ntriples": "nt", "n3": "n3", "trig": "trig"}
_BY_CONTENT_TYPE = {"text/turtle": "turtle", "application/x-turtle": "turtle", "application/rdf+xml": "xml",
                    "application/xml": "xml", "text/xml": "xml", "application/ld+json": "json-ld",
                    "application/json": "json-ld", "application/n-triples": "nt", "text/n3": "n3",
                    "application/trig": "trig"}
_BY_SUFFIX = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".owl": "xml", ".jsonld": "json-ld", ".json": "json-ld",
              ".nt": "nt", ".n3": "n3", ".trig": "trig"}
_NAMES = {"turtle": "Turtle", "xml": "RDF/XML", "json-ld": "JSON-LD", "nt": "N-Triples", "n3": "N3", "trig": "TriG"}
_LABELS = (SKOS.prefLabel, RDFS.label, FOAF.name, VCARD.fn, RDF.value, DCTERMS.title, DCTERMS.identifier)
_MAX_CONTEXT_DEPTH = 4
# rdflib's closed DCAT namespace predates DCAT 3 and warns on DatasetSeries.
DATASET_SERIES = URIRef("http://www.w3.org/ns/dcat#DatasetSeries")
# Classes whose members are harvested. No RDFS reasoning is done, so the subclasses that national profiles
# type their datasets with alone are listed here. Quirk seen in the wild: Italy's DCAT-AP_IT files
# (italia/daf-ontologie-vocabolari-controllati, schema.gov.it) say only ``a dcatapit:Dataset``.
DATASET_CLASSES = (DCAT.Dataset, DATASET_SERIES, DCATAPIT.Dataset)


def detect_format(configured: str | None, content_type: str, url: str, data: bytes) -> str:
    """The rdflib format of a page: configured, else by Content-Type, else by suffix, else by sniffing."""
    if configured:
        return FORMATS.get(configured.lower(), configured)
    if content_type in _BY_CONTENT_TYPE:
        return _BY_CONTENT_TYPE[content_type]
    path = url.split("?")[0].lower()
    for suffix, fmt in _BY_SUFFIX.items():
        if path.endswith(suffix):
            return fmt
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "json-ld"
    if head.startswith(b"<") and not head.startswith(b"<http"):
        return "xml"
    return "turtle"


def parse_graph(data: bytes, fmt: str, url: str, fetch_json: Callable[[str], Any]) -> Graph:
    """Parse one page into a graph.

    :param fetch_json: fetches a remote JSON-LD context through the harvest HTTP client.
    :raises HarvestError: for a syntax error (with rdflib's position), unsafe XML, or a context that
        cannot be fetched.
    """
    graph = Graph()
    try:
        if fmt == "xml":
            check_xml(data, url=url)
            graph.parse(data=data, format="xml", publicID=url)
        elif fmt == "json-ld":
            document = _json(data, url)
            # Re-serialised: rdflib reads a JSON text (a top-level array too) and now finds nothing to fetch.
            inlined = _inline_contexts(document, fetch_json, url, {}, 0)
            graph.parse(data=json.dumps(inlined), format="json-ld", base=url)
        else:
            graph.parse(data=data, format=fmt, publicID=url)
    except HarvestError:
        raise
    except Exception as exc:  # rdflib raises many types (BadSyntax, SAX errors, ValueError …)
        detail = " ".join(str(exc).split())[:400] or type(exc).__name__
        raise HarvestError(message("{url} is not valid {syntax} ({detail}).", url=url, syntax=_NAMES.get(fmt, fmt),
                                   detail=detail), url=url,
                           hint=message("Check the source's format setting, or ask the remote site to fix the file.")) from None
    return graph


def _json(data: bytes, url: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HarvestError(message("{url} is not valid JSON ({detail}).", url=url, detail=str(exc)[:200]), url=url,
                           hint=message("Check the source's format setting, or ask the remote site to fix the file.")) from None


def _inline_contexts(node: Any, fetch_json: Callable[[str], Any], url: str, cache: dict, depth: int) -> Any:
    if isinstance(node, list):
        return [_inline_contexts(item, fetch_json, url, cache, depth) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key == "@context":
            result[key] = _resolve_context(value, fetch_json, url, cache, depth)
        else:
            result[key] = _inline_contexts(value, fetch_json, url, cache, depth)
    return result


def _resolve_context(value: Any, fetch_json, url: str, cache: dict, depth: int) -> Any:
    if depth > _MAX_CONTEXT_DEPTH:
        raise HarvestError(message("{url}: JSON-LD contexts nest too deeply.", url=url), url=url)
    if isinstance(value, list):
        return [_resolve_context(item, fetch_json, url, cache, depth) for item in value]
    if isinstance(value, str):
        if value not in cache:
            fetched = fetch_json(value)
            if not isinstance(fetched, dict) or "@context" not in fetched:
                raise HarvestError(message("{url}: the JSON-LD context {context} holds no @context.", url=url,
                                           context=value), url=url)
            cache[value] = _resolve_context(fetched["@context"], fetch_json, url, cache, depth + 1)
        return cache[value]
    if isinstance(value, dict):
        resolved = {k: _inline_contexts(v, fetch_json, url, cache, depth) for k, v in value.items() if k != "@import"}
        if isinstance(value.get("@import"), str):
            imported = _resolve_context(value["@import"], fetch_json, url, cache, depth + 1)
            return {**(imported if isinstance(imported, dict) else {}), **resolved}
        return resolved
    return value


# -- datasets --------------------------------------------------------------------------------


def dataset_nodes(graph: Graph) -> list:
    """Every dcat:Dataset, dcat:DatasetSeries and dcatapit:Dataset (:data:`DATASET_CLASSES`), in a stable order."""
    nodes = {node for cls in DATASET_CLASSES for node in graph.subjects(RDF.type, cls)}
    return sorted(nodes, key=lambda node: (isinstance(node, BNode), str(node)))


def _texts(graph: Graph, node, predicate) -> list[list]:
    """Literal values as sorted ``[text, lang]`` pairs; a blank node or IRI gives its labels instead."""
    found = []
    for value in graph.objects(node, predicate):
        if isinstance(value, Literal):
            found.append([str(value), value.language])
        elif isinstance(value, BNode | URIRef):
            labels = [[str(v), v.language] for label in _LABELS for v in graph.objects(value, label) if isinstance(v, Literal)]
            found.extend(labels or ([[str(value), None]] if isinstance(value, URIRef) else []))
    return sorted(found, key=lambda pair: (pair[0], pair[1] or ""))


def _refs(graph: Graph, node, predicate) -> list[str]:
    """IRIs and literals as strings, blank nodes by their labels; sorted."""
    values = set()
    for value in graph.objects(node, predicate):
        if isinstance(value, BNode):
            values.update(str(v) for label in _LABELS for v in graph.objects(value, label))
        else:
            values.add(str(value))
    return sorted(values)


def _first(values: list) -> Any:
    return values[0] if values else None


def dataset_payload(graph: Graph, node) -> dict[str, Any]:
    """A JSON-friendly description of one dataset, every list sorted (hashes must not depend on graph order)."""
    distributions = []
    for dist in graph.objects(node, DCAT.distribution):
        distributions.append({
            "title": _texts(graph, dist, DCTERMS.title),
            "description": _texts(graph, dist, DCTERMS.description),
            # The misspellings only when the right property is absent, so a correct record hashes as before.
            "access_url": _first(_refs(graph, dist, DCAT.accessURL) or _refs(graph, dist, MISSPELLED_ACCESS_URL)),
            "download_url": _first(_refs(graph, dist, DCAT.downloadURL) or _refs(graph, dist, MISSPELLED_DOWNLOAD_URL)),
            "format": _refs(graph, dist, DCTERMS["format"]),
            "media_type": _refs(graph, dist, DCAT.mediaType),
        })
    distributions.sort(key=lambda d: (d["download_url"] or d["access_url"] or "", json.dumps(d["title"])))
    return {
        "uri": None if isinstance(node, BNode) else str(node),
        "identifier": _refs(graph, node, DCTERMS.identifier),
        "title": _texts(graph, node, DCTERMS.title),
        "description": _texts(graph, node, DCTERMS.description),
        "keywords": _texts(graph, node, DCAT.keyword),
        "themes": _refs(graph, node, DCAT.theme),
        "frequency": _refs(graph, node, DCTERMS.accrualPeriodicity),
        "access_rights": _refs(graph, node, DCTERMS.accessRights),
        "modified": _first(_refs(graph, node, DCTERMS.modified)),
        "landing_page": _first(_refs(graph, node, DCAT.landingPage)),
        "publisher": sorted({t for p in graph.objects(node, DCTERMS.publisher) for t, _ in _texts(graph, p, FOAF.name)}),
        "distributions": distributions,
    }


def next_pages(graph: Graph) -> Iterator[str]:
    """The "next page" links of a Hydra paged collection (old ``nextPage`` and new ``next`` vocabularies)."""
    for predicate in (HYDRA.next, HYDRA.nextPage):
        for value in graph.objects(None, predicate):
            yield str(value)


# -- whole pages -------------------------------------------------------------------------------


def inline_json_ld(data: bytes, url: str, fetch_json: Callable[[str], Any]) -> bytes:
    """A JSON-LD page with its remote ``@context``s fetched (through the harvest client) and inlined.

    :raises HarvestError: for invalid JSON or a context that cannot be fetched.
    """
    return json.dumps(_inline_contexts(_json(data, url), fetch_json, url, {}, 0)).encode("utf-8")


def _offline(context_url: str) -> Any:
    raise HarvestError(message("The JSON-LD context {context} was not inlined before parsing.", context=context_url))


def read_page(data: bytes, fmt: str, url: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Parse one page with no network access (JSON-LD contexts inlined beforehand): dataset payloads, next links.

    A pure function of its arguments, so that it can run in a worker process.

    :raises HarvestError: for a syntax error or unsafe XML.
    """
    graph = parse_graph(data, fmt, url, _offline)
    return [dataset_payload(graph, node) for node in dataset_nodes(graph)], list(next_pages(graph))
