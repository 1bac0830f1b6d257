"""Trend periods (month or quarter ends) and the projection of the date the target is reached at the current pace."""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta

from catalog.coverage.measures import Figures, meets

PERIODS = ("month", "quarter")
DEFAULT_WINDOW_MONTHS = 6
MAX_PERIODS = 240  # twenty years of months: older history is left out of a trend
DAYS_PER_MONTH = 365.25 / 12
MAX_YEARS_AHEAD = 100  # a pace that needs longer than this is no progress worth a date

REACHED, ON_TRACK, LATE, NO_PROGRESS, NO_INVENTORY = "reached", "on_track", "late", "no_progress", "no_inventory"


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, clipped to the end of a shorter month (31 May − 3 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(day: date, period: str) -> date:
    """The last day of the month or quarter that contains ``day``."""
    month = day.month if period == "month" else ((day.month - 1) // 3 + 1) * 3
    return date(day.year, month, calendar.monthrange(day.year, month)[1])


def period_label(day: date, period: str) -> str:
    """``2010-06`` for a month, ``2010-Q2`` for a quarter."""
    return f"{day.year}-{day.month:02d}" if period == "month" else f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def period_ends(first: date | None, last: date, period: str) -> list[date]:
    """The ends of every period from the one containing ``first`` to ``last`` (itself the final point).

    :param first: the earliest date with data; ``None`` gives ``[last]`` alone.
    :param last: the as-of date; the last period is cut at it.
    :param period: ``month`` or ``quarter``.
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
    if first is None or first > last:
        return [last]
    ends: list[date] = []
    end = period_end(first, period)
    while end < last:
        ends.append(end)
        end = period_end(end + timedelta(days=1), period)
    ends.append(last)
    return ends[-MAX_PERIODS:]


@dataclass(frozen=True)
class Projection:
    """When the published ratio reaches the target if it keeps growing as it did over the last months.

    ``status`` is ``reached`` (already), ``on_track`` (by the target date), ``late`` (after it),
    ``no_progress`` (the pace is zero or negative: not reached at the current pace) or ``no_inventory``.
    """

    status: str
    current: float | None
    previous: float | None
    pace_per_month: float | None
    window_months: int
    projected_date: date | None
    target: float
    target_date: date

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "current": None if self.current is None else round(self.current, 4),
            "previous": None if self.previous is None else round(self.previous, 4),
            "pace_per_month": None if self.pace_per_month is None else round(self.pace_per_month, 6),
            "window_months": self.window_months,
            "projected_date": self.projected_date.isoformat() if self.projected_date else None,
            "target": self.target,
            "target_date": self.target_date.isoformat(),
        }


def project(now: Figures, then: Figures, as_of: date, *, target: float, target_date: date,
            window_months: int = DEFAULT_WINDOW_MONTHS) -> Projection:
    """Project linearly: pace = (published ratio now − ratio ``window_months`` ago) ÷ ``window_months``.

    :param now: the figures on the as-of date.
    :param then: the figures ``window_months`` before it (same inventory, earlier history).
    :param as_of: the as-of date.
    :param target: the share of expected items to publish.
    :param target_date: when the target is due.
    :param window_months: the months the pace is measured over (at least 1).
    """
    window_months = max(1, window_months)
    current, previous = now.ratio_published, then.ratio_published
    common = dict(current=current, previous=previous, window_months=window_months, target=target,
                  target_date=target_date)
    if current is None:
        return Projection(NO_INVENTORY, pace_per_month=None, projected_date=None, **common)
    pace = (current - (previous or 0.0)) / window_months
    if meets(now.published, now.expected, target):
        return Projection(REACHED, pace_per_month=pace, projected_date=None, **common)
    days = (target - current) / pace * DAYS_PER_MONTH if pace > 0 else None
    if days is None or days > MAX_YEARS_AHEAD * 365.25:
        return Projection(NO_PROGRESS, pace_per_month=pace, projected_date=None, **common)
    projected = as_of + timedelta(days=math.ceil(days - 1e-9))  # part of a day rounds up: not reached before it
    return Projection(ON_TRACK if projected <= target_date else LATE, pace_per_month=pace, projected_date=projected,
                      **common)
