"""Elasticsearch request bodies for a :class:`SearchQuery` and a suggestion prefix, and the parsing of responses.

User text reaches Elasticsearch only as the words of :func:`catalog.search.text.parse_query` (runs
of letters, digits or CJK characters) inside ``multi_match`` queries, which have no operator
syntax; never through ``query_string``. Pure functions, checked against golden JSON files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from catalog.search import highlight as hl
from catalog.search import text as tx
from catalog.search.base import Hit, SearchQuery, Suggestion, rank_suggestions
from catalog.search.es_mapping import ALL, FIELD_BOOSTS, PINYIN_BOOSTS, IndexOptions, suggest_inputs

# Relevance tiers as in the embedded backend (exact title, then the whole query in the title, keywords,
# abstract, then the rest). Each tier's boost exceeds the sum of those below it plus the bm25 part,
# which is scaled down by BM25_SCALE, so the tiers order the hits and bm25 orders within a tier.
TIER_BOOSTS = {"exact": 10_000.0, "title": 1_000.0, "keywords": 100.0, "abstract": 10.0}
BM25_SCALE = 0.01
TIER_FIELDS = {"title": ("title",), "keywords": ("keywords", "code"), "abstract": ("abstract",)}
IK_BOOST = 0.5  # word-aware IK matches add to the score; they never decide whether a resource matches
SUGGEST_POOL = 100  # documents read per suggestion request, as the embedded backend's pool
SOURCE = ["resource_id", "title", "abstract", "code", "status", "department_name", "updated_at"]

# Facet → the stored field counted; FacetBuilder rolls departments, divisions and 类 up the trees.
AGG_FIELDS = {"department": "department_id", "division": "department_id", "classification": "item_code",
              "theme": "theme", "format_class": "format_class", "share_type": "share_type",
              "open_type": "open_type", "update_cycle": "update_cycle", "status": "status"}
# Facet → the field a filter matches; tree facets match the ancestor paths indexed with each resource.
FILTER_FIELDS = {**AGG_FIELDS, "department": "department_path", "division": "division_path",
                 "classification": "classification_path"}
AGG_SIZES = {"department_id": 10_000, "item_code": 1_000}  # every department and 项 code; vocabularies are small
DEFAULT_AGG_SIZE = 200
DEFAULT_OPTIONS = IndexOptions()


def _fields(boosts: Mapping[str, float], only: Sequence[str] | None = None) -> list[str]:
    return [f"{name}^{boost:g}" for name, boost in boosts.items() if only is None or name in only]


def group_clause(group: tx.Group, index: int | None = None, *, fields: Sequence[str] | None = None,
                 options: IndexOptions = DEFAULT_OPTIONS) -> dict[str, Any]:
    """One word of the query: its text in any search field (all of its bigrams), or one of its pinyin readings.

    :param index: the word's position; names the pinyin branch ``p<index>`` so a hit tells which words
        matched as pinyin (for highlighting). ``None`` leaves clauses unnamed (the tier clauses).
    :param fields: restrict to these search fields (``title``, ``keywords``, ``abstract``).
    """
    should: list[dict[str, Any]] = [{"multi_match": {
        "query": group.source, "type": "cross_fields", "operator": "and",
        "fields": _fields(FIELD_BOOSTS, fields),
    }}]
    pinyin_fields = [f for f in PINYIN_BOOSTS if fields is None or f.removesuffix("_pinyin") in fields]
    if pinyin_fields:
        for alternative in group.pinyin:
            clause = {"multi_match": {
                "query": " ".join(alternative), "type": "cross_fields", "operator": "and", "analyzer": "whitespace",
                "fields": _fields(PINYIN_BOOSTS, pinyin_fields),
            }}
            if index is not None:
                clause["multi_match"]["_name"] = f"p{index}"
            should.append(clause)
        if options.pinyin_plugin and group.kind == "alpha":
            plugin = [f"{f.removesuffix('_pinyin')}.pinyin^{PINYIN_BOOSTS[f]:g}" for f in pinyin_fields]
            clause = {"multi_match": {"query": group.source, "operator": "and", "fields": plugin}}
            if index is not None:
                clause["multi_match"]["_name"] = f"p{index}"
            should.append(clause)
    return should[0] if len(should) == 1 else {"bool": {"should": should, "minimum_should_match": 1}}


def text_query(parsed: tx.ParsedQuery, options: IndexOptions) -> dict[str, Any]:
    """Every word must match (AND); tiers and bm25 (scaled) rank the matches."""
    words = [group_clause(group, i, options=options) for i, group in enumerate(parsed.groups)]
    should: list[dict[str, Any]] = [
        {"constant_score": {"filter": {"term": {"title_key": parsed.key}}, "boost": TIER_BOOSTS["exact"]}},
    ]
    for tier, fields in TIER_FIELDS.items():
        each = [group_clause(group, fields=fields, options=options) for group in parsed.groups]
        should.append({"constant_score": {"filter": {"bool": {"must": each}}, "boost": TIER_BOOSTS[tier]}})
    if options.analyzer == "ik":
        ik = [f"{name}.ik^{boost:g}" for name, boost in FIELD_BOOSTS.items() if name != "code"]
        should.append({"multi_match": {"query": " ".join(g.source for g in parsed.groups), "fields": ik,
                                       "boost": IK_BOOST * BM25_SCALE}})
    return {"bool": {"must": [{"bool": {"must": words, "boost": BM25_SCALE}}], "should": should}}


def filters(query: SearchQuery, readers: list[str]) -> list[dict[str, Any]]:
    """The visibility filter (none for staff readers) and one ``terms`` filter per filtered facet."""
    clauses: list[dict[str, Any]] = [] if readers == [ALL] else [{"terms": {"visibility": readers}}]
    for name, values in query.filters.items():
        if values:
            clauses.append({"terms": {FILTER_FIELDS[name]: list(values)}})
    return clauses


def sort(query: SearchQuery, has_text: bool) -> list[dict[str, Any]]:
    """Sort clauses; ties are broken by id so pages never overlap."""
    if query.sort == "title":
        return [{"title_sort": "asc"}, {"resource_id": "asc"}]
    if query.sort == "relevance" and has_text:
        return [{"_score": "desc"}, {"resource_id": "asc"}]
    return [{"updated_at": "desc"}, {"resource_id": "desc"}]


def aggregations(facets: Sequence[str]) -> dict[str, Any]:
    """One ``terms`` aggregation per stored field counted (department and division share one)."""
    fields = sorted({AGG_FIELDS[f] for f in facets})
    return {name: {"terms": {"field": name, "size": AGG_SIZES.get(name, DEFAULT_AGG_SIZE)}} for name in fields}


def search_body(query: SearchQuery, parsed: tx.ParsedQuery, facets: Sequence[str], readers: list[str],
                options: IndexOptions = DEFAULT_OPTIONS) -> dict[str, Any]:
    """The ``_search`` body of a query.

    Facets count the whole filtered set (text, visibility and every filter, the facet's own
    included), as the embedded backend does, so filters go in ``bool.filter`` and there is no
    ``post_filter``. Totals are exact (``track_total_hits``).
    """
    conditions = filters(query, readers)
    if parsed.groups:
        query_clause = text_query(parsed, options)
        if conditions:
            query_clause["bool"]["filter"] = conditions
    else:
        query_clause = {"bool": {"filter": conditions}} if conditions else {"match_all": {}}
    size = 0 if query.past_the_end else query.size
    body: dict[str, Any] = {
        "query": query_clause,
        "from": query.offset if size else 0,
        "size": size,
        "track_total_hits": True,
        "sort": sort(query, bool(parsed.groups)),
        "_source": SOURCE,
    }
    if facets:
        body["aggs"] = aggregations(facets)
    return body


def suggest_body(prefix: str, readers: list[str]) -> dict[str, Any] | None:
    """The ``_search`` body completing ``prefix`` among resources the readers may see; ``None`` for no prefix.

    The prefix is folded like the completion inputs (:func:`catalog.search.text.key`: no case,
    width, spaces or punctuation), so ``ren kou`` completes ``renkoujichuxinxi`` too.
    """
    key = tx.key(prefix)[: 100]
    if not key:
        return None
    return {
        "size": 0,  # no search hits: the suggestions' options carry their own _source
        "_source": ["title", "keywords"],
        "suggest": {"complete": {"prefix": key, "completion": {
            "field": "suggest", "size": SUGGEST_POOL, "skip_duplicates": False,
            "contexts": {"visibility": readers},
        }}},
    }


# -- responses -------------------------------------------------------------------------------------------


@dataclass
class Page:
    """A parsed search response: the total, the hits, and counts of stored values by facet field."""

    total: int
    hits: list[Hit] = field(default_factory=list)
    counts: dict[str, dict[Any, int]] = field(default_factory=dict)


def _matched(hit: Mapping[str, Any]) -> set[str]:
    named = hit.get("matched_queries") or ()
    return set(named)  # a list, or a name → score dict with include_named_queries_score


def parse_search(response: Mapping[str, Any], parsed: tx.ParsedQuery, facets: Sequence[str],
                 highlight: bool) -> Page:
    """The total, hits and facet counts of a ``_search`` response.

    Snippets are built by :mod:`catalog.search.highlight` from the source, with the tokens of the
    words and of the pinyin readings that matched this hit (``matched_queries``): the same HTML as
    the embedded backend, including 人口 marked for ``renkou``, which Elasticsearch's highlighter
    cannot do from tokens indexed in another field.
    """
    hits_part = response.get("hits", {})
    total = hits_part.get("total", 0)
    total = total.get("value", 0) if isinstance(total, Mapping) else int(total or 0)
    words = {t for group in parsed.groups for alternative in group.alternatives for t in alternative}
    hits = []
    for hit in hits_part.get("hits", ()):
        source = hit.get("_source", {})
        marks: dict[str, str] = {}
        if highlight:
            matched = _matched(hit)
            tokens = set(words)
            for i, group in enumerate(parsed.groups):
                if f"p{i}" in matched:
                    tokens.update(t for alternative in group.pinyin for t in alternative)
            marks = {"title": hl.highlight(source.get("title"), tokens),
                     "abstract": hl.snippet(source.get("abstract"), tokens)}
        updated = source.get("updated_at")
        hits.append(Hit(
            id=int(source.get("resource_id", hit.get("_id"))), title=source.get("title") or "",
            code=source.get("code"), status=source.get("status") or "", department=source.get("department_name") or "",
            updated_at=datetime.fromisoformat(updated) if updated else None,
            score=hit.get("_score") if parsed.groups else None, highlights=marks,
        ))
    aggs = response.get("aggregations", {})
    counts = {}
    for name in facets:
        buckets = aggs.get(AGG_FIELDS[name], {}).get("buckets", ())
        counts[name] = {b["key"]: b["doc_count"] for b in buckets}
    return Page(total, hits, counts)


def parse_suggest(response: Mapping[str, Any], prefix: str, limit: int) -> list[Suggestion]:
    """Suggestions from a completion response: the titles and keywords of the suggested documents that complete
    the prefix (a document is suggested once, whichever of its inputs matched), ranked as the embedded backend:
    direct prefixes of the text first, then by how many resources have them, shorter first.
    """
    key = tx.key(prefix)[: 100]
    candidates: Counter[tuple[str, str]] = Counter()
    for entry in response.get("suggest", {}).get("complete", ()):
        for option in entry.get("options", ()):
            source = option.get("_source", {})
            title = source.get("title")
            if title and any(i.startswith(key) for i in suggest_inputs(title)):
                candidates[(title, "title")] += 1
            for keyword in tx.unique(k for k in source.get("keywords") or () if isinstance(k, str)):
                if any(i.startswith(key) for i in suggest_inputs(keyword)):
                    candidates[(keyword, "keyword")] += 1
    return rank_suggestions(candidates, lambda text: tx.key(text).startswith(key), limit)
