"""Reading and validating SKOS documents into :class:`vocab.model.ConceptScheme` objects."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from rdflib.term import Node

from vocab.errors import VocabularyError
from vocab.model import MULU, Concept, ConceptScheme, natural_key

_SCHEME_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def scheme_name_from_uri(uri: str) -> str:
    """Derive a scheme name from a ``skos:ConceptScheme`` URI: its last path segment.

    :param uri: e.g. ``https://mulu.example.org/vocab/theme/`` (the trailing ``/`` is optional).
    :returns: e.g. ``"theme"``.
    :raises VocabularyError: if the last segment is empty or not of the form ``[a-z][a-z0-9_]*``.
    """
    segment = urlparse(uri).path.rstrip("/").rsplit("/", 1)[-1]
    if not _SCHEME_NAME.match(segment):
        raise VocabularyError(
            f"cannot derive a scheme name from <{uri}>: the last path segment must match "
            f"[a-z][a-z0-9_]* (e.g. https://mulu.example.org/vocab/theme/)"
        )
    return segment


def parse_scheme(data: str | bytes, source: str, rdf_format: str = "turtle") -> ConceptScheme:
    """Parse and validate an RDF document that holds exactly one SKOS concept scheme.

    :param data: the document text or bytes.
    :param source: name of the document (a file path) used in error messages.
    :param rdf_format: an rdflib parser name, ``"turtle"`` by default.
    :returns: the scheme.
    :raises VocabularyError: if the document does not parse or breaks a rule listed in
        :func:`scheme_from_graph`.
    """
    graph = Graph()
    try:
        graph.parse(data=data, format=rdf_format)
    except Exception as exc:  # rdflib raises many unrelated types for bad input
        raise VocabularyError(f"{source}: not valid {rdf_format}: {exc}") from exc
    return scheme_from_graph(graph, source)


def scheme_from_graph(graph: Graph, source: str) -> ConceptScheme:
    """Build a scheme from a graph that holds exactly one ``skos:ConceptScheme``.

    The concepts of the scheme are the resources typed ``skos:Concept`` or linked to the
    scheme by ``skos:inScheme``, ``skos:topConceptOf`` or ``skos:hasTopConcept``. A concept's
    parent comes from ``skos:broader`` or the inverse of ``skos:narrower``; ``narrower`` in the
    model is always rebuilt from the parents. Every ``mulu:`` predicate becomes a property.

    :param graph: the parsed document.
    :param source: name of the document used in error messages.
    :returns: the scheme.
    :raises VocabularyError: if there is no scheme or more than one, the scheme name cannot be
        derived from its URI, a concept has no ``skos:notation`` or several, two concepts share
        a notation, a concept has no ``@zh`` ``skos:prefLabel`` or two in one language, a
        concept belongs to another scheme, has several broader concepts, a broader concept
        outside the scheme or a broader cycle, or a ``mulu:`` property has several values.
    """
    schemes = sorted(set(graph.subjects(RDF.type, SKOS.ConceptScheme)), key=str)
    if not schemes:
        raise VocabularyError(f"{source}: no skos:ConceptScheme found")
    if len(schemes) > 1:
        listed = ", ".join(f"<{scheme}>" for scheme in schemes)
        raise VocabularyError(f"{source}: one skos:ConceptScheme per file expected, found {listed}")
    scheme = schemes[0]
    try:
        name = scheme_name_from_uri(str(scheme))
    except VocabularyError as exc:
        raise VocabularyError(f"{source}: {exc}") from None
    labels = _single_per_language(graph, scheme, SKOS.prefLabel, source, f"scheme <{scheme}>")
    if "zh" not in labels:
        raise VocabularyError(f"{source}: scheme <{scheme}> has no skos:prefLabel in @zh")

    members = _members(graph, scheme)
    codes: dict[Node, str] = {}
    seen: dict[str, Node] = {}
    for node in members:
        other = [s for s in graph.objects(node, SKOS.inScheme) if s != scheme]
        if other:
            raise VocabularyError(f"{source}: concept <{node}> is in scheme <{other[0]}>, not <{scheme}>")
        notations = [str(value) for value in graph.objects(node, SKOS.notation)]
        if not notations or not notations[0].strip():
            raise VocabularyError(f"{source}: concept <{node}> has no skos:notation")
        if len(notations) > 1:
            raise VocabularyError(
                f"{source}: concept <{node}> has several skos:notation values {sorted(notations)}"
            )
        code = notations[0]
        if code in seen:
            raise VocabularyError(
                f"{source}: duplicate notation {code!r} in scheme {name!r} (<{seen[code]}> and <{node}>)"
            )
        seen[code] = node
        codes[node] = code

    parents = {code: _parent(graph, node, codes, source) for node, code in codes.items()}
    _reject_cycles(parents, source)
    concepts = [
        _concept(graph, name, node, code, parents, source) for node, code in sorted(codes.items(), key=_order)
    ]
    return ConceptScheme(
        name=name,
        uri=str(scheme),
        labels=labels,
        description=_single_per_language(graph, scheme, DCTERMS.description, source, f"scheme <{scheme}>"),
        concepts=tuple(concepts),
    )


def _order(item: tuple[Node, str]) -> tuple[tuple[int, int | str], ...]:
    return natural_key(item[1])


def _members(graph: Graph, scheme: Node) -> list[Node]:
    found: set[Node] = set(graph.subjects(RDF.type, SKOS.Concept))
    found.update(graph.subjects(SKOS.inScheme, scheme))
    found.update(graph.subjects(SKOS.topConceptOf, scheme))
    found.update(graph.objects(scheme, SKOS.hasTopConcept))
    return sorted(found, key=str)


def _parent(graph: Graph, node: Node, codes: dict[Node, str], source: str) -> str | None:
    broader = set(graph.objects(node, SKOS.broader)) | set(graph.subjects(SKOS.narrower, node))
    if not broader:
        return None
    if len(broader) > 1:
        listed = ", ".join(f"<{item}>" for item in sorted(broader, key=str))
        raise VocabularyError(f"{source}: concept {codes[node]!r} has several broader concepts: {listed}")
    parent = broader.pop()
    if parent not in codes:
        raise VocabularyError(
            f"{source}: concept {codes[node]!r} has broader <{parent}>, which is not a concept of this scheme"
        )
    return codes[parent]


def _reject_cycles(parents: dict[str, str | None], source: str) -> None:
    for start in parents:
        seen = {start}
        current = parents[start]
        while current is not None:
            if current in seen:
                raise VocabularyError(f"{source}: broader cycle through concept {start!r}")
            seen.add(current)
            current = parents[current]


def _concept(
    graph: Graph, scheme: str, node: Node, code: str, parents: dict[str, str | None], source: str
) -> Concept:
    where = f"concept {code!r}"
    labels = _single_per_language(graph, node, SKOS.prefLabel, source, where)
    if "zh" not in labels:
        raise VocabularyError(f"{source}: {where} has no skos:prefLabel in @zh")
    alt_by_lang = _grouped(graph.objects(node, SKOS.altLabel))
    return Concept(
        scheme=scheme,
        code=code,
        uri=str(node),
        labels=labels,
        alt_labels=tuple(text for texts in alt_by_lang.values() for text in texts),
        broader=parents[code],
        narrower=tuple(
            sorted((child for child, parent in parents.items() if parent == code), key=natural_key)
        ),
        definition=_single_per_language(graph, node, SKOS.definition, source, where),
        properties=_properties(graph, node, source, where),
        exact_match=tuple(sorted(str(target) for target in graph.objects(node, SKOS.exactMatch))),
        close_match=tuple(sorted(str(target) for target in graph.objects(node, SKOS.closeMatch))),
        alt_labels_by_lang=alt_by_lang,
        notes=_grouped(graph.objects(node, SKOS.note)),
    )


def _language(value: Node) -> str:
    return (value.language or "").lower() if isinstance(value, Literal) else ""


def _language_order(value: Node) -> tuple[int, str, str]:
    lang = _language(value)
    return ({"zh": 0, "en": 1}.get(lang, 2), lang, str(value))


def _single_per_language(
    graph: Graph, node: Node, predicate: URIRef, source: str, where: str
) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in sorted(graph.objects(node, predicate), key=_language_order):
        lang = _language(value)
        if lang in found:
            local = predicate.split("#")[-1].split("/")[-1]
            raise VocabularyError(
                f"{source}: {where} has two {local} values in language {lang or '(none)'!r}"
            )
        found[lang] = str(value)
    return found


def _grouped(values: Iterable[Node]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for value in values:
        grouped.setdefault(_language(value), []).append(str(value))
    ordered = sorted(grouped.items(), key=lambda item: ({"zh": 0, "en": 1}.get(item[0], 2), item[0]))
    return {lang: tuple(sorted(texts)) for lang, texts in ordered}


def _properties(graph: Graph, node: Node, source: str, where: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for predicate, value in sorted(
        graph.predicate_objects(node), key=lambda pair: (str(pair[0]), str(pair[1]))
    ):
        if not str(predicate).startswith(str(MULU)):
            continue
        name = str(predicate)[len(str(MULU)) :]
        if name in found:
            raise VocabularyError(f"{source}: {where} has several values for mulu:{name}")
        found[name] = value.toPython() if isinstance(value, Literal) else str(value)
    return found
