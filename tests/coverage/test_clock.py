"""The injectable clock: services stamp history with ``Container.clock``, and the demo spreads its history over months."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from catalog.actor import Actor
from catalog.config import Settings
from catalog.container import Container
from catalog.coverage.service import CoverageService
from catalog.db import utcnow
from catalog.demo.builder import PATHS, build_demo
from catalog.demo.timeline import HISTORY_MONTHS, MARGIN, history_start, plan_times
from catalog.models import AuditEvent, Resource, Revision, WorkflowEvent
from tests.catalog.factories import WORKFLOW_PATHS, advance, resource_input
from tests.clitools import throwaway_database

FROZEN = datetime(2010, 3, 15, 23, 30, tzinfo=UTC)  # 2010-03-16 07:30 in Shanghai: the local date differs


def test_the_default_clock_is_now_in_utc(container):
    before = datetime.now(UTC)
    moment = container.clock()
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= moment <= datetime.now(UTC) + timedelta(seconds=1)
    assert container.today() == datetime.now(container.timezone).date()


def test_services_stamp_history_with_the_clock(world, monkeypatch):
    monkeypatch.setattr(world.container, "clock", lambda: FROZEN)
    service = world.service("admin")
    resource = service.create(resource_input(world.mzj, title="时钟测试资源"))
    advance(service, resource.id, WORKFLOW_PATHS["published"])
    session = world.session
    assert {as_utc(t) for t in session.scalars(select(WorkflowEvent.created_at)
                                               .where(WorkflowEvent.resource_id == resource.id))} == {FROZEN}
    assert {as_utc(t) for t in session.scalars(select(Revision.created_at)
                                               .where(Revision.resource_id == resource.id))} == {FROZEN}
    audited = session.scalars(select(AuditEvent.created_at).where(AuditEvent.object_type == "resource",
                                                                  AuditEvent.object_id == str(resource.id)))
    assert {as_utc(t) for t in audited} == {FROZEN}
    assert {as_utc(resource.created_at), as_utc(resource.updated_at), as_utc(resource.registered_at),
            as_utc(resource.published_at)} == {FROZEN}
    assert resource.published_on == date(2010, 3, 16)  # the local date of the clock's moment


def test_coverage_and_quality_judge_today_by_the_clock(world, monkeypatch):
    monkeypatch.setattr(world.container, "clock", lambda: FROZEN)
    assert CoverageService(world.container, world.session, world.actor("auditor")).report(trend=False).as_of \
        == date(2010, 3, 16)


def test_plan_times_spreads_each_path_in_order_and_is_deterministic():
    until = datetime(2026, 6, 30, 12, tzinfo=UTC)
    paths = [PATHS["published"], PATHS["withdrawn"], (), PATHS["returned"]] * 25
    late = [False] * 90 + [True] * 10
    planned = plan_times(paths, until, random.Random(7), late=late)
    assert planned == plan_times(paths, until, random.Random(7), late=late)
    start = history_start(until)
    assert start == until - timedelta(days=HISTORY_MONTHS * 365.25 / 12)
    for moments, actions in zip(planned, paths, strict=True):
        assert len(moments) == len(actions) + 1
        assert moments == sorted(moments) and start <= moments[0] and moments[-1] <= until - MARGIN
    firsts = [moments[0] for moments in planned]
    assert min(firsts[90:]) > start + (until - start) * 0.7  # resources citing others come late
    months = {(m.year, m.month) for m in firsts[:90]}
    assert len(months) >= HISTORY_MONTHS - 3  # the work is spread over the period, not on one day


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("clock-demo")
    with throwaway_database(directory, "demo") as url:
        container = Container.from_settings(Settings(instance_path=directory / "instance", database_url=url))
        until = datetime(2026, 6, 30, 4, tzinfo=UTC)
        build_demo(container, resource_count=30, password="pw123456", until=until)
        container.until = until
        yield container
        container.dispose()


def test_the_demo_history_spans_months_and_the_clock_is_given_back(demo):
    assert demo.clock is utcnow
    with demo.unit_of_work() as session:
        first, last = session.execute(select(func.min(WorkflowEvent.created_at),
                                             func.max(WorkflowEvent.created_at))).one()
        assert history_start(demo.until) <= as_utc(first) < as_utc(last) <= demo.until
        assert (as_utc(last) - as_utc(first)).days > 300
        created = session.scalars(select(Resource.created_at)).all()
        assert len({(t.year, t.month) for t in created}) > 6


def test_the_demo_trend_rises_and_the_projection_has_a_pace(demo):
    with demo.unit_of_work() as session:
        report = CoverageService(demo, session, Actor.system("test")).report(demo.until.date())
    published = [point.city.published for point in report.trend]
    assert len(published) >= HISTORY_MONTHS - 1 and published[0] < published[-1]
    assert report.city.projection.pace_per_month and report.city.projection.pace_per_month > 0


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
