"""The search contract: backend-neutral queries, results, errors and the ``SearchBackend`` every engine implements.

No engine syntax crosses this line in either direction: a query names declared facet fields and
sorts (``catalog.search.documents``), and a result carries hits, counts and HTML snippets.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from catalog.actor import Actor
from catalog.errors import ValidationError
from catalog.i18n import Message, Text

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_OFFSET = 10_000  # deeper pages are empty: nobody reads result 10,001, and deep OFFSETs are slow everywhere
_MSG = "{text}"  # the messages below are bilingual Text values, rendered in the reader's language


def _bilingual(zh: str, en: str) -> Message:
    return Message(_MSG, {"text": Text({"zh": zh, "en": en})})


class SearchError(ValidationError):
    """A query names a facet, filter or sort that does not exist; ``fields`` names the culprit."""

    code = "invalid_search"

    def __init__(self, field_name: str, zh: str, en: str):
        super().__init__({field_name: [_bilingual(zh, en)]}, _bilingual("搜索条件无效。", "The search is not valid."))
        self.field = field_name


@dataclass(frozen=True)
class SearchQuery:
    """What to look for: free text, filters by facet field, sort, page, facets to count, highlighting.

    :ivar text: what the user typed; any string is accepted (it is tokenised, never passed through).
    :ivar filters: facet field → accepted values; values of one field are alternatives (OR),
        different fields must all hold (AND). A tree facet (department, classification, division)
        matches a value and everything below it.
    :ivar sort: ``relevance`` (the default; newest first when there is no text), ``updated`` or ``title``.
    :ivar page: 1-based page number; pages past the end are empty.
    :ivar size: hits per page, capped at :data:`MAX_PAGE_SIZE`; ``0`` counts without hits.
    :ivar facets: facet fields to count over the filtered set.
    :ivar highlight: build ``<mark>``-ed snippets of the title and abstract.
    """

    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    facets: tuple[str, ...] = ()
    highlight: bool = True

    def __post_init__(self) -> None:
        # Normalise rather than refuse: a web form's page=-3 or size=10000 is not worth an error page.
        set_ = object.__setattr__
        set_(self, "text", self.text if isinstance(self.text, str) else str(self.text or ""))
        set_(self, "page", max(1, _int(self.page, 1)))
        set_(self, "size", min(MAX_PAGE_SIZE, max(0, _int(self.size, DEFAULT_PAGE_SIZE))))
        set_(self, "facets", tuple(dict.fromkeys(str(f) for f in _as_tuple(self.facets))))
        set_(self, "filters", {str(k): tuple(dict.fromkeys(str(v) for v in _as_tuple(vals) if v is not None))
                               for k, vals in dict(self.filters or {}).items()})
        set_(self, "sort", str(self.sort or "relevance"))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def past_the_end(self) -> bool:
        """Whether the page lies beyond :data:`MAX_OFFSET` (answered as empty without searching for hits)."""
        return self.offset >= MAX_OFFSET


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def _as_tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, str | int | bool):
        return (value,)
    return tuple(value)


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet with its exact count over the filtered set.

    :ivar value: what to put in :attr:`SearchQuery.filters` to select it.
    :ivar labels: display labels by language (``zh``, ``en``).
    :ivar parent: the value above it in a tree facet (department, classification, division).
    :ivar selected: whether the query filters on it.
    """

    value: str
    count: int
    labels: Mapping[str, str]
    parent: str | None = None
    selected: bool = False

    def label(self, locale: str | None = None) -> str:
        """The label in a locale (``zh_CN``, ``zh``, ``en``)."""
        return Text(self.labels).render(locale)


@dataclass(frozen=True)
class Hit:
    """One matching resource, with what a result list shows and highlighted snippets.

    :ivar highlights: ``title`` and ``abstract`` as HTML: matched terms in ``<mark>``, the rest escaped.
    """

    id: int
    title: str
    code: str | None
    status: str
    department: str
    updated_at: datetime | None
    score: float | None = None
    highlights: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResult:
    """Hits of one page, the total count and the requested facets (field → values)."""

    hits: list[Hit]
    total: int
    page: int
    size: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return -(-self.total // self.size) if self.size else 0


@dataclass(frozen=True)
class Suggestion:
    """A completion of what the user is typing: a title or a keyword, with how many visible resources have it."""

    text: str
    kind: str  # "title" or "keyword"
    count: int = 1


class SearchBackend(abc.ABC):
    """A search engine behind the contract; the embedded one is the default.

    Implementations are built with :meth:`from_settings` and are safe to share between threads;
    sessions are passed per call, so the embedded backend reads in the caller's transaction.
    """

    name: str = "abstract"

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, container) -> SearchBackend:
        """Build the backend for a container (settings, engine, vocabularies)."""

    @abc.abstractmethod
    def search(self, session: Session, query: SearchQuery, actor: Actor) -> SearchResult:
        """Find the resources the actor may read.

        :raises SearchError: for an unknown facet, filter field or sort.
        """

    @abc.abstractmethod
    def suggest(self, session: Session, prefix: str, actor: Actor, limit: int = 10) -> list[Suggestion]:
        """Titles and keywords completing ``prefix`` (Chinese or pinyin), among resources the actor may read."""

    @abc.abstractmethod
    def reindex(self, session: Session, since: datetime | None = None) -> int:
        """Rebuild the index of every resource (or those updated at or after ``since``); idempotent.

        :returns: the number of resources indexed.
        """

    def index(self, session: Session, resource_ids: Iterable[int]) -> None:  # noqa: B027 (optional hook)
        """(Re)index resources now; backends indexing inside the transaction do it on flush anyway."""


def check_names(query: SearchQuery, facets: Iterable[str], sorts: Iterable[str]) -> None:
    """Refuse unknown facet names, filter fields and sort keys, naming them and the known ones.

    :raises SearchError: on the first unknown name.
    """
    facets, sorts = list(facets), list(sorts)
    for name in query.facets:
        if name not in facets:
            raise SearchError("facets", f"未知的分面字段“{name}”；可用：{'、'.join(facets)}。",
                              f"Unknown facet {name!r}; known facets: {', '.join(facets)}.")
    for name in query.filters:
        if name not in facets:
            raise SearchError("filters", f"未知的筛选字段“{name}”；可用：{'、'.join(facets)}。",
                              f"Unknown filter field {name!r}; known fields: {', '.join(facets)}.")
    if query.sort not in sorts:
        raise SearchError("sort", f"未知的排序方式“{query.sort}”；可用：{'、'.join(sorts)}。",
                          f"Unknown sort {query.sort!r}; known sorts: {', '.join(sorts)}.")


def rank_suggestions(candidates: Mapping[tuple[str, str], int], is_prefix: Callable[[str], bool],
                     limit: int) -> list[Suggestion]:
    """Order suggestion candidates the same way in every backend.

    Texts that start with what was typed come first, then the more frequent, the shorter, and
    alphabetical; a text offered both as a title and a keyword appears once.

    :param candidates: ``(text, kind) → count`` of matching titles and keywords.
    :param is_prefix: tells whether a text starts with what the user typed (each backend normalises).
    :param limit: at most this many suggestions.
    """
    ranked = sorted(candidates.items(), key=lambda item: (
        not is_prefix(item[0][0]), -item[1], len(item[0][0]), item[0]))
    seen: set[str] = set()
    suggestions: list[Suggestion] = []
    for (text, kind), count in ranked:
        if text not in seen:
            seen.add(text)
            suggestions.append(Suggestion(text, kind, count))
    return suggestions[:limit]
