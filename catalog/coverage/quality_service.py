"""QualityService: scores every catalogued resource and rolls the scores up per department and city-wide."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalog.coverage import access
from catalog.coverage.quality import WEIGHTS, ResourceQuality, Rollup, assess, rollup
from catalog.i18n import message
from catalog.models import Department, LinkCheck, Resource
from catalog.permissions import require
from catalog.serialize import resource_to_json
from catalog.services.base import Service


@dataclass
class DepartmentQuality:
    """A department's rolled-up quality."""

    id: int
    key: str
    name: str
    division: str | None
    rollup: Rollup

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "name": self.name, "division": self.division, **self.rollup.to_dict()}


@dataclass
class QualityReport:
    """Scores per resource, per department and for the city on one day, with the weights used."""

    day: date
    city: Rollup
    departments: list[DepartmentQuality]
    resources: list[ResourceQuality] = field(default_factory=list)

    def to_dict(self, *, resources: bool = True) -> dict[str, Any]:
        data = {"date": self.day.isoformat(), "weights": dict(WEIGHTS), "city": self.city.to_dict(),
                "departments": [d.to_dict() for d in self.departments]}
        if resources:
            data["resources"] = [r.to_dict() for r in self.resources]
        return data


class QualityService(Service):
    """Read-only: quality is computed on demand from the stored metadata and link checks."""

    def report(self, *, department_id: int | None = None, include_drafts: bool = False,
               today: date | None = None) -> QualityReport:
        """Score the resources (every state but drafts, unless ``include_drafts``) and roll the scores up.

        :param department_id: only this department (an officer's own view).
        :param include_drafts: score drafts too (they are unfinished by nature, so left out by default).
        :param today: the day timeliness is judged on; today in the catalog's time zone when omitted.
        :returns: the report; departments without scored resources have a ``None`` score.
        :raises PermissionDeniedError: when the actor may not read these figures.
        """
        require(access.can_view_coverage(self.actor, department_id), message("read quality reports"))
        timezone = self.container.timezone
        today = today or self.container.today()
        query = (select(Resource).options(selectinload(Resource.items), selectinload(Resource.distributions))
                 .order_by(Resource.department_id, Resource.id))
        if department_id is not None:
            query = query.where(Resource.department_id == department_id)
        if not include_drafts:
            query = query.where(Resource.status != "draft")
        resources = list(self.session.scalars(query))
        urls = {d.url for r in resources for d in r.distributions if d.url}
        checks = {c.url: c for c in self.session.scalars(select(LinkCheck).where(LinkCheck.url.in_(urls)))} if urls else {}
        profile, vocab = self.container.profile, self.container.vocab
        scored = [
            ResourceQuality(r.id, r.title, r.department_id, r.status, assess(
                resource_to_json(r, profile, timezone), profile=profile, vocab=vocab, checks=checks, today=today,
                timezone=timezone, updated_at=r.updated_at))
            for r in resources
        ]
        by_department: dict[int, list[ResourceQuality]] = {}
        for score in scored:
            by_department.setdefault(score.department_id, []).append(score)
        departments_query = select(Department).where(Department.kind != "internal_unit")
        if department_id is not None:
            departments_query = departments_query.where(Department.id == department_id)
        departments = [
            DepartmentQuality(d.id, d.key, d.name, d.division, rollup(by_department.get(d.id, [])))
            for d in self.session.scalars(departments_query.order_by(Department.division, Department.catalog_segment,
                                                                     Department.id))
            if d.in_scope or d.id in by_department
        ]
        return QualityReport(today, rollup(scored), departments, scored)
