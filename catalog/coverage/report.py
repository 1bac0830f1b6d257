"""The coverage report: the measures of one as-of date with projections, the trend and the missing items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from catalog.coverage.history import STAGES
from catalog.coverage.measures import NO_DIVISION, Figures
from catalog.coverage.projection import Projection
from catalog.i18n import Text

STATUS_LABELS = {
    "met": Text({"zh": "达标", "en": "Target met"}),
    "below": Text({"zh": "未达标", "en": "Below target"}),
    "no_inventory": Text({"zh": "无清单", "en": "No inventory"}),
}
PROJECTION_LABELS = {
    "reached": Text({"zh": "已达到", "en": "Reached"}),
    "on_track": Text({"zh": "按期可达", "en": "On track"}),
    "late": Text({"zh": "逾期达到", "en": "Late"}),
    "no_progress": Text({"zh": "按当前进度无法达到", "en": "Not reached at the current pace"}),
    "no_inventory": Text({"zh": "无清单", "en": "No inventory"}),
}
STAGE_LABELS = {
    "not_cataloged": Text({"zh": "未编目", "en": "Not cataloged"}),
    "cataloged": Text({"zh": "已编目", "en": "Cataloged"}),
    "registered": Text({"zh": "已注册", "en": "Registered"}),
    "published": Text({"zh": "已发布", "en": "Published"}),
}
SOURCE_LABELS = {
    "duty": Text({"zh": "职责", "en": "Duty"}),
    "matter": Text({"zh": "事项", "en": "Administrative matter"}),
    "system": Text({"zh": "信息系统", "en": "Information system"}),
}
NO_DIVISION_NAME = Text({"zh": "未指定区划", "en": "No division"})


@dataclass(frozen=True)
class ResourceRef:
    """A resource named in the report: a confirmed link or a suggestion."""

    id: int
    title: str
    code: str | None
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "code": self.code, "status": self.status}


@dataclass(frozen=True)
class MissingItem:
    """An expected item not yet published on the as-of date: where it stands and what may fulfil it."""

    id: int
    title: str
    source: str
    stage: int
    resource: ResourceRef | None = None
    suggestion: ResourceRef | None = None
    suggestion_score: float | None = None

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "stage": STAGES[self.stage],
            "stage_label": STAGE_LABELS[STAGES[self.stage]].render(locale),
            "resource": self.resource.to_dict() if self.resource else None,
            "suggestion": self.suggestion.to_dict() if self.suggestion else None,
            "suggestion_score": None if self.suggestion_score is None else round(self.suggestion_score, 3),
        }


@dataclass
class Line:
    """One row of the report: the city, a division or a department, with its figures and projection."""

    scope: str  # "city", "division" or "department"
    key: str
    name: Text | str
    figures: Figures
    status: str
    projection: Projection | None = None
    division: str | None = None
    division_name: Text | str | None = None
    level: str | None = None
    id: int | None = None
    missing: list[MissingItem] = field(default_factory=list)

    def label(self, locale: str | None = None) -> str:
        return self.name.render(locale) if isinstance(self.name, Text) else self.name

    def division_label(self, locale: str | None = None) -> str:
        name = self.division_name
        return name.render(locale) if isinstance(name, Text) else (name or "")

    def to_dict(self, locale: str | None = None, *, missing: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"scope": self.scope, "key": self.key, "name": self.label(locale)}
        if self.id is not None:
            data["id"] = self.id
        if self.scope == "department":
            data.update(division=self.division, division_name=self.division_label(locale))
        if self.level is not None:
            data["level"] = self.level
        data.update(self.figures.to_dict())
        data.update(status=self.status, status_label=STATUS_LABELS[self.status].render(locale))
        if self.projection is not None:
            data["projection"] = self.projection.to_dict()
        if self.scope == "department" and missing:
            data["missing"] = [item.to_dict(locale) for item in self.missing]
        return data


@dataclass(frozen=True)
class TrendPoint:
    """The city's and each division's figures at the end of one month or quarter."""

    label: str
    day: date
    city: Figures
    divisions: dict[str, Figures]

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.label, "date": self.day.isoformat(), "city": self.city.to_dict(),
                "divisions": {code or NO_DIVISION: figures.to_dict() for code, figures in self.divisions.items()}}


@dataclass
class CoverageReport:
    """Everything the coverage outputs show; built once by :class:`~catalog.coverage.service.CoverageService`."""

    as_of: date
    target: float
    target_date: date
    window_months: int
    period: str
    city: Line
    divisions: list[Line]
    departments: list[Line]
    trend: list[TrendPoint] = field(default_factory=list)

    def lines(self, by: str) -> list[Line]:
        """The city line followed by the division or department lines."""
        if by not in ("division", "department"):
            raise ValueError(f"unknown grouping {by!r}; use division or department")
        return [self.city, *(self.divisions if by == "division" else self.departments)]

    def to_dict(self, locale: str | None = None, *, trend: bool = True, missing: bool = True) -> dict[str, Any]:
        """The report as JSON (``mulu coverage report --format json``, snapshots, later the API)."""
        data: dict[str, Any] = {
            "as_of": self.as_of.isoformat(),
            "target": self.target,
            "target_date": self.target_date.isoformat(),
            "window_months": self.window_months,
            "city": self.city.to_dict(locale),
            "divisions": [line.to_dict(locale) for line in self.divisions],
            "departments": [line.to_dict(locale, missing=missing) for line in self.departments],
        }
        if trend:
            data["period"] = self.period
            data["trend"] = [point.to_dict() for point in self.trend]
        return data
