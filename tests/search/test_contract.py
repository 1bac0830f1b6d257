"""The search contract every backend passes: matching, ranking, facets, sorts, paging, deletes, visibility, reindex, bad input.

Parametrised over the backends (``conftest.backend``); the catalog is built through
``ResourceService`` so the index is maintained exactly as in production.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from catalog import permissions as perm
from catalog.models import Resource
from catalog.models.search import SearchIndexEntry
from catalog.search import FACETS, MAX_PAGE_SIZE, SearchError, SearchQuery
from catalog.search import text as tx
from catalog.search.embedded import EmbeddedBackend
from tests.catalog.factories import resource_input

ALL = 100


def names(catalog, result) -> list[str]:
    return [catalog.name_of(hit.id) for hit in result.hits]


def search(backend, catalog, role="admin", **query):
    query.setdefault("size", ALL)
    return backend.search(catalog.world.session, SearchQuery(**query), catalog.world.actor(role))


# -- matching -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("人口", "population"),
    ("企业信用", "credit"),
    ("食品安全", "food"),
    ("GDP统计", "gdp"),
    ("ＧＤＰ　统计", "gdp"),       # full-width letters and space fold to the same words
    ("gdp", "gdp"),
    ("生产总值", "gdp"),           # found in the abstract
    ("户籍人口", "population"),
    ("低保金额", "dibao_item"),    # an information item's name
    ("renkou", "population"),      # full pinyin
    ("rk", "population"),          # pinyin initials
    ("shipin anquan", "food"),
    ("qiyexinyong", "credit"),
])
def test_chinese_mixed_and_pinyin_queries_find_the_resource_first(backend, catalog, text, expected):
    result = search(backend, catalog, text=text)
    assert names(catalog, result)[:1] == [expected], names(catalog, result)


def test_all_words_must_match(backend, catalog):
    assert names(catalog, search(backend, catalog, text="食品安全 抽检")) == ["food"]
    assert search(backend, catalog, text="食品安全 人口").total == 0


def test_a_word_absent_everywhere_finds_nothing(backend, catalog):
    assert search(backend, catalog, text="航天器").total == 0
    assert search(backend, catalog, text="zzzqqq").total == 0


def test_low_signal_single_character_matches_titles(backend, catalog):
    assert "population" in names(catalog, search(backend, catalog, text="口"))


# -- ranking ------------------------------------------------------------------------------------------


def test_exact_title_then_title_keyword_abstract_item(backend, catalog):
    order = names(catalog, search(backend, catalog, text="低保"))
    ladder = ["dibao_exact", "dibao_title", "dibao_keyword", "dibao_abstract", "dibao_item"]
    assert [n for n in order if n in ladder] == ladder, order
    assert order[0] == "dibao_exact"


def test_relevance_without_text_is_newest_first(backend, catalog):
    result = search(backend, catalog)
    assert [h.updated_at for h in result.hits] == sorted((h.updated_at for h in result.hits), reverse=True)


# -- facets -------------------------------------------------------------------------------------------


def _expected_value(catalog, name, resource):
    department = resource.department
    return {
        "theme": resource.theme, "format_class": resource.format_class, "share_type": resource.share_type,
        "open_type": (resource.open_type or "unconditional") if resource.open_is_open else "not_open",
        "update_cycle": resource.update_cycle, "status": resource.status,
        "classification": resource.classification_code[:3], "department": department.key,
        "division": department.division,
    }[name]


@pytest.mark.parametrize("facet", sorted(FACETS))
def test_each_facet_counts_exactly_and_filters(backend, catalog, facet):
    result = search(backend, catalog, text="", facets=(facet,))
    values = {v.value: v for v in result.facets[facet]}
    assert values, f"no values for {facet}"
    for value in values.values():
        assert value.labels["zh"] and value.labels["en"]
        filtered = search(backend, catalog, filters={facet: value.value})
        assert filtered.total == value.count, (facet, value)
        assert len(filtered.hits) == value.count
    if not FACETS[facet].tree:
        assert sum(v.count for v in values.values()) == result.total  # each resource counted once
    for name, resource in catalog.resources.items():
        assert _expected_value(catalog, facet, resource) in values, (facet, name)


def test_tree_facets_roll_up_and_filter_subtrees(backend, catalog):
    result = search(backend, catalog, facets=("department", "classification", "division"))
    department = {v.value: v for v in result.facets["department"]}
    assert department["dt-scj"].parent == "dt-gov"
    assert department["dt-gov"].count == department["dt-scj"].count == 2
    assert sorted(names(catalog, search(backend, catalog, filters={"department": "dt-gov"}))) == ["credit", "food"]
    classification = {v.value: v for v in result.facets["classification"]}
    assert classification["101"].parent == "1" and classification["1"].count == 1
    assert classification["3"].count == len(catalog.resources) - 1
    assert names(catalog, search(backend, catalog, filters={"classification": "1"})) == ["population"]
    division = {v.value: v for v in result.facets["division"]}
    assert division["340402"].parent == "340400"
    assert division["340400"].count == len(catalog.resources)
    assert sorted(names(catalog, search(backend, catalog, filters={"division": "340402"}))) == ["credit", "food"]


def test_facets_count_the_filtered_set_and_show_selected_values(backend, catalog):
    result = search(backend, catalog, text="低保", filters={"share_type": ["not_shared"]},
                    facets=("share_type", "department", "theme"))
    assert names(catalog, result) == ["secret"]
    share = {v.value: v for v in result.facets["share_type"]}
    assert share["not_shared"].count == 1 and share["not_shared"].selected
    assert share["not_shared"].labels == {"zh": "不予共享", "en": "Not shared"}
    assert {v.value: v.count for v in result.facets["department"]} == {"mzj": 1}
    empty = search(backend, catalog, filters={"theme": ["Z"]}, facets=("theme",))
    assert empty.total == 0 and [(v.value, v.count, v.selected) for v in empty.facets["theme"]] == [("Z", 0, True)]


def test_values_of_one_filter_are_alternatives_and_filters_combine(backend, catalog):
    either = search(backend, catalog, filters={"theme": ["B", "F"]})
    assert sorted(names(catalog, either)) == ["credit", "food", "gdp"]
    both = search(backend, catalog, filters={"theme": ["B"], "department": ["rsj"]})
    assert names(catalog, both) == ["gdp"]


def test_status_facet_is_for_signed_in_users_only(backend, catalog):
    assert "status" not in search(backend, catalog, "anonymous", facets=("status", "theme")).facets
    statuses = {v.value: v.count for v in search(backend, catalog, "manager", facets=("status",)).facets["status"]}
    assert statuses == {"published": 11, "draft": 1, "withdrawn": 1}


# -- sorts and paging ---------------------------------------------------------------------------------


def test_title_sort_is_pinyin_order(backend, catalog):
    result = search(backend, catalog, sort="title", filters={"theme": ["B", "F", "M"]})
    # GDP (Latin) first, then 企业 qi, 人口 ren, 食品 shi.
    assert names(catalog, result) == ["gdp", "credit", "population", "food"]
    everything = search(backend, catalog, sort="title")
    keys = [tx.sort_key(h.title) for h in everything.hits]
    assert keys == sorted(keys)


def test_updated_sort_is_newest_first_even_with_text(backend, catalog, session):
    food = catalog.resources["food"]
    food.updated_at = food.updated_at.replace(year=2000)
    session.flush()
    result = search(backend, catalog, text="信息", sort="updated")
    dates = [h.updated_at for h in result.hits]
    assert dates == sorted(dates, reverse=True)
    assert names(catalog, search(backend, catalog, sort="updated"))[-1] == "food"


def test_paging(backend, catalog):
    full = names(catalog, search(backend, catalog, sort="title"))
    pages = [names(catalog, search(backend, catalog, sort="title", page=p, size=5)) for p in (1, 2, 3)]
    assert sum(pages, []) == full
    past = search(backend, catalog, page=99, size=5)
    assert past.hits == [] and past.total == len(catalog.resources)
    assert SearchQuery(size=10_000).size == MAX_PAGE_SIZE
    assert SearchQuery(page=-4).page == 1
    counted = search(backend, catalog, size=0, facets=("theme",))
    assert counted.hits == [] and counted.total == len(catalog.resources) and counted.facets["theme"]


# -- writes reach the index in the same transaction -----------------------------------------------------


def test_edits_deletes_and_item_changes_are_searchable_at_once(backend, catalog, session):
    service = catalog.world.service("admin")
    draft = catalog.resources["draft"]
    service.update(draft.id, resource_input(catalog.world.mzj, title="城市燃气管网信息", keywords=["燃气"]))
    assert names(catalog, search(backend, catalog, text="燃气")) == ["draft"]
    assert "draft" not in names(catalog, search(backend, catalog, text="低保边缘"))

    item = catalog.resources["dibao_item"].items[0]
    item.name = "燃料补贴"  # an item edited on its own still reindexes its resource
    session.flush()
    assert "dibao_item" in names(catalog, search(backend, catalog, text="燃料补贴"))

    service.delete_draft(draft.id)
    assert search(backend, catalog, text="燃气").total == 0


def test_rolled_back_writes_leave_the_index_as_it_was(backend, catalog, session):
    savepoint = session.begin_nested()
    catalog.world.service("admin").update(catalog.id("draft"), resource_input(catalog.world.mzj, title="临时标题"))
    assert search(backend, catalog, text="临时标题").total == 1
    savepoint.rollback()
    assert search(backend, catalog, text="临时标题").total == 0
    assert "draft" in names(catalog, search(backend, catalog, text="低保边缘"))


# -- visibility -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "officer_mzj", "officer_rsj", "reviewer_mzj", "manager", "auditor",
                                  "admin"])
def test_visibility_follows_the_permissions(backend, catalog, role):
    world = catalog.world
    actor = world.actor(*role.split("_")) if "_" in role else world.actor(role)
    expected = {name for name, r in catalog.resources.items()
                if perm.can_view_resource(actor, r.department_id, r.status, r.share_type, r.open_is_open)}
    found = backend.search(world.session, SearchQuery(size=ALL), actor)
    assert set(names(catalog, found)) == expected
    assert found.total == len(expected)
    for typed in ("低保", "dibao", "db"):
        hits = set(names(catalog, backend.search(world.session, SearchQuery(text=typed, size=ALL), actor)))
        assert hits <= expected
    suggested = {s.text for s in backend.suggest(world.session, "低保", actor, limit=50)}
    titles = {r.title for r in catalog.resources.values()}
    assert {t for t in suggested if t in titles} <= {catalog.resources[n].title for n in expected}


def test_anonymous_sees_published_open_only(backend, catalog):
    seen = set(names(catalog, search(backend, catalog, "anonymous")))
    assert "draft" not in seen and "secret" not in seen and "shared" not in seen and "withdrawn" not in seen
    assert {"population", "food", "gdp"} <= seen


# -- highlighting and suggestions --------------------------------------------------------------------------


def test_highlights_mark_matches_and_escape_html(backend, catalog):
    hit = search(backend, catalog, text="gdp 初步").hits[0]
    assert hit.highlights["title"] == "<mark>GDP</mark>统计数据"
    assert "（<mark>ＧＤＰ</mark>）" in hit.highlights["abstract"]
    assert "&lt;b&gt;<mark>初步</mark>&lt;/b&gt;" in hit.highlights["abstract"]
    pinyin = search(backend, catalog, text="renkou").hits[0]
    assert pinyin.highlights["title"] == "<mark>人口</mark>基础信息"
    assert search(backend, catalog, text="gdp", highlight=False).hits[0].highlights == {}


@pytest.mark.parametrize("typed", ["人口", "人", "renk", "renkou", "rk"])
def test_suggestions_complete_chinese_and_pinyin(backend, catalog, typed):
    suggested = backend.suggest(catalog.world.session, typed, catalog.world.actor("anonymous"))
    texts = [s.text for s in suggested]
    assert "人口基础信息" in texts and "人口" in texts, texts


def test_suggestions_respect_the_limit_and_empty_input(backend, catalog):
    session, actor = catalog.world.session, catalog.world.actor("admin")
    assert len(backend.suggest(session, "低", actor, limit=2)) == 2
    assert backend.suggest(session, "", actor) == []
    assert backend.suggest(session, "低", actor, limit=0) == []


# -- reindex -------------------------------------------------------------------------------------------


def _snapshot(session):
    rows = session.execute(select(SearchIndexEntry).order_by(SearchIndexEntry.resource_id)).scalars()
    entries = [{c: getattr(r, c) for c in SearchIndexEntry.__table__.columns.keys()} for r in rows]
    if session.get_bind().dialect.name == "sqlite":
        full_text = session.execute(text("SELECT rowid, * FROM search_index_fts ORDER BY rowid")).all()
    else:
        full_text = session.execute(text("SELECT resource_id, tsv::text FROM search_index_fts ORDER BY 1")).all()
    return entries, [tuple(row) for row in full_text]


def test_reindex_is_idempotent_and_repairs_drift(backend, catalog, session):
    before = _snapshot(session)
    assert backend.reindex(session) == len(catalog.resources)
    assert _snapshot(session) == before
    assert backend.reindex(session) == len(catalog.resources)
    assert _snapshot(session) == before

    # Drift made behind the ORM's back (a bulk UPDATE) is repaired by reindexing since a time.
    population = catalog.resources["population"]
    session.execute(text("UPDATE resources SET title = '户籍人口花名册' WHERE id = :id"), {"id": population.id})
    assert search(backend, catalog, text="花名册").total == 0
    assert backend.reindex(session, since=population.updated_at) >= 1
    assert names(catalog, search(backend, catalog, text="花名册")) == ["population"]
    if isinstance(backend, EmbeddedBackend):
        # Only the embedded index lives in tables of the catalog's own database.
        session.execute(text("DELETE FROM search_index"))
        assert search(backend, catalog).total == 0
    backend.reindex(session)
    assert search(backend, catalog).total == len(catalog.resources)


# -- bad input -----------------------------------------------------------------------------------------

BAD = ['"', "'", '"人口', "人口'", "AND", "OR NOT", "NEAR(人口 户籍)", "*", "人*", "(", ")", "{title}: 人口",
       "title:人口", "-人口", "^人口", "人口 & | ! <->", "'; DROP TABLE resources; --", "%_\\", "\x00", "人口\x00户籍",
       "\ud800", "😀", "👨‍👩‍👧 🇨🇳", "人口" * 5000, "a" * 10_000, " ", "\t\n", "１２３", "0", "''::tsquery",
       "abc:*", "人口:A", "\\x27"]


@pytest.mark.parametrize("text", BAD, ids=lambda t: repr(t[:12]))
def test_any_query_string_returns_results_or_nothing(backend, catalog, text):
    result = search(backend, catalog, "anonymous", text=text, facets=("theme",))
    assert result.total >= 0 and len(result.hits) <= result.total
    backend.suggest(catalog.world.session, text, catalog.world.actor("anonymous"))


def test_a_query_of_symbols_only_matches_nothing(backend, catalog):
    assert search(backend, catalog, text="😀 !!!").total == 0
    assert search(backend, catalog, text="   ").total == len(catalog.resources)


@pytest.mark.parametrize(("query", "field", "name"), [
    ({"facets": ("colour",)}, "facets", "colour"),
    ({"filters": {"colour": "red"}}, "filters", "colour"),
    ({"sort": "popularity"}, "sort", "popularity"),
])
def test_unknown_names_are_refused_by_name(backend, catalog, query, field, name):
    with pytest.raises(SearchError) as raised:
        search(backend, catalog, **query)
    assert raised.value.field == field
    assert name in raised.value.render("en") and name in raised.value.render("zh_CN")
    assert raised.value.to_dict("en")["fields"][field]


def test_an_unknown_filter_value_matches_nothing(backend, catalog):
    assert search(backend, catalog, filters={"department": "no-such"}).total == 0
    assert search(backend, catalog, filters={"division": "999999"}).total == 0


def test_results_are_resources_the_database_has(backend, catalog, session):
    ids = {h.id for h in search(backend, catalog).hits}
    assert ids == set(session.scalars(select(Resource.id).where(Resource.id.in_(ids))))
