"""The search document of a resource, and the declared search fields, facet fields and sorts.

:func:`document_for` is the one mapping from a resource to what any backend indexes. It reads the
same fields as the Resource JSON (``catalog.serialize``), and adds what search needs besides: the
tokens of each search field, the pinyin sort key, and the facet values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from catalog.i18n import Text
from catalog.models import Resource
from catalog.search import text as tx

# Search fields by decreasing weight; the embedded index keeps them as columns (SQLite) or weights A–D
# (PostgreSQL). Pinyin tokens of titles and keywords go with their source field.
SEARCH_FIELDS = ("title", "keywords", "abstract", "items")
FIELD_WEIGHTS = {"title": 10.0, "keywords": 4.0, "abstract": 1.5, "items": 0.5}


@dataclass(frozen=True)
class FacetField:
    """A field users filter and count by.

    :ivar tree: values form a tree; filtering on a value selects everything below it too, and a
        count includes everything below it.
    :ivar signed_in_only: counted only for signed-in actors (anonymous visitors see published records only).
    """

    name: str
    label: Text
    vocabulary: str | None = None
    tree: bool = False
    signed_in_only: bool = False


FACETS: dict[str, FacetField] = {f.name: f for f in (
    FacetField("department", Text({"zh": "提供方", "en": "Provider"}), tree=True),
    FacetField("classification", Text({"zh": "资源分类", "en": "Classification"}), "resource_classification", tree=True),
    FacetField("theme", Text({"zh": "主题分类", "en": "Theme"}), "theme"),
    FacetField("format_class", Text({"zh": "资源格式", "en": "Format"}), "format"),
    FacetField("share_type", Text({"zh": "共享类型", "en": "Share type"}), "share_type"),
    FacetField("open_type", Text({"zh": "开放类型", "en": "Open type"}), "open_type"),
    FacetField("update_cycle", Text({"zh": "更新周期", "en": "Update cycle"}), "update_cycle"),
    FacetField("status", Text({"zh": "状态", "en": "Status"}), signed_in_only=True),
    FacetField("division", Text({"zh": "行政区划", "en": "Division"}), "division", tree=True),
)}

# Sort name → label. "relevance" without text falls back to "updated" (newest first).
SORTS: dict[str, Text] = {
    "relevance": Text({"zh": "相关度", "en": "Relevance"}),
    "updated": Text({"zh": "最近更新", "en": "Last updated"}),
    "title": Text({"zh": "名称（拼音序）", "en": "Title (pinyin order)"}),
}


@dataclass
class SearchDocument:
    """What a backend indexes for one resource: display fields, facet values, sort keys and field tokens.

    ``department_id`` is the provider; the department and division facets are resolved from it when
    searching, so moving a department in the tree or changing its division needs no reindex.
    """

    resource_id: int
    title: str
    code: str | None
    status: str
    department_id: int
    share_type: str | None
    open_type: str
    is_open: bool
    classification_code: str
    class_code: str
    item_code: str
    theme: str | None
    format_class: str | None
    update_cycle: str | None
    updated_at: datetime | None
    title_key: str
    title_sort: str
    keywords: list[str] = field(default_factory=list)
    abstract: str = ""
    item_names: list[str] = field(default_factory=list)
    extra_text: list[str] = field(default_factory=list)

    def field_tokens(self) -> dict[str, list[str]]:
        """The tokens of each search field (see :data:`SEARCH_FIELDS`), pinyin included."""
        keywords = " ".join(self.keywords)
        return {
            "title": tx.tokens(self.title, unigrams=True) + tx.pinyin_tokens(self.title),
            "keywords": [*tx.tokens(f"{keywords} {self.code or ''}", unigrams=True),
                         *(t for k in self.keywords for t in tx.pinyin_tokens(k))],
            "abstract": tx.tokens(self.abstract),
            "items": tx.tokens(" ".join([*self.item_names, *self.extra_text])),
        }

    def facet_values(self) -> dict[str, Any]:
        """Facet field → the value stored for it (department and division are resolved from ``department_id``)."""
        return {
            "department": self.department_id,
            "classification": self.item_code,
            "theme": self.theme,
            "format_class": self.format_class,
            "share_type": self.share_type,
            "open_type": self.open_type,
            "update_cycle": self.update_cycle,
            "status": self.status,
        }


def document_for(resource: Resource, *, skip_items: frozenset = frozenset()) -> SearchDocument:
    """Map a resource to its search document.

    :param resource: the resource; its items are read (and loaded if needed).
    :param skip_items: item objects deleted in the flush being indexed (still in the collection).
    :returns: the document.
    """
    classification = resource.classification_code or ""
    is_open = bool(resource.open_is_open)
    extras = resource.extras or {}
    return SearchDocument(
        resource_id=resource.id,
        title=resource.title or "",
        code=resource.code,
        status=resource.status,
        department_id=resource.department_id,
        share_type=resource.share_type,
        open_type=(resource.open_type or "unconditional") if is_open else "not_open",
        is_open=is_open,
        classification_code=classification,
        class_code=classification[:1],
        item_code=classification[:3],
        theme=resource.theme,
        format_class=resource.format_class,
        update_cycle=resource.update_cycle,
        updated_at=resource.updated_at,
        title_key=tx.key(resource.title)[:500],
        title_sort=tx.sort_key(resource.title),
        keywords=[str(k) for k in resource.keywords or []],
        abstract=resource.abstract or "",
        item_names=[i.name for i in resource.items if i not in skip_items and i.name],
        # Extension elements (信息系统名称 …) are searchable with the items, whatever the profile declares.
        extra_text=[v for v in extras.values() if isinstance(v, str)],
    )
