"""Browsing: the department tree with each department's published resources, and the classification 类 → 项 → 目."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import func, literal_column, select

from catalog.display import CLASSIFICATION_VOCABULARY
from catalog.errors import NotFoundError
from catalog.models import Resource
from catalog.search import SearchQuery
from web import deps

departments = Blueprint("departments", __name__)
PUBLISHED = {"status": ("published",)}
LISTED = 50


def _counts(facet: str, **filters) -> dict[str, int]:
    """Published resources the actor may read, counted by a facet's values (tree values include what is below)."""
    result = deps.search_backend().search(
        deps.session(), SearchQuery(filters={**PUBLISHED, **filters}, facets=(facet,), size=0, highlight=False),
        deps.actor())
    return {v.value: v.count for v in result.facets.get(facet, [])}


@departments.get("/departments")
def tree():
    return render_template("departments.html", tree=deps.departments().tree(), counts=_counts("department"))


@departments.get("/departments/<key>")
def show(key: str):
    try:
        department = deps.departments().get_by_key(key)
    except NotFoundError:
        abort(404)
    result = deps.search_backend().search(
        deps.session(), SearchQuery(filters={**PUBLISHED, "department": (key,)}, sort="title", size=LISTED,
                                    highlight=False), deps.actor())
    return render_template("department.html", department=department, result=result, listed=LISTED)


@departments.get("/classification")
def classification():
    """类 with their 项 and the number of published resources under each."""
    scheme = deps.container().vocab.get(CLASSIFICATION_VOCABULARY)
    classes = [(concept, scheme.children(concept.code)) for concept in scheme.top_concepts()]
    return render_template("classification.html", classes=classes, counts=_counts("classification"))


@departments.get("/classification/<code>")
def classification_item(code: str):
    """One 项: its 目 — the providers with published resources under it, each 目 being the provider's segment."""
    scheme = deps.container().vocab.get(CLASSIFICATION_VOCABULARY)
    concept = scheme.get(code)
    if concept is None or len(code) != 3:
        abort(404)
    # 目 is digits 4–6 of the 分类码 (the provider's segment), so count by them rather than by department:
    # a department's count in the tree facet includes units below it that have segments of their own.
    # Literal positions: PostgreSQL refuses a GROUP BY whose bound parameters differ from the SELECT's.
    segment = func.substr(Resource.classification_code, literal_column("4"), literal_column("3"))
    rows = deps.session().execute(
        select(segment, func.count())
        .where(deps.resources().visibility_filter(), Resource.status == "published",
               Resource.classification_code.startswith(code))
        .group_by(segment)
    ).all()
    by_segment = {d.catalog_segment: d for d in deps.departments().list() if d.catalog_segment}
    segments = sorted((segment, by_segment.get(segment), count) for segment, count in rows if segment)
    return render_template("classification_item.html", concept=concept, parent=scheme.ancestors(code),
                           segments=segments, total=_counts("classification").get(code, 0))
