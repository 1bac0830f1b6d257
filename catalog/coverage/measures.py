"""The coverage measures on any date, per department, per county/district and city-wide: one computation.

Every output (terminal table, CSV, XLSX, JSON, snapshots, later the dashboard and the API) reads the
:class:`Evaluation` this module computes; nothing else counts. Counts are summed upwards (a district's
ratio is its published items over its expected items, not the mean of its departments' ratios).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, tzinfo

from catalog.coverage.history import CATALOGED, PUBLISHED, REGISTERED, History, end_of_day

# Ratios are compared with the target with this slack, so that 7 of 10 meets 0.7 despite binary floats.
_EPSILON = 1e-9

MET, BELOW, NO_INVENTORY = "met", "below", "no_inventory"
NO_DIVISION = ""


def ratio(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, or ``None`` when there is nothing to divide by ("no inventory", not 100%)."""
    return numerator / denominator if denominator else None


def meets(numerator: int, denominator: int, target: float) -> bool:
    """Whether ``numerator / denominator`` reaches ``target``; never for an empty denominator."""
    return denominator > 0 and numerator / denominator + _EPSILON >= target


@dataclass(frozen=True)
class DepartmentRow:
    """An in-scope department as the measures need it."""

    id: int
    key: str
    name: str
    division: str | None


@dataclass(frozen=True)
class ItemRow:
    """An inventory item as the measures need it: which department expects it, which resource fulfils it."""

    id: int
    department_id: int
    title: str
    source: str = "duty"
    resource_id: int | None = None
    suggested_resource_id: int | None = None
    suggestion_score: float | None = None


@dataclass
class Figures:
    """Counts of one department, district or the city on one date; ratios derive from them."""

    departments: int = 0
    departments_with_inventory: int = 0
    departments_covered: int = 0
    departments_meeting_target: int = 0
    expected: int = 0
    cataloged: int = 0
    registered: int = 0
    published: int = 0
    resources_cataloged: int = 0
    resources_registered: int = 0
    resources_published: int = 0

    def add(self, other: Figures) -> None:
        """Add another group's counts to these."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def department_coverage(self) -> float | None:
        """Departments with at least one published resource ÷ in-scope departments."""
        return ratio(self.departments_covered, self.departments)

    @property
    def ratio_cataloged(self) -> float | None:
        return ratio(self.cataloged, self.expected)

    @property
    def ratio_registered(self) -> float | None:
        return ratio(self.registered, self.expected)

    @property
    def ratio_published(self) -> float | None:
        """Expected items published ÷ expected items: the measure the target applies to."""
        return ratio(self.published, self.expected)

    @property
    def conversion_registered(self) -> float | None:
        """Resources registered ÷ resources cataloged (注册率)."""
        return ratio(self.resources_registered, self.resources_cataloged)

    @property
    def conversion_published(self) -> float | None:
        """Resources published ÷ resources registered (发布率)."""
        return ratio(self.resources_published, self.resources_registered)

    def status(self, target: float) -> str:
        """``met`` when the published ratio reaches the target, ``no_inventory`` without expected items, else ``below``."""
        if not self.expected:
            return NO_INVENTORY
        return MET if meets(self.published, self.expected, target) else BELOW

    def to_dict(self) -> dict:
        """Counts and ratios (rounded to 4 places; ``None`` where the denominator is zero)."""
        data: dict = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("department_coverage", "ratio_cataloged", "ratio_registered", "ratio_published",
                     "conversion_registered", "conversion_published"):
            value = getattr(self, name)
            data[name] = None if value is None else round(value, 4)
        return data


@dataclass
class Evaluation:
    """The measures on one date: per department, per division (GB/T 2260 code) and for the city."""

    day: date
    target: float
    city: Figures
    divisions: dict[str, Figures]
    departments: dict[int, Figures]
    item_stages: dict[int, int] = field(default_factory=dict)


class CoverageData:
    """What coverage is computed from: in-scope departments, their inventory, and the resources' history.

    Denominators are today's: the in-scope departments and the inventory as they are now, also for past
    dates, so that a past figure answers "how far were we then, against what we know is expected".
    """

    def __init__(self, departments: Iterable[DepartmentRow], items: Iterable[ItemRow], history: History):
        self.departments = {d.id: d for d in departments}
        self.items = [item for item in items if item.department_id in self.departments]
        self.history = history

    def evaluate(self, day: date, timezone: tzinfo, target: float) -> Evaluation:
        """Compute every measure at the end of ``day`` in the catalog's time zone.

        :param day: the as-of date; a date before any event gives zeros.
        :param timezone: the catalog's time zone (a day ends at local midnight).
        :param target: the share of expected items to publish (0 < target ≤ 1).
        """
        stages = self.history.stages_at(end_of_day(day, timezone))
        per_department = {department_id: Figures(departments=1) for department_id in self.departments}
        department_of = self.history.department_of()
        for resource_id, stage in stages.items():
            figures = per_department.get(department_of[resource_id])
            if figures is None:
                continue
            figures.resources_cataloged += stage >= CATALOGED
            figures.resources_registered += stage >= REGISTERED
            figures.resources_published += stage >= PUBLISHED
        item_stages: dict[int, int] = {}
        for item in self.items:
            figures = per_department[item.department_id]
            stage = stages.get(item.resource_id, 0) if item.resource_id is not None else 0
            item_stages[item.id] = stage
            figures.expected += 1
            figures.cataloged += stage >= CATALOGED
            figures.registered += stage >= REGISTERED
            figures.published += stage >= PUBLISHED
        city = Figures()
        divisions: dict[str, Figures] = {}
        for department_id, figures in per_department.items():
            figures.departments_with_inventory = int(figures.expected > 0)
            figures.departments_covered = int(figures.resources_published > 0)
            figures.departments_meeting_target = int(meets(figures.published, figures.expected, target))
            division = self.departments[department_id].division or NO_DIVISION
            divisions.setdefault(division, Figures()).add(figures)
            city.add(figures)
        return Evaluation(day, target, city, divisions, per_department, item_stages)
