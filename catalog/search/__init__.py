"""Search: the backend-neutral contract and the choice of backend (embedded by default, or a plug-in).

Use it through :func:`get_backend`::

    backend = get_backend(container)
    result = backend.search(session, SearchQuery(text="低保", facets=("department",)), actor)

Backends other than the built-in ones register a :class:`SearchBackend` subclass under the
entry-point group ``mulu.search_backends``; the setting ``search_backend`` names the one to use.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from catalog.search.base import (
    MAX_PAGE_SIZE,
    FacetValue,
    Hit,
    SearchBackend,
    SearchError,
    SearchQuery,
    SearchResult,
    Suggestion,
)
from catalog.search.documents import FACETS, SORTS, SearchDocument, document_for

ENTRY_POINT_GROUP = "mulu.search_backends"
DEFAULT_BACKEND = "embedded"
BUILTIN = {
    "embedded": "catalog.search.embedded:EmbeddedBackend",
    "elasticsearch": "catalog.search.elasticsearch:ElasticsearchBackend",
}

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "FACETS",
    "MAX_PAGE_SIZE",
    "SORTS",
    "FacetValue",
    "Hit",
    "SearchBackend",
    "SearchDocument",
    "SearchError",
    "SearchQuery",
    "SearchResult",
    "Suggestion",
    "backend_class",
    "document_for",
    "from_settings",
    "get_backend",
]


def backend_class(name: str) -> type[SearchBackend]:
    """The backend class registered under ``name`` (built in, or from the entry-point group).

    :raises LookupError: naming the unknown backend and the known ones.
    """
    target = BUILTIN.get(name)
    if target is None:
        found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
        if name in found:
            return found[name].load()
        known = sorted({*BUILTIN, *found})
        raise LookupError(f"unknown search backend {name!r}; known backends: {', '.join(known)}")
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def from_settings(container) -> SearchBackend:
    """Build the backend the container's settings name (``search_backend``; ``embedded`` when unset)."""
    name = container.settings.search_backend or DEFAULT_BACKEND
    return backend_class(name).from_settings(container)


def get_backend(container) -> SearchBackend:
    """The container's search backend, built once and shared (backends are thread-safe)."""
    backend = container.__dict__.get("_search_backend")
    if backend is None:
        backend = from_settings(container)
        container.__dict__["_search_backend"] = backend
    return backend
