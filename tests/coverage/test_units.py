"""Pure building blocks: stages of states, the replay, periods, projection, text similarity, link health."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from catalog.coverage.history import EventRow, History, ResourceRow, end_of_day, stage_of
from catalog.coverage.measures import Figures, meets, ratio
from catalog.coverage.projection import months_before, period_end, period_ends, period_label, project
from catalog.coverage.similarity import bigrams, dice, fold, jaccard, place_names, split_names, strip_places
from tests.coverage.conftest import LOCAL


@pytest.mark.parametrize(("state", "registered", "stage"), [
    ("draft", False, 0), ("pending_department_review", False, 1), ("pending_department_review", True, 2),
    ("pending_registration", False, 1), ("registered", True, 2), ("pending_publication", True, 2),
    ("published", True, 3), ("withdrawn", True, 2), ("returned", False, 0), ("returned", True, 2),
    ("something_new", False, 0),
])
def test_stage_of_each_state(state, registered, stage):
    assert stage_of(state, registered) == stage


def test_end_of_day_is_local_midnight_in_utc():
    assert end_of_day(date(2010, 6, 30), LOCAL) == datetime(2010, 6, 30, 16, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_replay_orders_events_by_time_then_id_and_reads_naive_times_as_utc():
    resources = [ResourceRow(1, 10, "published", utc("2010-01-01")), ResourceRow(2, 10, "published", utc("2010-01-01"))]
    events = [
        EventRow(1, datetime(2010, 1, 3), "published", 4),  # naive, as SQLite returns it
        EventRow(1, utc("2010-01-02"), "registered", 2),
        EventRow(1, utc("2010-01-02"), "pending_publication", 3),
        EventRow(1, utc("2010-01-01"), "pending_registration", 1),
    ]
    history = History(resources, events)
    assert history.stages_at(utc("2010-01-01 12:00"))[1] == 1
    assert history.stages_at(utc("2010-01-02 12:00"))[1] == 2
    assert history.stages_at(utc("2010-01-04"))[1] == 3
    # A resource stored without events counts in its current state since its creation.
    assert history.stages_at(utc("2009-12-31"))[2] == 0 and history.stages_at(utc("2010-01-02"))[2] == 3
    assert history.first_event() == utc("2010-01-01")


def test_ratios_never_divide_by_zero():
    assert ratio(1, 0) is None and ratio(0, 4) == 0.0
    assert meets(7, 10, 0.7) and not meets(0, 0, 0.8) and not meets(3, 4, 0.8) and meets(4, 5, 0.8)
    assert Figures().status(0.8) == "no_inventory"
    assert Figures(expected=5, published=4).status(0.8) == "met"


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2010, 6, 30), 6, date(2009, 12, 30)), (date(2010, 5, 31), 3, date(2010, 2, 28)),
    (date(2012, 5, 31), 3, date(2012, 2, 29)), (date(2010, 1, 15), 1, date(2009, 12, 15)),
])
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def test_periods():
    assert period_end(date(2010, 2, 3), "month") == date(2010, 2, 28)
    assert period_end(date(2010, 5, 3), "quarter") == date(2010, 6, 30)
    assert period_label(date(2010, 5, 3), "quarter") == "2010-Q2" and period_label(date(2010, 5, 3), "month") == "2010-05"
    assert period_ends(date(2010, 1, 20), date(2010, 3, 10), "month") == [
        date(2010, 1, 31), date(2010, 2, 28), date(2010, 3, 10)]
    assert period_ends(None, date(2010, 3, 10), "month") == [date(2010, 3, 10)]
    assert period_ends(date(2011, 1, 1), date(2010, 3, 10), "quarter") == [date(2010, 3, 10)]
    with pytest.raises(ValueError):
        period_ends(None, date(2010, 1, 1), "week")


def test_projection_statuses():
    common = dict(target=0.8, target_date=date(2010, 12, 31), window_months=6)
    assert project(Figures(), Figures(), date(2010, 6, 30), **common).status == "no_inventory"
    reached = project(Figures(expected=10, published=8), Figures(expected=10), date(2010, 6, 30), **common)
    assert reached.status == "reached" and reached.projected_date is None
    flat = project(Figures(expected=10, published=3), Figures(expected=10, published=3), date(2010, 6, 30), **common)
    assert flat.status == "no_progress" and flat.pace_per_month == 0
    falling = project(Figures(expected=10, published=2), Figures(expected=10, published=3), date(2010, 6, 30), **common)
    assert falling.status == "no_progress"
    # 0.2 → 0.5 in 6 months: 0.05 a month, 0.3 to go = 6 months = 182.625 days → 183 days.
    on = project(Figures(expected=10, published=5), Figures(expected=10, published=2), date(2010, 3, 1), **common)
    assert on.projected_date == date(2010, 8, 31) and on.status == "on_track"
    late = project(Figures(expected=10, published=5), Figures(expected=10, published=2), date(2010, 9, 1), **common)
    assert late.status == "late" and late.to_dict()["projected_date"] == "2011-03-03"
    crawl = project(Figures(expected=10 ** 6, published=2), Figures(expected=10 ** 6, published=1), date(2010, 1, 1),
                    **common)
    assert crawl.status == "no_progress"  # centuries away is no pace worth a date


def test_folding_and_bigrams():
    assert fold(" 公民身份号码（18位） ") == "公民身份号码18位"
    assert fold("ＧＤＰ　数据") == "gdp数据"
    assert bigrams(fold("城乡低保")) == {"城乡", "乡低", "低保"} and bigrams("低") == {"低"} and bigrams("") == frozenset()
    assert dice(frozenset("ab"), frozenset("bc")) == 0.5 and jaccard(frozenset("ab"), frozenset("bc")) == pytest.approx(1 / 3)
    assert dice(frozenset(), frozenset()) == 0.0


def test_place_names_are_stripped_longest_first():
    places = place_names(["淮南市", "淮南", "凤台县", "寿县", "Huainan"])
    assert places.index("淮南市") < places.index("淮南") and "huainan" in places
    assert "凤台" in places and "寿" not in places
    assert strip_places(fold("淮南市城乡低保对象信息"), places) == "城乡低保对象信息"
    assert strip_places(fold("凤台县低保"), places) == "低保"
    assert strip_places(fold("淮南市"), places) == "淮南市"  # nothing else left: keep the text


def test_split_names():
    assert split_names("姓名、身份证号码；性别,姓名\n出生日期") == ["姓名", "身份证号码", "性别", "出生日期"]
    assert split_names(None) == []


def test_a_link_breaks_only_after_repeated_failures(session):
    from catalog.coverage.links import BROKEN_AFTER, record_result

    url = "https://data.huainan.example/files/links-test.zip"
    for attempt in range(1, BROKEN_AFTER):
        check = record_result(session, url, ok=False, error="timeout")
        assert check.failures == attempt and not check.broken
    check = record_result(session, url, ok=False, status_code=404)
    assert check.broken and check.failures == BROKEN_AFTER
    check = record_result(session, url, ok=True, status_code=200)
    assert not check.broken and check.failures == 0 and check.last_ok_at is not None
