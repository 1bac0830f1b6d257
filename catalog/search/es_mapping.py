"""The Elasticsearch index of resources: analysis settings, the mapping, and the indexed document of a resource.

Pure functions of :class:`~catalog.search.documents.SearchDocument` and a few options, so the
generated JSON is checked against golden files without a cluster (``tests/search/golden``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from catalog import permissions as perm
from catalog.actor import Actor
from catalog.search import text as tx
from catalog.search.base import MAX_OFFSET, MAX_PAGE_SIZE
from catalog.search.documents import SearchDocument
from catalog.search.facets import DepartmentNode

ANALYZERS = ("cjk", "ik")
SUGGEST_INPUT_CHARS = 100  # the completion field's max_input_length; longer inputs are cut by Elasticsearch too
# Boosts of the search fields (title^5, keywords^3, abstract, items): the embedded FIELD_WEIGHTS' order.
FIELD_BOOSTS = {"title": 5.0, "keywords": 3.0, "code": 3.0, "abstract": 1.0, "items": 0.5}
PINYIN_BOOSTS = {"title_pinyin": 5.0, "keywords_pinyin": 3.0}


@dataclass(frozen=True)
class IndexOptions:
    """What the cluster offers beyond a stock Elasticsearch.

    :ivar analyzer: ``cjk`` (built in, the default) or ``ik`` (the IK plugin's ``ik_max_word`` for
        indexing and ``ik_smart`` for queries, as extra word-aware sub-fields).
    :ivar pinyin_plugin: the pinyin analysis plugin is installed (adds ``.pinyin`` sub-fields).
    """

    analyzer: str = "cjk"
    pinyin_plugin: bool = False

    def __post_init__(self) -> None:
        if self.analyzer not in ANALYZERS:
            raise ValueError(f"unknown Elasticsearch analyzer {self.analyzer!r}; known: {', '.join(ANALYZERS)}")


# -- settings and mapping -------------------------------------------------------------------------------


def analysis(options: IndexOptions) -> dict[str, Any]:
    """The ``index.analysis`` settings.

    The ``cjk`` analyzer's chain (standard tokenizer, ``cjk_width``, ``lowercase``, ``cjk_bigram``)
    is declared as custom analyzers rather than used by name for two reasons: the built-in one
    drops English stop words (a query ``the`` would match nothing instead of the word), and titles
    and keywords also need single characters (``output_unigrams``) so a one-character query finds
    them, as in the embedded index. Queries use the bigram-only ``mulu_cjk`` everywhere.
    """
    settings: dict[str, Any] = {
        "filter": {"mulu_bigram_unigrams": {"type": "cjk_bigram", "output_unigrams": True}},
        "analyzer": {
            "mulu_cjk": {"type": "custom", "tokenizer": "standard", "filter": ["cjk_width", "lowercase", "cjk_bigram"]},
            "mulu_cjk_unigrams": {"type": "custom", "tokenizer": "standard",
                                  "filter": ["cjk_width", "lowercase", "mulu_bigram_unigrams"]},
        },
    }
    if options.pinyin_plugin:
        # The pinyin plugin's tokenizer: full syllables, joined full pinyin and initials (刘德华 → liu de hua
        # liudehua ldh), lowercased; the original Chinese is not kept (the cjk fields have it).
        settings["tokenizer"] = {"mulu_pinyin": {
            "type": "pinyin", "keep_first_letter": True, "keep_separate_first_letter": False,
            "keep_full_pinyin": True, "keep_joined_full_pinyin": True, "keep_original": False,
            "limit_first_letter_length": 16, "lowercase": True, "remove_duplicated_term": True,
        }}
        settings["analyzer"]["mulu_pinyin"] = {"type": "custom", "tokenizer": "mulu_pinyin"}
    return settings


def _text(index_analyzer: str, options: IndexOptions, *, pinyin: bool = False) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "text", "analyzer": index_analyzer}
    if index_analyzer != "mulu_cjk":
        field["search_analyzer"] = "mulu_cjk"
    subfields: dict[str, Any] = {}
    if options.analyzer == "ik":
        subfields["ik"] = {"type": "text", "analyzer": "ik_max_word", "search_analyzer": "ik_smart"}
    if pinyin and options.pinyin_plugin:
        subfields["pinyin"] = {"type": "text", "analyzer": "mulu_pinyin"}
    if subfields:
        field["fields"] = subfields
    return field


def mappings(options: IndexOptions) -> dict[str, Any]:
    """The index mapping: search fields, keyword facet and visibility fields, sort keys, the completion field."""
    keyword = {"type": "keyword"}
    # Pinyin tokens of catalog.search.text (1renkou, 2rk, …) are single lowercase ASCII words: whitespace analysis.
    pinyin_tokens = {"type": "text", "analyzer": "whitespace", "norms": False}
    return {
        "dynamic": "strict",  # a typo in a document field fails loudly instead of creating a field
        "properties": {
            "resource_id": {"type": "long"},
            "title": _text("mulu_cjk_unigrams", options, pinyin=True),
            "title_key": {"type": "keyword", "ignore_above": 500},
            "title_sort": keyword,
            "title_pinyin": pinyin_tokens,
            "keywords": _text("mulu_cjk_unigrams", options, pinyin=True),
            "keywords_pinyin": pinyin_tokens,
            "code": {"type": "text", "analyzer": "mulu_cjk", "fields": {"raw": keyword}},
            "abstract": _text("mulu_cjk", options),
            "items": _text("mulu_cjk", options),
            # Facets and filters. Tree facets carry their ancestors (the *_path fields), so a filter on a
            # department, 类 or division selects everything below it with one terms query.
            "department_id": {"type": "long"},
            "department_key": keyword,
            "department_name": {"type": "keyword", "index": False, "doc_values": False},
            "department_path": keyword,
            "division_path": keyword,
            "class_code": keyword,
            "item_code": keyword,
            "classification_path": keyword,
            "theme": keyword,
            "format_class": keyword,
            "share_type": keyword,
            "open_type": keyword,
            "update_cycle": keyword,
            "status": keyword,
            "is_open": {"type": "boolean"},
            # Who may read the resource, as tokens matched against the actor's (see visibility_tokens).
            "visibility": keyword,
            "updated_at": {"type": "date"},
            "suggest": {
                "type": "completion",
                "analyzer": "keyword",  # inputs are already folded by catalog.search.text.key
                "max_input_length": SUGGEST_INPUT_CHARS,
                "contexts": [{"name": "visibility", "type": "category"}],
            },
        },
    }


def index_body(options: IndexOptions, *, building: bool = False) -> dict[str, Any]:
    """The body of the index-creation request (settings and mappings; the alias is added by the caller).

    :param building: a full rebuild: refreshing is switched off until the bulk load is done.
    """
    settings: dict[str, Any] = {
        "number_of_shards": 1,  # a catalog holds at most a few hundred thousand small documents
        # Pages up to MAX_OFFSET plus one page size, as the contract allows (the default window is 10,000).
        "max_result_window": MAX_OFFSET + MAX_PAGE_SIZE,
        "analysis": analysis(options),
    }
    if building:
        settings["refresh_interval"] = "-1"
    return {"settings": {"index": settings}, "mappings": mappings(options)}


# -- visibility -----------------------------------------------------------------------------------------

ALL, PUBLIC, SHARED = "all", "public", "shared"


def visibility_tokens(department_id: int, status: str, share_type: str | None, is_open: bool) -> list[str]:
    """The readers of a resource as tokens; an actor may read it when they share one (see :func:`actor_tokens`).

    ``catalog.permissions.can_view_resource`` as data: ``public`` (published and open), ``shared``
    (published, and shared or open), ``dept:<id>`` (its provider) and ``all`` (staff readers).
    """
    tokens = [ALL]
    published = status == perm.PUBLISHED
    if published and is_open:
        tokens.append(PUBLIC)
    if published and (share_type != "not_shared" or is_open):
        tokens.append(SHARED)
    tokens.append(f"dept:{department_id}")
    return tokens


def actor_tokens(actor: Actor) -> list[str]:
    """The visibility tokens an actor holds (``all`` for managers, auditors and admins)."""
    if actor.role in perm.STAFF_READERS:
        return [ALL]
    if actor.is_anonymous:
        return [PUBLIC]
    return [SHARED, *(f"dept:{i}" for i in sorted(actor.department_ids))]


# -- documents -------------------------------------------------------------------------------------------


def suggest_inputs(text: str) -> list[str]:
    """Completion inputs of a title or keyword: the folded text, its whole pinyin and its initials.

    ``人口基础信息`` → ``人口基础信息``, ``renkoujichuxinxi``, ``rkjcxx``: so ``renk`` and ``rk``
    complete it without the pinyin plugin (pypinyin, as the embedded index).
    """
    inputs = [tx.key(text)]
    for token in tx.pinyin_tokens(text):
        if token[:1] in (tx.WHOLE_PINYIN, tx.WHOLE_INITIALS):
            inputs.append(token[1:])
    return [i[:SUGGEST_INPUT_CHARS] for i in tx.unique(inputs) if i]


def department_path(departments: Mapping[int, DepartmentNode], department_id: int) -> list[str]:
    """Keys of the department and of every department above it, nearest first."""
    path: list[str] = []
    node = departments.get(department_id)
    seen: set[int] = set()
    while node is not None and node.id not in seen:  # a cycle in bad data must not hang indexing
        seen.add(node.id)
        path.append(node.key)
        node = departments.get(node.parent_id) if node.parent_id else None
    return path


def document(doc: SearchDocument, departments: Mapping[int, DepartmentNode],
             division_ancestors: Callable[[str], Iterable[str]]) -> dict[str, Any]:
    """The Elasticsearch source of a resource.

    :param departments: every department by id (``catalog.search.facets.load_departments``).
    :param division_ancestors: codes of the divisions above a division code, nearest first.
    """
    node = departments.get(doc.department_id)
    division = node.division if node else None
    visibility = visibility_tokens(doc.department_id, doc.status, doc.share_type, doc.is_open)
    contexts = {"visibility": visibility}
    suggest = []
    if doc.title and (inputs := suggest_inputs(doc.title)):
        suggest.append({"input": inputs, "weight": 2, "contexts": contexts})
    for keyword in tx.unique(doc.keywords):
        if inputs := suggest_inputs(keyword):
            suggest.append({"input": inputs, "weight": 1, "contexts": contexts})
    return {
        "resource_id": doc.resource_id,
        "title": doc.title,
        "title_key": doc.title_key,
        "title_sort": doc.title_sort,
        "title_pinyin": " ".join(tx.pinyin_tokens(doc.title)),
        "keywords": doc.keywords,
        "keywords_pinyin": " ".join(t for k in doc.keywords for t in tx.pinyin_tokens(k)),
        "code": doc.code,
        "abstract": doc.abstract,
        "items": [*doc.item_names, *doc.extra_text],
        "department_id": doc.department_id,
        "department_key": node.key if node else None,
        "department_name": node.name if node else None,
        "department_path": department_path(departments, doc.department_id),
        "division_path": [division, *division_ancestors(division)] if division else [],
        "class_code": doc.class_code or None,
        "item_code": doc.item_code or None,
        "classification_path": tx.unique(c for c in (doc.class_code, doc.item_code) if c),
        "theme": doc.theme,
        "format_class": doc.format_class,
        "share_type": doc.share_type,
        "open_type": doc.open_type,
        "update_cycle": doc.update_cycle,
        "status": doc.status,
        "is_open": doc.is_open,
        "visibility": visibility,
        "updated_at": doc.updated_at.isoformat() if doc.updated_at else None,
        "suggest": suggest,
    }
