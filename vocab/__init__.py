"""Controlled vocabularies (SKOS code lists) of the catalog and their lookup API."""

from vocab.errors import VocabularyError
from vocab.model import MULU, VOCAB_BASE, Concept, ConceptScheme, concept_uri, normalize_label, scheme_uri
from vocab.registry import VocabularyRegistry, default_registry, load_registry
from vocab.skos import parse_scheme, scheme_name_from_uri

__all__ = [
    "MULU",
    "VOCAB_BASE",
    "Concept",
    "ConceptScheme",
    "VocabularyError",
    "VocabularyRegistry",
    "concept_uri",
    "default_registry",
    "load_registry",
    "normalize_label",
    "parse_scheme",
    "scheme_name_from_uri",
    "scheme_uri",
]
