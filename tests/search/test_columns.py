"""The embedded backend's column store and answer cache: counts equal SQL's, and every write shows at once.

Counts come from bitsets cached per index generation; these tests check them against the SQL
aggregation (``EmbeddedBackend._count``) for every role and many filters, and check that writes —
in the same session, committed by another engine (another process), rolled back, or made with raw
SQL — change the answers of the very next search.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from catalog.actor import Actor
from catalog.config import Settings
from catalog.container import Container
from catalog.models import Resource
from catalog.models.search import SearchIndexEntry
from catalog.schema_setup import upgrade
from catalog.search import FACETS, SearchQuery, changes, columns, indexing, matches
from catalog.search import scores as scores_module
from catalog.search import text as tx
from catalog.search.changes import ChangeLog, IndexState
from catalog.search.dialects import TextQuery, full_text_for
from catalog.search.embedded import EmbeddedBackend, visibility
from catalog.search.facets import FacetBuilder, load_departments
from catalog.search.matches import MATCHES
from catalog.search.scores import SCORES
from tests.catalog.factories import build_world
from tests.clitools import throwaway_database

ROLES = ("anonymous", "officer", "reviewer", "manager", "auditor", "admin")
QUERIES = [
    ("", {}),
    ("低保", {}),
    ("信息", {}),
    ("rk", {}),
    ("", {"department": ["mzj"]}),
    ("", {"division": ["340400"], "department": ["rsj"]}),
    ("", {"classification": ["1", "307"]}),
    ("", {"share_type": ["unconditional", "not_shared"]}),
    ("低保", {"status": ["published", "draft"]}),
    ("", {"theme": ["B"], "open_type": ["not_open", "unconditional"]}),
    ("", {"department": ["nobody"]}),
    ("信息", {"update_cycle": ["1", "2", "3", "4", "5", "6", "7"]}),
]


@pytest.fixture
def backend(container):
    return EmbeddedBackend.from_settings(container)


def sql_facets(backend, session, query: SearchQuery, actor: Actor) -> tuple[int, dict]:
    """The total and facet values as the SQL aggregation computes them (the reference)."""
    facets = [f for f in query.facets if not (FACETS[f].signed_in_only and actor.is_anonymous)]
    builder = FacetBuilder(backend._vocab(), load_departments(session))
    full_text = full_text_for(session.get_bind().dialect.name)
    clause, _tokens = backend._resolve(session, full_text, tx.parse_query(query.text))
    conditions = [visibility(actor), *backend._filters(query, builder)]
    if clause:
        conditions.append(full_text.matches(SearchIndexEntry.__table__.c.resource_id, full_text.render(clause)))
    total, counts = backend._count(session, conditions, facets)
    return total, {f: builder.build(f, counts.get(f, {}), query.filters.get(f, ())) for f in facets}


@pytest.mark.parametrize("role", ROLES)
def test_counts_from_the_column_store_equal_the_sql_aggregation(backend, catalog, role):
    session, actor = catalog.world.session, catalog.world.actor(role)
    for text_, filters in QUERIES:
        query = SearchQuery(text=text_, filters=filters, facets=tuple(FACETS), size=5)
        result = backend.search(session, query, actor)
        total, facets = sql_facets(backend, session, query, actor)
        assert (result.total, result.facets) == (total, facets), (role, text_, filters)
        again = backend.search(session, query, actor)  # served from the answer cache
        assert (again.total, again.facets, again.hits) == (result.total, result.facets, result.hits)


def _count(backend, session, actor, **query) -> int:
    return backend.search(session, SearchQuery(facets=("status",), **query), actor).total


def test_a_write_in_the_session_changes_the_next_answer(backend, catalog):
    world = catalog.world
    admin = world.actor("admin")
    before = backend.search(world.session, SearchQuery(facets=("department",)), admin)
    world.resource("published", title="新建的低保台账", share={"type": "unconditional", "method": "1-3"})
    after = backend.search(world.session, SearchQuery(facets=("department",)), admin)
    assert after.total == before.total + 1
    counts = {v.value: v.count for v in after.facets["department"]}
    assert counts["mzj"] == {v.value: v.count for v in before.facets["department"]}["mzj"] + 1


def test_raw_sql_writes_to_the_index_change_the_generation(backend, catalog):
    session = catalog.world.session
    before = indexing.generation(session.connection())
    assert _count(backend, session, catalog.world.actor("admin")) == len(catalog.resources)
    session.execute(text("DELETE FROM search_index WHERE resource_id = :id"), {"id": catalog.id("credit")})
    assert indexing.generation(session.connection()) != before
    assert _count(backend, session, catalog.world.actor("admin")) == len(catalog.resources) - 1


def test_bitsets():
    assert columns.bitset([0, 3, 5, 99], 6) == 0b101001
    assert columns.bitset([], 0) == 0
    assert columns.bitset(range(1000), 1000).bit_count() == 1000


@pytest.fixture
def committed(tmp_path):
    """Two containers (two engines: as two processes would) on a throwaway database that commits."""
    with throwaway_database(tmp_path, "columns") as url:
        containers = [Container.from_settings(Settings(instance_path=tmp_path / "instance", database_url=url))
                      for _ in range(2)]
        upgrade(containers[0].engine)
        try:
            yield containers
        finally:
            for container in containers:
                container.dispose()


def test_a_committed_write_shows_at_once_in_another_process_and_a_rollback_leaves_nothing(committed, monkeypatch):
    from argon2 import PasswordHasher

    monkeypatch.setattr("catalog.services.user._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    writer, reader = committed
    backend = EmbeddedBackend.from_settings(reader)
    admin = Actor.system("test")

    def statuses() -> tuple[int, dict[str, int]]:
        with Session(reader.engine) as session:
            found = backend.search(session, SearchQuery(text="人口", facets=("status",)), admin)
        return found.total, {v.value: v.count for v in found.facets["status"]}

    with Session(writer.engine, expire_on_commit=False) as session:
        world = build_world(writer, session)
        world.resource("published", title="人口基础信息", share={"type": "unconditional", "method": "1-3"})
        session.commit()
        assert statuses() == (1, {"published": 1})
        world.resource("draft", title="人口变动情况")
        session.commit()
        assert statuses() == (2, {"published": 1, "draft": 1})
        # A write that rolls back: its own session sees it, nobody does afterwards.
        world.resource("draft", title="人口抽样调查")
        assert backend.search(session, SearchQuery(text="人口"), admin).total == 3
        session.rollback()
        assert statuses() == (2, {"published": 1, "draft": 1})
        world.resource("draft", title="人口普查汇总")
        session.commit()
        assert statuses() == (3, {"published": 1, "draft": 2})


def test_a_parallel_rebuild_equals_a_serial_one(backend, catalog, monkeypatch):
    session = catalog.world.session

    def snapshot():
        rows = session.execute(text("SELECT * FROM search_index ORDER BY resource_id")).all()
        hits = [backend.search(session, SearchQuery(text=t, size=100), catalog.world.actor("admin")).hits
                for t in ("低保", "rk", "信息")]
        return rows, [[h.id for h in found] for found in hits]

    backend.reindex(session)
    serial = snapshot()
    monkeypatch.setattr(indexing, "PARALLEL_MIN", 1)
    monkeypatch.setattr(indexing, "BATCH", 4)
    seen = []
    assert backend.reindex(session, progress=lambda done, total: seen.append((done, total))) == len(catalog.resources)
    assert snapshot() == serial
    assert seen[-1] == (len(catalog.resources), len(catalog.resources)) and len(seen) > 1


def _state(session):
    return IndexState.read(session.connection())


def _same_store(a: columns.ColumnStore, b: columns.ColumnStore) -> None:
    assert (a.generation, a.seq) == (b.generation, b.seq)
    assert (a.everything, a.is_open, a.public, a.shared) == (b.everything, b.is_open, b.public, b.shared)
    assert a.values == b.values
    assert (a.order, a.records) == (b.order, b.records)


def test_after_a_write_the_store_replays_the_log_instead_of_reading_everything(backend, catalog, monkeypatch):
    session, world = catalog.world.session, catalog.world
    admin = world.actor("admin")
    backend.search(session, SearchQuery(facets=("theme",)), admin)
    store = columns.store_for(session.connection(), _state(session))
    backend.search(session, SearchQuery(text="人口", facets=("theme",)), admin)
    assert columns.store_for(session.connection(), _state(session)) is store
    loads = []
    real_load = columns.ColumnStore.load.__func__
    monkeypatch.setattr(columns.ColumnStore, "load",
                        classmethod(lambda cls, *args: loads.append(args) or real_load(cls, *args)))
    # A new resource, a changed one (other facet values, newer), a deleted one.
    world.resource("draft", title="又一个资源")
    changed = session.get(Resource, catalog.id("credit"))
    changed.theme, changed.title = "B", changed.title + "（修订）"
    session.delete(session.get(Resource, catalog.id("dibao_exact")))
    session.flush()
    result = backend.search(session, SearchQuery(facets=tuple(FACETS)), admin)
    updated = columns.store_for(session.connection(), _state(session))
    assert updated is not store and not loads
    _same_store(updated, real_load(columns.ColumnStore, session.connection(), _state(session)))
    assert (result.total, result.facets) == sql_facets(backend, session, SearchQuery(facets=tuple(FACETS)), admin)


def test_a_store_built_in_a_rolled_back_transaction_is_never_replayed(committed, monkeypatch):
    """The rolled-back write's seq is handed out again to the next write: the store must notice and reload."""
    from argon2 import PasswordHasher

    monkeypatch.setattr("catalog.services.user._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    container = committed[0]
    backend = EmbeddedBackend.from_settings(container)
    admin = Actor.system("test")
    with Session(container.engine, expire_on_commit=False) as session:
        world = build_world(container, session)
        world.resource("published", title="人口基础信息", share={"type": "unconditional", "method": "1-3"})
        session.commit()
        assert backend.search(session, SearchQuery(text="人口"), admin).total == 1
        before = _state(session)
        session.commit()
        world.resource("draft", title="人口抽样调查")  # seen by this transaction only …
        assert backend.search(session, SearchQuery(text="人口", facets=("status",)), admin).total == 2
        phantom = columns.store_for(session.connection(), _state(session))
        session.rollback()
        world.resource("draft", title="法人登记")  # … and the same seqs now label this write
        session.commit()
        now = _state(session)
        assert now.seq == phantom.seq > before.seq and now.generation != phantom.generation
        found = backend.search(session, SearchQuery(text="人口", facets=("status",)), admin)
        assert found.total == 1 and {v.value: v.count for v in found.facets["status"]} == {"published": 1}
        assert backend.search(session, SearchQuery(facets=("status",)), admin).total == 2


@pytest.mark.parametrize("costs", [(10**9, 0, 0), (0, 0, 10**9)], ids=["replayed", "matched-again"])
def test_match_bitsets_follow_writes(backend, catalog, monkeypatch, costs):
    monkeypatch.setattr(matches, "REPLAY_COSTS", {"sqlite": costs, "postgresql": costs})
    replayed = []
    real = full_text_for(catalog.world.session.get_bind().dialect.name).__class__.match_among
    monkeypatch.setattr(type(full_text_for(catalog.world.session.get_bind().dialect.name)), "match_among",
                        lambda self, *args: replayed.append(args) or real(self, *args))
    session, world = catalog.world.session, catalog.world
    admin = world.actor("admin")
    full_text = full_text_for(session.get_bind().dialect.name)
    query = TextQuery.of(backend._resolve(session, full_text, tx.parse_query("低保"))[0])

    def fresh():
        ids = list(session.connection().execute(full_text.match_ids(full_text.render_query(query))).scalars())
        return columns.bitset(ids, max(ids) + 1)

    first = MATCHES.bits(session.connection(), full_text, query, ChangeLog(session.connection(), _state(session)))
    assert first == fresh()
    world.resource("draft", title="低保对象名册")
    session.delete(session.get(Resource, catalog.id("dibao_title")))
    session.flush()
    after = MATCHES.bits(session.connection(), full_text, query, ChangeLog(session.connection(), _state(session)))
    assert after == fresh() and after != first
    assert bool(replayed) == (costs[2] == 0)
    assert backend.search(session, SearchQuery(text="低保"), admin).total == fresh().bit_count()


def test_a_pruned_log_makes_caches_reload(backend, catalog, monkeypatch):
    session, world = catalog.world.session, catalog.world
    admin = world.actor("admin")
    backend.search(session, SearchQuery(text="低保", facets=("status",)), admin)
    old = columns.store_for(session.connection(), _state(session))
    monkeypatch.setattr(changes, "KEEP", 1)
    for n in range(4):
        world.resource("draft", title=f"低保台账{n}")
    state = _state(session)
    assert state.floor > old.seq
    assert ChangeLog(session.connection(), state).changed_since(old.seq, old.generation) is None
    result = backend.search(session, SearchQuery(text="低保", facets=("status",)), admin)
    assert (result.total, result.facets) == sql_facets(backend, session, SearchQuery(text="低保", facets=("status",)),
                                                       admin)


def test_a_full_rebuild_restarts_the_log(backend, catalog):
    session = catalog.world.session
    backend.reindex(session)
    state = _state(session)
    assert state.floor == state.seq
    rows = session.execute(text("SELECT seq, resource_id FROM search_changes")).all()
    assert rows == [(state.seq, -1)]


@pytest.mark.parametrize("typed", ["低保", "低保 资金", "人口", "dibao", "renkou", "rk", "GDP统计"])
@pytest.mark.parametrize("fields", [(), ("title",), ("title", "keywords")], ids=["all", "title", "title+keywords"])
def test_testing_resources_agrees_with_matching(backend, catalog, typed, fields):
    """Replaying a write tests the changed resources (on SQLite in Python): it must match what the engine finds."""
    session = catalog.world.session
    full_text = full_text_for(session.get_bind().dialect.name)
    query = TextQuery.of(backend._resolve(session, full_text, tx.parse_query(typed))[0], fields)
    found = set(session.connection().execute(full_text.match_ids(full_text.render_query(query))).scalars())
    every = list(session.scalars(text("SELECT resource_id FROM search_index")))
    assert found and len(found) < len(every)
    memo: dict = {}
    assert set(full_text.match_among(session.connection(), query, every, memo)) == found
    assert set(full_text.match_among(session.connection(), query, every, memo)) == found  # from the memo


def test_scores_follow_writes(backend, catalog, monkeypatch):
    """Cached relevance scores follow writes: changed resources scored again, the others kept (or, past
    ``STALE_WRITES`` on an engine whose scores depend on the corpus, everything scored again)."""
    session, world = catalog.world.session, catalog.world
    full_text = full_text_for(session.get_bind().dialect.name)
    query = TextQuery.of(backend._resolve(session, full_text, tx.parse_query("低保"))[0])

    def cached():
        return SCORES.scores(session.connection(), full_text, query, ChangeLog(session.connection(), _state(session)))

    def fresh():
        return dict(full_text.scores(session.connection(), full_text.render_query(query)))

    before = cached()
    assert before == fresh()
    added = world.resource("draft", title="低保对象名册", abstract="低保 低保 低保")
    edited = session.get(Resource, catalog.id("dibao_title"))
    edited.abstract = "最低生活保障 低保 低保资金"
    session.delete(session.get(Resource, catalog.id("dibao_keyword")))
    session.flush()
    after, now = cached(), fresh()
    assert set(after) == set(now) and added.id in after and catalog.id("dibao_keyword") not in after
    assert after[added.id] == pytest.approx(now[added.id])
    assert after[edited.id] == pytest.approx(now[edited.id]) != before[edited.id]
    kept = set(after) - {added.id, edited.id}
    expected = before if full_text.corpus_scores else now
    assert {i: after[i] for i in kept} == pytest.approx({i: expected[i] for i in kept})

    monkeypatch.setattr(scores_module, "STALE_WRITES", 0)
    world.resource("draft", title="另一份低保名单")
    session.flush()
    assert cached() == pytest.approx(fresh())
