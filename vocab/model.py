"""The in-memory vocabulary model: concepts, concept schemes, lookups and their JSON/SKOS views."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from vocab.errors import VocabularyError

#: Namespace of the Mulu-specific concept properties (``mulu:key``, ``mulu:maxDays`` …).
MULU = Namespace("https://mulu.example.org/ns#")

#: Base of the URIs of the shipped schemes; a scheme's URI is ``VOCAB_BASE + name + "/"``.
VOCAB_BASE = "https://mulu.example.org/vocab/"

_WHITESPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"(\d+)")


def normalize_label(text: str) -> str:
    """Fold a code or label into the form used for tolerant matching.

    The text is stripped, NFKC-normalised (full-width letters, digits and punctuation become
    half-width), lower-cased and all whitespace, including internal whitespace, is removed.

    :param text: the raw text, e.g. ``" ＸＬＳＸ "`` or ``"sql server"``.
    :returns: the folded text, e.g. ``"xlsx"`` or ``"sqlserver"``.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WHITESPACE.sub("", folded)


def natural_key(code: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders notations naturally (``"2"`` before ``"10"``, ``"1-02"`` before ``"1-10"``).

    :param code: a notation.
    :returns: a tuple comparable with the key of any other notation.
    """
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(code) if part)


def scheme_uri(name: str) -> str:
    """Build the URI of a Mulu scheme from its name.

    :param name: the scheme name, e.g. ``"theme"``.
    :returns: ``https://mulu.example.org/vocab/<name>/``.
    """
    return f"{VOCAB_BASE}{name}/"


def concept_uri(scheme_base: str, code: str) -> str:
    """Build a concept URI from its scheme URI and notation.

    Characters that are not safe in a URI path segment (notably ``/``) are percent-encoded, so
    the notation ``1/2`` becomes ``1%2F2``.

    :param scheme_base: the scheme URI, ending with ``/``.
    :param code: the notation.
    :returns: the concept URI.
    """
    return scheme_base + quote(code, safe="-._~")


def _same_value(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    return left == right


def _pick(values: dict[str, str], lang: str) -> str:
    for key in (lang, "zh", "en"):
        if values.get(key):
            return values[key]
    return next(iter(values.values()), "")


@dataclass(frozen=True)
class Concept:
    """One coded value of a scheme (a ``skos:Concept``).

    :ivar scheme: name of the scheme, e.g. ``"open_type"``.
    :ivar code: the ``skos:notation``, e.g. ``"1"`` or ``"2-03"``.
    :ivar uri: the concept URI.
    :ivar labels: ``skos:prefLabel`` by language tag (always ``zh``; ``en`` for shipped data).
    :ivar alt_labels: every ``skos:altLabel``, all languages.
    :ivar broader: code of the parent concept, ``None`` for a top concept.
    :ivar narrower: codes of the child concepts, in natural order.
    :ivar definition: ``skos:definition`` by language tag.
    :ivar properties: value of each ``mulu:`` predicate by local name, as Python values
        (e.g. ``{"key": "unconditional"}``, ``{"structured": True}``, ``{"maxDays": 31}``).
    :ivar exact_match: ``skos:exactMatch`` URIs.
    :ivar close_match: ``skos:closeMatch`` URIs: concepts of other schemes that mean nearly the same
        (an EU data theme for a GB/T 21063.4 theme); harvesters read them, exports do not claim them.
    :ivar alt_labels_by_lang: the alternative labels grouped by language tag (``""`` for
        untagged literals).
    :ivar notes: ``skos:note`` texts by language tag.

    Mapping fields are plain dictionaries shared by every user of a registry: treat them as
    read-only.
    """

    scheme: str
    code: str
    uri: str
    labels: dict[str, str] = field(hash=False)
    alt_labels: tuple[str, ...] = ()
    broader: str | None = None
    narrower: tuple[str, ...] = ()
    definition: dict[str, str] = field(default_factory=dict, hash=False)
    properties: dict[str, Any] = field(default_factory=dict, hash=False)
    exact_match: tuple[str, ...] = ()
    close_match: tuple[str, ...] = ()
    alt_labels_by_lang: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.alt_labels and not self.alt_labels_by_lang:
            object.__setattr__(self, "alt_labels_by_lang", {"": tuple(self.alt_labels)})
        elif self.alt_labels_by_lang and not self.alt_labels:
            flat = tuple(text for texts in self.alt_labels_by_lang.values() for text in texts)
            object.__setattr__(self, "alt_labels", flat)

    def label(self, lang: str = "zh") -> str:
        """Return the preferred label in a language.

        :param lang: language tag, e.g. ``"zh"`` or ``"en"``.
        :returns: the label in ``lang``, else the Chinese one, else the English one, else any label.
        """
        return _pick(self.labels, lang)

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        """Return a JSON-friendly dictionary of the concept.

        :param lang: ``None`` for all languages (``labels``, ``definition`` and ``notes`` are
            dictionaries keyed by language); a language tag to get single strings under
            ``label`` and ``definition`` and only that language's ``alt_labels`` and ``notes``.
        :returns: a dictionary of JSON types only.
        """
        data: dict[str, Any] = {"code": self.code, "uri": self.uri}
        if lang is None:
            data["labels"] = dict(self.labels)
            data["alt_labels"] = list(self.alt_labels)
            data["definition"] = dict(self.definition)
            data["notes"] = {key: list(values) for key, values in self.notes.items()}
        else:
            data["label"] = self.label(lang)
            data["alt_labels"] = list(self.alt_labels_by_lang.get(lang, ()))
            data["definition"] = _pick(self.definition, lang) or None
            data["notes"] = list(self.notes.get(lang, ()))
        data["broader"] = self.broader
        data["narrower"] = list(self.narrower)
        data["properties"] = dict(self.properties)
        data["exact_match"] = list(self.exact_match)
        data["close_match"] = list(self.close_match)
        return data


@dataclass(frozen=True)
class ConceptScheme:
    """A code list (a ``skos:ConceptScheme``) with its concepts in natural notation order.

    :ivar name: the scheme name, the last path segment of :attr:`uri` (e.g. ``"theme"``).
    :ivar uri: the scheme URI, e.g. ``https://mulu.example.org/vocab/theme/``.
    :ivar labels: ``skos:prefLabel`` by language tag.
    :ivar description: ``dct:description`` by language tag.
    :ivar concepts: the concepts, sorted with :func:`natural_key` on construction.
    :raises VocabularyError: on construction, if two concepts share a code or a concept's
        ``broader`` is not a code of the scheme.
    """

    name: str
    uri: str
    labels: dict[str, str] = field(hash=False)
    description: dict[str, str] = field(default_factory=dict, hash=False)
    concepts: tuple[Concept, ...] = ()
    _by_code: dict[str, Concept] = field(init=False, repr=False, compare=False, hash=False)
    _by_text: dict[str, Concept] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.concepts, key=lambda concept: natural_key(concept.code)))
        by_code = {concept.code: concept for concept in ordered}
        if len(by_code) != len(ordered):
            codes = [concept.code for concept in ordered]
            duplicates = sorted({code for code in codes if codes.count(code) > 1})
            raise VocabularyError(f"vocabulary {self.name!r} has duplicate codes {duplicates}")
        for concept in ordered:
            if concept.broader is not None and concept.broader not in by_code:
                raise VocabularyError(
                    f"vocabulary {self.name!r}: concept {concept.code!r} has unknown broader {concept.broader!r}"
                )
        object.__setattr__(self, "concepts", ordered)
        object.__setattr__(self, "_by_code", by_code)
        by_text: dict[str, Concept] = {}
        for texts in (
            lambda c: (c.code,),
            lambda c: tuple(c.labels.values()),
            lambda c: c.alt_labels,
        ):
            for concept in ordered:
                for text in texts(concept):
                    by_text.setdefault(normalize_label(text), concept)
        by_text.pop("", None)
        object.__setattr__(self, "_by_text", by_text)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts)

    def __len__(self) -> int:
        return len(self.concepts)

    def label(self, lang: str = "zh") -> str:
        """Return the scheme's preferred label in a language.

        :param lang: language tag.
        :returns: the label in ``lang``, else the Chinese one, else the English one.
        """
        return _pick(self.labels, lang)

    def get(self, code: str) -> Concept | None:
        """Look a concept up by its exact notation.

        :param code: the notation, e.g. ``"1-02"``.
        :returns: the concept, or ``None`` if the scheme has no such code.
        """
        return self._by_code.get(code)

    def require(self, code: str) -> Concept:
        """Look a concept up by its exact notation, failing loudly.

        :param code: the notation.
        :returns: the concept.
        :raises VocabularyError: if the scheme has no such code.
        """
        concept = self._by_code.get(code)
        if concept is None:
            raise VocabularyError(f"vocabulary {self.name!r} has no concept with code {code!r}")
        return concept

    def top_concepts(self) -> tuple[Concept, ...]:
        """Return the concepts without a broader concept.

        :returns: the top concepts in natural notation order.
        """
        return tuple(concept for concept in self.concepts if concept.broader is None)

    def children(self, code: str) -> tuple[Concept, ...]:
        """Return the narrower concepts of a concept.

        :param code: notation of the parent.
        :returns: the direct children in natural notation order (empty for a leaf).
        :raises VocabularyError: if the scheme has no such code.
        """
        self.require(code)
        return tuple(concept for concept in self.concepts if concept.broader == code)

    def ancestors(self, code: str) -> tuple[Concept, ...]:
        """Return the broader concepts of a concept, nearest first.

        :param code: notation of the concept.
        :returns: parent, grandparent … up to the top concept (empty for a top concept).
        :raises VocabularyError: if the scheme has no such code.
        """
        found: list[Concept] = []
        current = self.require(code).broader
        while current is not None and len(found) < len(self.concepts):
            parent = self.require(current)
            found.append(parent)
            current = parent.broader
        return tuple(found)

    def find(self, text: str | None) -> Concept | None:
        """Find a concept by code, preferred label or alternative label, tolerantly.

        Both sides are folded with :func:`normalize_label`, so ``"ＸＬＳＸ"``, ``" xlsx"`` and
        ``"XLSX"`` match the same concept. Codes win over preferred labels, which win over
        alternative labels; among equals the first concept in notation order wins.

        :param text: a code or label in any language, as found in harvested data.
        :returns: the concept, or ``None`` if nothing matches (or ``text`` is empty).
        """
        if not text:
            return None
        return self._by_text.get(normalize_label(text))

    def by_property(self, name: str, value: Any) -> tuple[Concept, ...]:
        """Return the concepts whose Mulu property ``name`` equals ``value``.

        Booleans only equal booleans (``True`` does not match ``1``).

        :param name: local name of the ``mulu:`` predicate, e.g. ``"key"`` or ``"structured"``.
        :param value: the Python value, e.g. ``"unconditional"`` or ``True``.
        :returns: the matching concepts in natural notation order.
        """
        return tuple(
            concept
            for concept in self.concepts
            if name in concept.properties and _same_value(concept.properties[name], value)
        )

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        """Return a JSON-friendly dictionary of the scheme and its concepts.

        :param lang: ``None`` for all languages (``labels`` and ``description`` are dictionaries
            keyed by language); a language tag for single strings under ``label`` and
            ``description`` (see :meth:`Concept.to_json` for the concepts).
        :returns: ``{"name", "uri", "labels"|"label", "description", "concepts": [...]}``.
        """
        data: dict[str, Any] = {"name": self.name, "uri": self.uri}
        if lang is None:
            data["labels"] = dict(self.labels)
            data["description"] = dict(self.description)
        else:
            data["label"] = self.label(lang)
            data["description"] = _pick(self.description, lang)
        data["concepts"] = [concept.to_json(lang) for concept in self.concepts]
        return data

    def to_graph(self) -> Graph:
        """Return the scheme and its concepts as a SKOS graph.

        The graph loads back into an equal scheme with
        :meth:`vocab.registry.VocabularyRegistry.load_file` once serialised.

        :returns: a new :class:`rdflib.Graph` with ``skos``, ``dct`` and ``mulu`` prefixes bound.
        """
        graph = Graph()
        graph.bind("skos", SKOS)
        graph.bind("dct", DCTERMS)
        graph.bind("mulu", MULU)
        scheme = URIRef(self.uri)
        graph.add((scheme, RDF.type, SKOS.ConceptScheme))
        for lang, text in self.labels.items():
            graph.add((scheme, SKOS.prefLabel, _literal(text, lang)))
        for lang, text in self.description.items():
            graph.add((scheme, DCTERMS.description, _literal(text, lang)))
        uris = {concept.code: URIRef(concept.uri) for concept in self.concepts}
        for concept in self.concepts:
            node = uris[concept.code]
            graph.add((node, RDF.type, SKOS.Concept))
            graph.add((node, SKOS.inScheme, scheme))
            graph.add((node, SKOS.notation, Literal(concept.code)))
            if concept.broader is None:
                graph.add((node, SKOS.topConceptOf, scheme))
                graph.add((scheme, SKOS.hasTopConcept, node))
            else:
                graph.add((node, SKOS.broader, uris[concept.broader]))
            for child in concept.narrower:
                graph.add((node, SKOS.narrower, uris[child]))
            for lang, text in concept.labels.items():
                graph.add((node, SKOS.prefLabel, _literal(text, lang)))
            for lang, texts in concept.alt_labels_by_lang.items():
                for text in texts:
                    graph.add((node, SKOS.altLabel, _literal(text, lang)))
            for lang, text in concept.definition.items():
                graph.add((node, SKOS.definition, _literal(text, lang)))
            for lang, texts in concept.notes.items():
                for text in texts:
                    graph.add((node, SKOS.note, _literal(text, lang)))
            for target in concept.exact_match:
                graph.add((node, SKOS.exactMatch, URIRef(target)))
            for target in concept.close_match:
                graph.add((node, SKOS.closeMatch, URIRef(target)))
            for name, value in concept.properties.items():
                graph.add((node, MULU[name], _typed(value)))
        return graph


def _literal(text: str, lang: str) -> Literal:
    return Literal(text, lang=lang or None)


def _typed(value: Any) -> Literal:
    if isinstance(value, bool):
        return Literal(value, datatype=XSD.boolean)
    return Literal(value)
