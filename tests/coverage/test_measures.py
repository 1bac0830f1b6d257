"""Coverage measures on the hand-made city, against hand counts and an independent replay of the history.

The independent computation below shares no code with catalog.coverage: it reads the workflow events
straight from the table, keeps the last state before each cutoff with a plain loop, and counts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from catalog.coverage.service import CoverageService
from catalog.models import Department, InventoryItem, Resource, WorkflowEvent
from tests.coverage.conftest import LOCAL

DATES = [date(2009, 12, 31), date(2010, 1, 8), date(2010, 2, 5), date(2010, 3, 31), date(2010, 6, 30),
         date(2010, 7, 1), date(2010, 8, 31), date(2010, 9, 1), date(2010, 12, 31), date(2030, 1, 1)]


def independent(session, day: date) -> dict:
    """Count everything the report counts, from the raw tables."""
    cutoff = datetime(day.year, day.month, day.day, tzinfo=LOCAL) + timedelta(days=1)
    departments = [d for d in session.scalars(select(Department)) if d.in_scope and d.kind != "internal_unit"]
    stage = {}
    for resource in session.scalars(select(Resource)):
        events = session.scalars(select(WorkflowEvent).where(WorkflowEvent.resource_id == resource.id)
                                 .order_by(WorkflowEvent.id)).all()
        state, had_code = None, False
        for event in events:
            moment = event.created_at if event.created_at.tzinfo else event.created_at.replace(tzinfo=UTC)
            if moment < cutoff:
                state = event.to_status
                had_code = had_code or state in ("registered", "pending_publication", "published", "withdrawn")
        if state in (None, "draft") or (state == "returned" and not had_code):
            stage[resource.id] = 0
        elif state in ("pending_registration", "pending_department_review"):
            stage[resource.id] = 2 if had_code else 1
        elif state == "published":
            stage[resource.id] = 3
        else:  # registered, pending_publication, withdrawn, returned after registration
            stage[resource.id] = 2
    result = {}
    for department in departments:
        resources = [r for r in session.scalars(select(Resource).where(Resource.department_id == department.id))]
        items = session.scalars(select(InventoryItem).where(InventoryItem.department_id == department.id)).all()
        item_stages = [stage[i.resource_id] if i.resource_id else 0 for i in items]
        result[department.key] = {
            "division": department.division,
            "expected": len(items),
            "cataloged": sum(s >= 1 for s in item_stages),
            "registered": sum(s >= 2 for s in item_stages),
            "published": sum(s >= 3 for s in item_stages),
            "resources_cataloged": sum(stage[r.id] >= 1 for r in resources),
            "resources_registered": sum(stage[r.id] >= 2 for r in resources),
            "resources_published": sum(stage[r.id] >= 3 for r in resources),
        }
    return result


def totals(rows: list[dict], target: float = 0.8) -> dict:
    keys = ("expected", "cataloged", "registered", "published", "resources_cataloged", "resources_registered",
            "resources_published")
    total = {key: sum(row[key] for row in rows) for key in keys}
    total["departments"] = len(rows)
    total["departments_with_inventory"] = sum(row["expected"] > 0 for row in rows)
    total["departments_covered"] = sum(row["resources_published"] > 0 for row in rows)
    total["departments_meeting_target"] = sum(row["expected"] > 0 and row["published"] / row["expected"] >= target
                                              for row in rows)
    return total


def figures(line) -> dict:
    return line.figures.to_dict()


@pytest.fixture
def coverage(city):
    return CoverageService(city.container, city.session, city.world.actor("auditor"))


def test_hand_counts_on_the_last_day_of_june(city, coverage):
    report = coverage.report(date(2010, 6, 30))
    by_key = {line.key: figures(line) for line in report.departments}
    assert set(by_key) == {"mzj", "rsj", "ft-mzj", "sx-mzj"}  # no internal unit, nothing out of scope
    mzj = by_key["mzj"]
    # A (R1 published, withdrawn only in September), B (R2 awaiting publication: published at 00:30 on
    # 1 July local time), C (R3 pending registration), D (nothing), E (R4 returned before registration).
    assert (mzj["expected"], mzj["cataloged"], mzj["registered"], mzj["published"]) == (5, 3, 2, 1)
    assert (mzj["resources_cataloged"], mzj["resources_registered"], mzj["resources_published"]) == (3, 2, 1)
    assert mzj["ratio_published"] == 0.2 and report.departments[0].status == "below"
    rsj = by_key["rsj"]  # R6 was returned after registration, resubmitted and published on 20 May
    assert (rsj["expected"], rsj["published"], rsj["ratio_published"]) == (2, 2, 1.0)
    assert {line.key: line.status for line in report.departments} == {
        "mzj": "below", "rsj": "met", "ft-mzj": "no_inventory", "sx-mzj": "below"}
    ft = by_key["ft-mzj"]  # covered (a published resource) but without inventory: no ratio, not 100%
    assert ft["expected"] == 0 and ft["ratio_published"] is None and ft["departments_covered"] == 1
    city_figures = figures(report.city)
    assert (city_figures["departments"], city_figures["departments_with_inventory"], city_figures["departments_covered"],
            city_figures["departments_meeting_target"]) == (4, 3, 3, 1)
    assert (city_figures["expected"], city_figures["cataloged"], city_figures["registered"],
            city_figures["published"]) == (8, 5, 4, 3)
    assert city_figures["ratio_published"] == 0.375 and city_figures["department_coverage"] == 0.75
    assert (city_figures["resources_cataloged"], city_figures["resources_registered"],
            city_figures["resources_published"]) == (6, 5, 4)
    assert city_figures["conversion_registered"] == round(5 / 6, 4) and city_figures["conversion_published"] == 0.8
    divisions = {line.key: figures(line) for line in report.divisions}
    assert {k: (v["departments"], v["expected"], v["published"]) for k, v in divisions.items()} == {
        "340400": (2, 7, 3), "340421": (1, 0, 0), "340422": (1, 1, 0)}
    assert {line.key: line.status for line in report.divisions} == {
        "340400": "below", "340421": "no_inventory", "340422": "below"}


def test_a_day_ends_at_local_midnight(coverage):
    june = {line.key: figures(line) for line in coverage.report(date(2010, 6, 30), trend=False).departments}
    july = {line.key: figures(line) for line in coverage.report(date(2010, 7, 1), trend=False).departments}
    assert (june["mzj"]["published"], july["mzj"]["published"]) == (1, 2)


def test_withdrawn_after_the_date_still_counts_on_it(coverage):
    before = {line.key: figures(line) for line in coverage.report(date(2010, 8, 31), trend=False).departments}
    after = {line.key: figures(line) for line in coverage.report(date(2010, 9, 1), trend=False).departments}
    assert before["mzj"]["published"] == 2 and after["mzj"]["published"] == 1
    assert after["mzj"]["registered"] == 2  # a withdrawn resource keeps its code: still registered
    # R10 (the internal unit's, not in the inventory) counts among the department's published resources.
    assert before["mzj"]["resources_published"] == 3 and after["mzj"]["resources_published"] == 2


def test_a_date_before_any_data_gives_zeros(coverage):
    report = coverage.report(date(2009, 12, 31))
    city = figures(report.city)
    assert city["expected"] == 8 and city["published"] == city["cataloged"] == city["departments_covered"] == 0
    assert city["ratio_published"] == 0.0 and city["department_coverage"] == 0.0
    assert city["conversion_registered"] is None  # nothing cataloged yet: no ratio, not an error
    assert report.city.projection.status == "no_progress"
    assert [point.label for point in report.trend] == ["2009-12"]


@pytest.mark.parametrize("day", DATES, ids=str)
def test_every_figure_matches_the_independent_count(city, coverage, day):
    expected = independent(city.session, day)
    report = coverage.report(day, trend=False)
    keys = ("expected", "cataloged", "registered", "published", "resources_cataloged", "resources_registered",
            "resources_published")
    for line in report.departments:
        assert {k: figures(line)[k] for k in keys} == {k: expected[line.key][k] for k in keys}, line.key
    for line in report.divisions:
        rows = [row for row in expected.values() if row["division"] == line.key]
        assert {k: figures(line)[k] for k in (*keys, "departments", "departments_covered",
                                              "departments_meeting_target")} == {
            k: totals(rows)[k] for k in (*keys, "departments", "departments_covered", "departments_meeting_target")}
    assert {k: figures(report.city)[k] for k in totals(list(expected.values()))} == totals(list(expected.values()))


def test_the_trend_has_one_point_per_period_end(city, coverage):
    report = coverage.report(date(2010, 9, 15), period="quarter")
    assert [(p.label, p.day) for p in report.trend] == [
        ("2010-Q1", date(2010, 3, 31)), ("2010-Q2", date(2010, 6, 30)), ("2010-Q3", date(2010, 9, 15))]
    for point in report.trend:
        assert point.city.published == totals(list(independent(city.session, point.day).values()))["published"]
    monthly = coverage.report(date(2010, 3, 31))
    assert [p.label for p in monthly.trend] == ["2010-01", "2010-02", "2010-03"]


def test_the_projection_follows_the_documented_formula(coverage):
    report = coverage.report(date(2010, 6, 30), window_months=6)
    projection = report.city.projection
    # 3 of 8 published now, none on 30 Dec 2009: 0.375 in 6 months, 0.0625 a month; 0.425 to go = 6.8 months.
    assert projection.current == 0.375 and projection.previous == 0.0
    assert projection.pace_per_month == pytest.approx(0.0625)
    days = 6.8 * 365.25 / 12
    assert projection.projected_date == date(2010, 6, 30) + timedelta(days=int(days) + 1)
    assert projection.status == "late"  # after the plan's 2010-12-31
    rsj = next(line for line in report.departments if line.key == "rsj")
    assert rsj.projection.status == "reached"
    ft = next(line for line in report.departments if line.key == "ft-mzj")
    assert ft.projection.status == "no_inventory"


def test_an_officer_sees_only_their_department(city):
    from catalog.errors import PermissionDeniedError

    officer = CoverageService(city.container, city.session, city.world.actor("officer"))
    with pytest.raises(PermissionDeniedError):
        officer.report(date(2010, 6, 30))
    own = officer.report(date(2010, 6, 30), department_id=city.world.mzj.id)
    assert [line.key for line in own.departments] == ["mzj"] and own.city.figures.expected == 5
    with pytest.raises(PermissionDeniedError):
        officer.report(date(2010, 6, 30), department_id=city.world.rsj.id)


def test_missing_items_say_where_each_stands(coverage):
    report = coverage.report(date(2010, 6, 30))
    mzj = next(line for line in report.departments if line.key == "mzj")
    assert [(item.title, item.stage, item.resource.title if item.resource else None) for item in mzj.missing] == [
        ("特困人员供养信息", 2, "特困人员救助供养信息"), ("婚姻登记", 1, "婚姻登记信息"),
        ("残疾人两项补贴发放信息", 0, None), ("收养登记", 0, "收养登记信息")]


def test_a_snapshot_keeps_the_figures_as_reported(city):
    from catalog.errors import PermissionDeniedError
    from catalog.models import AuditEvent

    with pytest.raises(PermissionDeniedError):
        CoverageService(city.container, city.session, city.world.actor("auditor")).snapshot(date(2010, 6, 30))
    service = CoverageService(city.container, city.session, city.world.actor("manager"))
    snapshot = service.snapshot(date(2010, 6, 30))
    assert snapshot.as_of == date(2010, 6, 30) and snapshot.target == 0.8
    assert snapshot.figures["city"]["published"] == 3 and "trend" not in snapshot.figures
    assert "missing" not in snapshot.figures["departments"][0]
    assert service.snapshots()[-1].id == snapshot.id
    assert city.session.scalars(select(AuditEvent).where(AuditEvent.action == "coverage.snapshot")).first()


def test_the_target_is_a_setting(city):
    from catalog.container import Container

    container = Container(settings=city.container.settings.replace(coverage_target=0.2,
                                                                   coverage_target_date=date(2011, 6, 30)),
                          engine=city.container.engine, session_factory=city.container.session_factory)
    report = CoverageService(container, city.session, city.world.actor("auditor")).report(date(2010, 6, 30))
    assert {line.key: line.status for line in report.departments}["mzj"] == "met"  # 1 of 5 = 0.2
    assert report.city.projection.target_date == date(2011, 6, 30)
    assert report.city.figures.departments_meeting_target == 2
