"""``mulu harvest worker``: due sources run in process, or through an RQ queue on the Redis of this machine."""

from __future__ import annotations

import socket
import uuid

import pytest
from sqlalchemy import select

from catalog.actor import Actor
from catalog.config import Settings
from harvesters.models import HarvestJob, HarvestSource
from harvesters.services import HarvestSourceService
from harvesters.worker import enqueue_due, redis_url, run_worker
from tests.clitools import cli_on_fresh_database
from tests.harvest.test_csw import _next, _serve

REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture
def fresh(tmp_path):
    """A database of its own (the worker commits through the container's sessions)."""
    with cli_on_fresh_database(tmp_path, "worker") as cli:
        container = cli.seed()
        yield cli, container


def _source(container, url: str, name: str = "geo") -> int:
    with container.unit_of_work() as session:
        service = HarvestSourceService(container, session, Actor.system("test"))
        source = service.create({"name": name, "type": "csw", "url": url, "department": "hn-mzj", "schedule": "hourly",
                                 "defaults": {"classification_code": "307"}})
        session.flush()
        return source.id


def _jobs(container) -> list[HarvestJob]:
    with container.unit_of_work() as session:
        jobs = session.scalars(select(HarvestJob)).all()
        return [(job.status, dict(job.counts)) for job in jobs]


def _page(fixtures_dir) -> bytes:
    return _next((fixtures_dir / "pycsw/apiso-expected/post_GetRecords-all.xml").read_bytes(), 0)


def test_in_process_worker_runs_due_sources_once(fresh, fixtures_dir, site, http):
    cli, container = fresh
    _source(container, _serve(site, {1: _page(fixtures_dir)}))
    ticks = []
    run_worker(container, once=True, http=http, on_tick=ticks.append)
    assert _jobs(container) == [("done", {"created": 5})]
    assert len(ticks[0]) == 1
    run_worker(container, once=True, http=http)  # not due again within the hour
    assert len(_jobs(container)) == 1


def test_cli_worker_once_without_redis(fresh, fixtures_dir, site, monkeypatch):
    from harvesters.http import HttpPolicy

    cli, container = fresh
    monkeypatch.setattr("harvesters.runner.HttpPolicy.from_settings",
                        classmethod(lambda cls, settings, **kw: HttpPolicy(allow_private=True)))
    _source(container, _serve(site, {1: _page(fixtures_dir)}))
    result = cli.ok("harvest", "worker", "--once")
    assert "geo: " in result.output and "created 5" in result.output


def _redis():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    redis = pytest.importorskip("redis")
    pytest.importorskip("rq")
    return redis.Redis.from_url(REDIS)


def test_rq_worker_shares_due_sources_through_redis(fresh, fixtures_dir, site, http):
    connection = _redis()
    queue = f"mulu-harvest-test-{uuid.uuid4().hex[:8]}"
    cli, container = fresh
    first = _source(container, _serve(site, {1: _page(fixtures_dir)}), "geo-a")
    geonetwork = (fixtures_dir / "udata/csw/geoplateforme-iso19139-IGNF_RPG.xml").read_bytes()
    second = _source(container, _serve(site, {1: geonetwork}, "/other-csw"), "geo-b")
    try:
        # Two enqueuers (two machines) see the same due sources: each source is queued once.
        assert sorted(enqueue_due(container, connection, queue_name=queue)) == [first, second]
        assert enqueue_due(container, connection, queue_name=queue) == []
        run_worker(container, redis=REDIS, once=True, http=http, queue_name=queue)
        jobs = _jobs(container)
        assert sorted(jobs, key=str) == [("done", {"created": 1}), ("done", {"created": 5})]
        from rq.job import Job

        result = Job.fetch(f"{queue}-source-{first}", connection=connection).return_value()
        assert result["status"] == "done" and result["counts"] == {"created": 5}
    finally:
        for key in connection.scan_iter(f"rq:*{queue}*"):
            connection.delete(key)


def test_redis_url_comes_from_settings_when_configured():
    assert redis_url(Settings.from_env({})) is None
    configured = Settings.from_env({"MULU_REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert redis_url(configured) == "redis://127.0.0.1:6379/0"


def test_run_now_without_redis_runs_in_a_thread_and_a_running_source_is_busy(fresh, fixtures_dir, site, http):
    from harvesters.worker import request_run

    cli, container = fresh
    source_id = _source(container, _serve(site, {1: _page(fixtures_dir)}), "geo-now")
    with container.unit_of_work() as session:
        session.get(HarvestSource, source_id).active = False  # a person may run an inactive source
    started = request_run(container, source_id, client="portal officer", http=http)
    assert started.status == "started"
    started.thread.join(timeout=60)
    assert _jobs(container) == [("done", {"created": 5})]
    with container.unit_of_work() as session:
        assert session.scalars(select(HarvestJob.client)).one() == "portal officer"
        session.add(HarvestJob(source_id=source_id, status="running", settings_hash="", total=0, counts={}, errors=[],
                               client="elsewhere"))
    assert request_run(container, source_id, http=http).status == "busy"


def test_run_now_with_redis_is_queued_once_and_run_by_a_worker(fresh, fixtures_dir, site, http, monkeypatch):
    from harvesters.worker import request_run

    connection = _redis()
    queue = f"mulu-harvest-test-{uuid.uuid4().hex[:8]}"
    cli, container = fresh
    source_id = _source(container, _serve(site, {1: _page(fixtures_dir)}), "geo-queued")
    monkeypatch.setattr("harvesters.worker.redis_url", lambda settings: REDIS)
    try:
        assert request_run(container, source_id, queue_name=queue).status == "queued"
        assert request_run(container, source_id, queue_name=queue).status == "busy"
        run_worker(container, redis=REDIS, once=True, http=http, queue_name=queue)
        assert _jobs(container) == [("done", {"created": 5})]
        with container.unit_of_work() as session:
            assert session.scalars(select(HarvestJob.client)).one() == "portal"
    finally:
        for key in connection.scan_iter(f"rq:*{queue}*"):
            connection.delete(key)
