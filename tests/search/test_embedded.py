"""What is particular to the embedded backend: broad-query ordering, the flush hook switch, backend lookup."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalog.models.search import SearchIndexEntry
from catalog.search import SearchQuery, backend_class, from_settings, get_backend
from catalog.search import embedded as embedded_module
from catalog.search.embedded import EmbeddedBackend
from catalog.search.indexing import set_sync, sync_enabled
from tests.catalog.factories import resource_input


@pytest.fixture
def backend(container):
    return EmbeddedBackend.from_settings(container)


def test_broad_queries_keep_the_tiers_and_list_newest_first(backend, catalog, monkeypatch):
    monkeypatch.setattr(embedded_module, "SCORED_MATCHES", 0)
    result = backend.search(catalog.world.session, SearchQuery(text="低保", size=100), catalog.world.actor("admin"))
    order = [catalog.name_of(h.id) for h in result.hits]
    assert order[0] == "dibao_exact"
    titled = {"dibao_title", "draft", "secret"}
    assert set(order[1:4]) == titled
    rest = [h.updated_at for h in result.hits[4:]]
    assert rest == sorted(rest, reverse=True)


def test_the_flush_hook_can_be_switched_off_per_engine(backend, catalog, container, session):
    engine = container.engine
    assert sync_enabled(engine)
    set_sync(engine, False)
    try:
        before = session.scalar(select(func.count()).select_from(SearchIndexEntry))
        catalog.world.service("admin").create(resource_input(catalog.world.mzj, title="不进索引的资源"))
        assert session.scalar(select(func.count()).select_from(SearchIndexEntry)) == before
    finally:
        set_sync(engine, True)
    assert backend.reindex(session) == len(catalog.resources) + 1
    assert backend.search(session, SearchQuery(text="不进索引"), catalog.world.actor("admin")).total == 1


def test_backends_are_looked_up_by_name(container):
    assert backend_class("embedded") is EmbeddedBackend
    assert isinstance(from_settings(container), EmbeddedBackend)
    assert get_backend(container) is get_backend(container)
    with pytest.raises(LookupError, match="unknown search backend 'solr'.*embedded"):
        backend_class("solr")


@pytest.mark.parametrize("text", ["", "低保", "rk"])
def test_pages_picked_from_the_bitsets_follow_the_sql_order(backend, catalog, monkeypatch, text):
    """Browsing, "last updated" and broad relevance are paged from the column store: same order as SQL's."""
    monkeypatch.setattr(embedded_module, "SCORED_MATCHES", 0)
    session, admin = catalog.world.session, catalog.world.actor("admin")
    newest = SearchQuery(text=text, sort="updated", size=100)
    whole = [h.id for h in backend.search(session, newest, admin).hits]
    table = SearchIndexEntry.__table__
    by_sql = list(session.scalars(select(table.c.resource_id).where(table.c.resource_id.in_(whole))
                                  .order_by(table.c.updated_at.desc(), table.c.resource_id.desc())))
    assert whole == by_sql and whole
    for sort in ("updated", "relevance"):
        full = [h.id for h in backend.search(session, SearchQuery(text=text, sort=sort, size=100), admin).hits]
        paged = [h.id for page in range(1, 6)
                 for h in backend.search(session, SearchQuery(text=text, sort=sort, page=page, size=3), admin).hits]
        assert paged == full[:15], sort
