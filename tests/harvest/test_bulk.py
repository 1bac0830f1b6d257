"""Batched writes and skipped pages: the same resources as one create at a time, unchanged pages not parsed again."""

from __future__ import annotations

import pickle

import pytest
from sqlalchemy import func, select

from catalog.actor import Actor
from catalog.i18n import message
from catalog.models import AuditEvent, Resource, Revision
from catalog.models.search import SearchIndexEntry
from catalog.services.resource import ResourceService
from harvesters import rdf
from harvesters.base import HarvestError
from harvesters.models import HarvestLink, HarvestPage, HarvestRecord
from harvesters.pagereader import PageReader

PREFIXES = ("@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . "
            "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n")


def _page(number: int, total_pages: int, per_page: int = 3, *, titles: dict[int, str] | None = None) -> str:
    """Page ``number`` of a Hydra collection of ``total_pages`` pages; dataset N is titled 数据集N unless ``titles`` says."""
    lines = [PREFIXES]
    if number < total_pages:
        lines.append(f"<catalog.ttl?page={number}> hydra:next <catalog.ttl?page={number + 1}> .")
    for n in range((number - 1) * per_page + 1, number * per_page + 1):
        title = (titles or {}).get(n, f"数据集{n}")
        lines.append(f'<http://example.gov.cn/d/{n}> a dcat:Dataset ; dct:title "{title}"@zh ; '
                     f'dct:description "第{n}个数据集的说明。"@zh ; dcat:keyword "统计"@zh ; '
                     f'dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <http://example.gov.cn/f/{n}.csv> ; '
                     f'dct:format "CSV" ] .')
    return "\n".join(lines)


def _serve(site, pages: int, **kwargs) -> str:
    for number in range(1, pages + 1):
        site.add(f"/catalog.ttl?page={number}", _page(number, pages, **kwargs), content_type="text/turtle")
    return site.url("/catalog.ttl?page=1")


SERIAL = {"parallel": False}  # the parse counter below cannot be pickled into a worker process


@pytest.fixture
def parses(monkeypatch):
    """How many pages were parsed (in process)."""
    calls = []
    original = rdf.read_page

    def counting(data, fmt, url):
        calls.append(url)
        return original(data, fmt, url)

    monkeypatch.setattr("harvesters.pagereader.read_page", counting)
    return calls


def test_batched_drafts_are_what_resource_service_create_writes(world, session, container):
    service = ResourceService(container, session, Actor.system(client="harvest:test"))
    data = {"title": "城乡低保对象名册", "abstract": "说明", "keywords": ["低保"], "classification_code": "307",
            "department": {"id": world.mzj.id}, "distributions": [{"kind": "link", "title": "下载",
                                                                  "url": "http://example.gov.cn/f.csv"}]}
    one = service.create(data, draft=True, comment="harvest:test")
    [batched, refused] = service.create_many([(data, "harvest:test"), ({**data, "title": ""}, "harvest:test")])
    session.flush()
    assert isinstance(batched, Resource) and "title" in refused.fields
    volatile = {"id", "metadata_id", "created_at", "updated_at", "metadata_updated"}
    as_json = [{k: v for k, v in service.to_json(r).items() if k not in volatile} for r in (one, batched)]
    assert as_json[0] == as_json[1]
    revisions = [session.scalars(select(Revision).where(Revision.resource_id == r.id)).all() for r in (one, batched)]
    assert [(r.number, r.action, r.comment, r.actor_name) for r in revisions[0]] == \
           [(r.number, r.action, r.comment, r.actor_name) for r in revisions[1]] == [(1, "create", "harvest:test", "system")]
    assert {k: v for k, v in revisions[1][0].snapshot.items() if k not in volatile} == as_json[1]
    audits = [session.scalars(select(AuditEvent).where(AuditEvent.object_type == "resource",
                                                       AuditEvent.object_id == str(r.id))).all() for r in (one, batched)]
    assert [(a.action, a.client, a.detail) for a in audits[0]] == [(a.action, a.client, a.detail) for a in audits[1]]
    assert session.scalar(select(func.count()).select_from(SearchIndexEntry)
                          .where(SearchIndexEntry.resource_id == batched.id)) == 1


def test_a_batch_the_database_refuses_is_written_one_record_at_a_time(site, sources, harvest, session, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full, say")

    monkeypatch.setattr(ResourceService, "create_many", broken)
    result = harvest(sources("fallback", "dcat", _serve(site, 2)))
    assert result.job.status == "done" and result.job.counts == {"created": 6}
    assert session.scalar(select(func.count()).select_from(HarvestLink)) == 6


def test_unchanged_pages_are_not_parsed_again(site, sources, harvest, session, parses, clock):
    source = sources("pages", "dcat", _serve(site, 3), config=SERIAL)
    first = harvest(source)
    assert first.job.counts == {"created": 9} and len(parses) == 3
    assert session.scalar(select(func.count()).select_from(HarvestPage)) == 3
    clock.advance(days=1)
    second = harvest(source)
    assert second.job.counts == {"unchanged": 9} and second.job.status == "done" and len(parses) == 3
    # One page changes: only that page is parsed, and only its changed record is written.
    site.add("/catalog.ttl?page=2", _page(2, 3, titles={5: "数据集五（修订）"}), content_type="text/turtle")
    clock.advance(days=1)
    third = harvest(source)
    assert third.job.counts == {"unchanged": 8, "updated": 1} and parses[3:] == [site.url("/catalog.ttl?page=2")]
    assert session.scalars(select(Resource).where(Resource.title == "数据集五（修订）")).first() is not None
    # Changing the source's defaults makes every page be read again (the mapping changed).
    source.defaults = {**source.defaults, "update_cycle": "每月"}
    clock.advance(days=1)
    harvest(source)
    assert len(parses) == 4 + 3


def test_a_page_with_a_failed_record_is_read_in_full_next_time(site, sources, harvest, session, parses, clock):
    source = sources("flawed", "dcat", _serve(site, 2, titles={2: ""}), config=SERIAL)
    first = harvest(source)
    assert first.job.counts == {"created": 5, "error": 1}
    assert session.scalar(select(func.count()).select_from(HarvestPage)) == 1  # page 2 only
    clock.advance(days=1)
    second = harvest(source)
    assert second.job.counts == {"unchanged": 5, "error": 1} and parses[2:] == [site.url("/catalog.ttl?page=1")]
    # The error is reported again each time, with its remote address.
    rows = session.scalars(select(HarvestRecord).where(HarvestRecord.job_id == second.job.id)).all()
    assert [(r.status, r.remote_id) for r in rows] == [("error", "http://example.gov.cn/d/2")]


def test_a_dry_run_and_a_cut_short_run_store_no_page(site, sources, harvest, session, parses):
    source = sources("partial", "dcat", _serve(site, 3), config=SERIAL)
    harvest(source, dry_run=True)
    harvest(source, max_items=4)
    # Page 1 was finished; page 2 was not (record 5 was never processed); page 3 was fetched ahead, no more.
    assert session.scalar(select(func.count()).select_from(HarvestPage)) == 1
    assert session.scalar(select(HarvestPage.url)) == site.url("/catalog.ttl?page=1")


def test_records_gone_from_an_unchanged_listing_are_still_noticed(site, sources, harvest, session, clock):
    source = sources("shrinking", "dcat", _serve(site, 2))
    harvest(source)
    site.add("/catalog.ttl?page=2", PREFIXES, content_type="text/turtle")  # page 2 now lists nothing
    clock.advance(days=1)
    result = harvest(source)
    assert result.job.counts == {"unchanged": 3, "gone": 3}


def test_long_listings_are_parsed_in_a_worker_process(site, sources, harvest, session):
    reader_pages = []
    original = PageReader.submit

    def spy(self, data, fmt, url):
        future = original(self, data, fmt, url)
        reader_pages.append((isinstance(future, pagereader._Retrying), self._pool is not None))
        return future

    import harvesters.pagereader as pagereader

    pagereader.PageReader.submit = spy
    try:
        result = harvest(sources("long", "dcat", _serve(site, 5)))
    finally:
        pagereader.PageReader.submit = original
    assert result.job.counts == {"created": 15} and result.job.status == "done"
    assert [in_worker for in_worker, _started in reader_pages] == [False, False, True, True, True]
    # The worker is started with the last page parsed in process, so it is ready for the next one.
    assert [started for _in_worker, started in reader_pages] == [False, True, True, True, True]
    titles = set(session.scalars(select(Resource.title)))
    assert {f"数据集{n}" for n in range(1, 16)} <= titles


def test_a_parse_error_in_the_worker_is_the_pages_error(site, sources, harvest):
    url = _serve(site, 4)
    site.add("/catalog.ttl?page=4", "this is not turtle {", content_type="text/turtle")
    result = harvest(sources("broken-late", "dcat", url))
    assert result.job.status == "done_with_errors" and result.job.counts == {"created": 9}
    assert "is not valid Turtle" in result.job.errors[0]["message"]["en"]


def test_harvest_errors_survive_pickling():
    error = HarvestError(message("{url} is not valid JSON ({detail}).", url="http://x", detail="line 1"), url="http://x",
                         hint=message("Records not listed are kept; the next run tries again."))
    again = pickle.loads(pickle.dumps(error))
    assert again.message == error.message and again.url == "http://x" and again.hint == error.hint
