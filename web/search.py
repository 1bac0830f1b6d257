"""The search page (query, facets, sort, pages — all carried in the URL) and the suggestions endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, jsonify, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from catalog.search import FACETS, SORTS, FacetValue, SearchError, SearchQuery
from web import deps

search = Blueprint("search", __name__)
PAGE_SIZE = 20
MAX_TEXT = 200  # longer queries are cut: nobody types more, and every token costs a lookup
# Facets offered on the page, in order; status only to signed-in staff (the backend counts it only for them).
PUBLIC_FACETS = ("classification", "department", "theme", "format_class", "share_type", "open_type", "update_cycle")
STAFF_FACETS = ("status",)


@dataclass
class FacetNode:
    """A facet value with the values below it (tree facets), for nested rendering."""

    value: FacetValue
    children: list[FacetNode] = field(default_factory=list)


def _tree(values: list[FacetValue]) -> list[FacetNode]:
    nodes = {v.value: FacetNode(v) for v in values}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.value.parent) if node.value.parent else None
        (parent.children if parent else roots).append(node)
    return roots


def facet_names() -> tuple[str, ...]:
    return PUBLIC_FACETS + (STAFF_FACETS if not deps.actor().is_anonymous else ())


def query_from(args: MultiDict) -> SearchQuery:
    """The SearchQuery a URL describes; unknown parameters are ignored, odd values normalised."""
    names = facet_names()
    filters = {name: tuple(v for v in args.getlist(name) if v) for name in names if args.getlist(name)}
    sort = args.get("sort", "relevance")
    return SearchQuery(
        text=args.get("q", "")[:MAX_TEXT].strip(),
        filters=filters,
        sort=sort if sort in SORTS else "relevance",
        page=args.get("page", 1),
        size=PAGE_SIZE,
        facets=names,
    )


class UrlState:
    """Builds the search URLs of the page from the current one: the URL is the whole state of a search."""

    def __init__(self, args: MultiDict):
        # The language lives in the session; page numbers restart whenever the search changes.
        self.args = MultiDict((k, v) for k, v in args.items(multi=True) if k not in ("lang", "page") and v != "")

    def _url(self, args: MultiDict) -> str:
        return url_for("search.index", **args.to_dict(flat=False))

    def toggle(self, name: str, value: str) -> str:
        args = self.args.copy()
        values = args.getlist(name)
        args.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
        return self._url(args)

    def with_(self, **values) -> str:
        args = self.args.copy()
        for name, value in values.items():
            args.setlist(name, [value] if value not in (None, "") else [])
        return self._url(args)

    def page(self, number: int) -> str:
        args = self.args.copy()
        if number > 1:
            args["page"] = str(number)
        return self._url(args)

    def without_filters(self) -> str:
        return self._url(MultiDict([(k, v) for k, v in self.args.items(multi=True) if k in ("q", "sort")]))

    def selected(self) -> list[tuple[str, str]]:
        names = facet_names()
        return [(k, v) for k, v in self.args.items(multi=True) if k in names]


@search.get("/search")
def index():
    query = query_from(request.args)
    error = None
    try:
        result = deps.search_backend().search(deps.session(), query, deps.actor())
    except SearchError as exc:
        error, result = exc, None
    facets = {}
    labels = {}
    if result is not None:
        for name in query.facets:
            values = result.facets.get(name, [])
            facets[name] = _tree(values) if FACETS[name].tree else [FacetNode(v) for v in values]
            labels[name] = {v.value: v.label(deps.locale()) for v in values}
    return render_template(
        "search.html", query=query, result=result, error=error, facets=facets, facet_labels=labels,
        facet_fields=FACETS, sorts=SORTS, state=UrlState(request.args), max_text=MAX_TEXT,
    ), (400 if error else 200)


@search.get("/search/suggest")
def suggest():
    """Completions of what the user is typing, as JSON for the search box's little script."""
    prefix = request.args.get("q", "")[:MAX_TEXT].strip()
    if not prefix:
        return jsonify([])
    found = deps.search_backend().suggest(deps.session(), prefix, deps.actor(), limit=8)
    return jsonify([{"text": s.text, "kind": s.kind, "count": s.count} for s in found])
