"""Notifications: a job that fails, times out or ends with errors tells the owning department's officers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from catalog.actor import Actor
from catalog.errors import NotFoundError
from catalog.models import Notification
from catalog.services.notification import NotificationService, render
from catalog.services.user import actor_for
from harvesters.models import HarvestJob
from harvesters.runner import reap_stuck_jobs
from tests.catalog.factories import make_department, make_user
from tests.harvest.test_ckan import serve_ckan


def _package(id_, title, **extra):
    return {"id": id_, "name": id_, "title": title, "notes": "说明", "metadata_modified": "2026-01-01T00:00:00",
            "resources": [], "tags": [], **extra}


def _inbox(world, who: str = "officer", department: str = "mzj", **kwargs) -> list[Notification]:
    return NotificationService(world.container, world.session, world.actor(who, department)).list(**kwargs)


def _broken(site) -> str:
    site.add("/api/3/action/package_search", "oops", status=500, content_type="text/plain")
    return site.base


def test_a_failed_job_notifies_the_departments_officers_with_a_link_to_the_job(site, sources, harvest, world):
    result = harvest(sources("broken", "ckan", _broken(site), title="民政门户"))
    assert result.job.status == "failed"
    [notice] = _inbox(world)
    assert notice.kind == "harvest_failed" and notice.user_id == world.users["officer_mzj"].id
    assert (notice.object_type, notice.object_id) == ("harvest_job", result.job.id)
    zh, en = render(notice, "zh_CN"), render(notice, "en")
    assert zh.subject == "采集源“民政门户”采集失败。" and en.subject == "The harvest of 民政门户 failed."
    assert f"Job {result.job.id} ended “failed” after 0 records" in en.body and "First problem:" in en.body
    assert f"任务 {result.job.id} 以“失败”结束" in zh.body and "500" in zh.body
    # Nobody else hears of it: not the other department, not the reviewers.
    assert _inbox(world, "officer", "rsj") == [] and _inbox(world, "reviewer") == []


def test_a_good_job_and_a_dry_run_notify_nobody(site, sources, harvest, world):
    serve_ckan(site, [_package("p1", "人口数据")])
    assert harvest(sources("fine", "ckan", site.base)).job.status == "done"
    site.routes.clear()
    site.handlers.clear()
    harvest(sources("dry", "ckan", _broken(site)), dry_run=True)
    assert _inbox(world) == []


def test_record_errors_notify_with_the_counts(site, sources, harvest, world):
    serve_ckan(site, [_package("p1", "人口数据"), _package("p2", "")])
    result = harvest(sources("partial", "ckan", site.base))
    assert result.job.status == "done_with_errors"
    [notice] = _inbox(world)
    assert notice.kind == "harvest_done_with_errors"
    assert render(notice, "en").body.startswith(f"Job {result.job.id} ended “done with errors” after 2 records: 1 could")


def test_a_source_failing_again_refreshes_the_unread_notice_instead_of_adding_one(site, sources, harvest, world, clock):
    source = sources("flaky", "ckan", _broken(site))
    first = harvest(source)
    clock.advance(hours=1)
    second = harvest(source)
    [notice] = _inbox(world)
    assert notice.repeats == 2 and notice.object_id == second.job.id != first.job.id
    service = NotificationService(world.container, world.session, world.actor("officer"))
    assert service.count(unread=True) == 1
    service.mark_read(notice.id)
    assert service.count(unread=True) == 0
    clock.advance(hours=1)
    harvest(source)
    assert [n.repeats for n in _inbox(world)] == [1, 2] and service.count(unread=True) == 1


def test_an_internal_units_source_tells_the_officers_above_it(site, sources, harvest, world):
    harvest(sources("unit", "ckan", _broken(site), department="mzj-shjz"))
    [notice] = _inbox(world)
    assert notice.department_id == world.mzj.id


def test_a_department_without_officers_gets_the_notice_for_its_future_officers(site, sources, harvest, world,
                                                                                 container, session):
    department = make_department(session, "tjj", "淮南市统计局", segment="017")
    result = harvest(sources("lonely", "ckan", _broken(site), department="tjj"))
    [notice] = session.scalars(select(Notification).where(Notification.object_id == result.job.id)).all()
    assert notice.user_id is None and notice.department_id == department.id
    officer = make_user(container, session, "officer.tjj", "officer", department=department)
    reviewer = make_user(container, session, "reviewer.tjj", "reviewer", department=department)
    assert NotificationService(container, session, actor_for(session, reviewer)).list() == []
    service = NotificationService(container, session, actor_for(session, officer))
    assert service.list() == [notice]
    service.mark_all_read()
    assert service.count(unread=True) == 0 and service.count() == 1


def test_the_reaper_notifies_of_the_job_it_ends(site, sources, session, container, world, clock):
    source = sources("stuck", "ckan", site.base)
    job = HarvestJob(source_id=source.id, status="running", started_at=clock(), heartbeat_at=clock(), settings_hash="",
                     total=0, counts={}, errors=[], client="test")
    session.add(job)
    session.flush()
    assert reap_stuck_jobs(session, clock() + timedelta(hours=1), container=container) == [job]
    [notice] = _inbox(world)
    assert notice.kind == "harvest_timed_out" and notice.object_id == job.id
    assert "signs of life" in render(notice, "en").body


def test_a_notification_that_cannot_be_written_never_costs_the_job_its_state(site, sources, harvest, world, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("notifications table is gone")

    monkeypatch.setattr(NotificationService, "notify_department", refuse)
    result = harvest(sources("quiet", "ckan", _broken(site)))
    assert result.job.status == "failed" and result.job.finished_at is not None
    assert _inbox(world) == []


def test_readers_see_only_their_own_notifications(world, container, session):
    system = NotificationService(container, session, Actor.system("test"))
    from catalog.i18n import message

    mine = system.notify_user(world.users["officer_rsj"].id, "test", message("Notification {id} was not found.", id=7))
    with pytest.raises(NotFoundError):
        NotificationService(container, session, world.actor("officer")).mark_read(mine.id)
    with pytest.raises(NotFoundError):
        NotificationService(container, session, Actor.anonymous()).get(mine.id)
    assert NotificationService(container, session, Actor.anonymous()).count() == 0
    reader = NotificationService(container, session, world.actor("officer", "rsj"))
    assert reader.get(mine.id).read_at is None
    assert reader.mark_read(mine.id).read_at is not None
    assert render(mine, "zh_CN").subject == "未找到通知 7。"
