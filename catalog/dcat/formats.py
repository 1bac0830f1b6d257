"""The RDF serialisations Mulu serves (Turtle, RDF/XML, JSON-LD, N-Triples): media types, file extensions, bytes."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import RDF, RDFS, Graph

from catalog.dcat.terms import PREFIXES


@dataclass(frozen=True)
class RdfFormat:
    """One RDF serialisation.

    :ivar name: rdflib's name of the format (``turtle``, ``xml``, ``json-ld``, ``nt``).
    :ivar media_type: the IANA media type served and negotiated.
    :ivar extension: the file extension of the explicit URLs (``/catalog.ttl``).
    :ivar label: the format's usual name, for links.
    """

    name: str
    media_type: str
    extension: str
    label: str

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"


TURTLE = RdfFormat("turtle", "text/turtle", "ttl", "Turtle")
RDF_XML = RdfFormat("xml", "application/rdf+xml", "rdf", "RDF/XML")
JSON_LD = RdfFormat("json-ld", "application/ld+json", "jsonld", "JSON-LD")
N_TRIPLES = RdfFormat("nt", "application/n-triples", "nt", "N-Triples")

#: In order of preference: the first is the default when a client accepts anything.
FORMATS: tuple[RdfFormat, ...] = (TURTLE, RDF_XML, JSON_LD, N_TRIPLES)
BY_EXTENSION = {f.extension: f for f in FORMATS}
BY_MEDIA_TYPE = {f.media_type: f for f in FORMATS}


def serialize(graph: Graph, rdf_format: RdfFormat) -> bytes:
    """The graph in one serialisation, UTF-8; JSON-LD is compacted with Mulu's prefixes as ``@context``.

    :param graph: the graph to write (its bound prefixes are used by Turtle, RDF/XML and JSON-LD).
    :param rdf_format: one of :data:`FORMATS`.
    """
    if rdf_format is JSON_LD:
        context = {"rdf": str(RDF), "rdfs": str(RDFS), **{prefix: str(ns) for prefix, ns in PREFIXES.items()}}
        text = graph.serialize(format="json-ld", context=context, auto_compact=True)
    else:
        text = graph.serialize(format=rdf_format.name)
    return text.encode("utf-8")
