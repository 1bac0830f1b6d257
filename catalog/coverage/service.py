"""CoverageService: loads what coverage is computed from, builds the report, trends and snapshots."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from catalog.coverage import access
from catalog.coverage.history import PUBLISHED, EventRow, History, ResourceRow
from catalog.coverage.measures import NO_DIVISION, CoverageData, DepartmentRow, Evaluation, Figures, ItemRow
from catalog.coverage.projection import (
    DEFAULT_WINDOW_MONTHS,
    months_before,
    period_ends,
    period_label,
    project,
)
from catalog.coverage.report import (
    NO_DIVISION_NAME,
    CoverageReport,
    Line,
    MissingItem,
    ResourceRef,
    TrendPoint,
)
from catalog.i18n import Text, message
from catalog.models import CoverageSnapshot, Department, InventoryItem, Resource, WorkflowEvent
from catalog.permissions import require
from catalog.services.base import Service


def in_scope_departments(session, department_ids: Iterable[int] | None = None) -> list[Department]:
    """The departments coverage counts: in scope, and not internal units (their resources are their department's)."""
    query = select(Department).where(Department.in_scope.is_(True), Department.kind != "internal_unit")
    if department_ids is not None:
        query = query.where(Department.id.in_(list(department_ids)))
    return list(session.scalars(query.order_by(Department.division, Department.catalog_segment, Department.id)))


def load_coverage_data(session, departments: list[Department]) -> CoverageData:
    """Read the inventory, the resources and their workflow events of ``departments`` (three queries).

    :param session: any session.
    :param departments: the in-scope departments to cover.
    """
    ids = [d.id for d in departments]
    rows = [DepartmentRow(d.id, d.key, d.name, d.division) for d in departments]
    items = [
        ItemRow(i.id, i.department_id, i.title, i.source, i.resource_id, i.suggested_resource_id, i.suggestion_score)
        for i in session.execute(
            select(InventoryItem.id, InventoryItem.department_id, InventoryItem.title, InventoryItem.source,
                   InventoryItem.resource_id, InventoryItem.suggested_resource_id, InventoryItem.suggestion_score)
            .where(InventoryItem.department_id.in_(ids)).order_by(InventoryItem.id)
        )
    ]
    resources = [
        ResourceRow(r.id, r.department_id, r.status, r.created_at)
        for r in session.execute(select(Resource.id, Resource.department_id, Resource.status, Resource.created_at)
                                 .where(Resource.department_id.in_(ids)))
    ]
    events = [
        EventRow(e.resource_id, e.created_at, e.to_status, e.id)
        for e in session.execute(
            select(WorkflowEvent.resource_id, WorkflowEvent.created_at, WorkflowEvent.to_status, WorkflowEvent.id)
            .join(Resource, Resource.id == WorkflowEvent.resource_id).where(Resource.department_id.in_(ids))
        )
    ]
    return CoverageData(rows, items, History(resources, events))


CITY_NAME = Text({"zh": "全市", "en": "City-wide"})


class CoverageService(Service):
    """Coverage against the target, as of any date; reads only, except :meth:`snapshot`."""

    def today(self) -> date:
        """Today in the catalog's time zone."""
        return self.container.today()

    def report(self, as_of: date | None = None, *, department_id: int | None = None, period: str = "month",
               window_months: int = DEFAULT_WINDOW_MONTHS, trend: bool = True) -> CoverageReport:
        """Compute the coverage report.

        :param as_of: the date the figures are for (end of that day, local time); today when omitted. A date
            before any data gives zeros.
        :param department_id: only this department (an officer's own view); the whole city when omitted.
        :param period: ``month`` or ``quarter``, for the trend.
        :param window_months: the months the projection's pace is measured over.
        :param trend: compute the trend too (one evaluation per period).
        :returns: the report every output renders.
        :raises PermissionDeniedError: when the actor may not read these figures.
        """
        require(access.can_view_coverage(self.actor, department_id), message("read coverage reports"))
        settings = self.container.settings
        as_of = as_of or self.today()
        departments = in_scope_departments(self.session, None if department_id is None else [department_id])
        data = load_coverage_data(self.session, departments)
        timezone, target = self.container.timezone, settings.coverage_target
        now = data.evaluate(as_of, timezone, target)
        then = data.evaluate(months_before(as_of, window_months), timezone, target)

        def projection(current: Figures, previous: Figures):
            return project(current, previous, as_of, target=target, target_date=settings.coverage_target_date,
                           window_months=window_months)

        names = self._division_names()
        city = Line("city", "city", CITY_NAME, now.city, now.city.status(target), projection(now.city, then.city))
        divisions = [
            Line("division", code, names.get(code, (NO_DIVISION_NAME, None))[0], figures, figures.status(target),
                 projection(figures, then.divisions.get(code, Figures())), level=names.get(code, (None, None))[1])
            for code, figures in sorted(now.divisions.items())
        ]
        missing = self._missing(data, now)
        lines = []
        for department in departments:
            figures = now.departments[department.id]
            division_name = names.get(department.division or NO_DIVISION, (NO_DIVISION_NAME, None))[0]
            lines.append(Line("department", department.key, department.name, figures, figures.status(target),
                              projection(figures, then.departments[department.id]), division=department.division,
                              division_name=division_name, id=department.id, missing=missing.get(department.id, [])))
        report = CoverageReport(as_of, target, settings.coverage_target_date, window_months, period, city, divisions,
                                lines)
        if trend:
            report.trend = self._trend(data, as_of, period)
        return report

    def snapshot(self, as_of: date | None = None) -> CoverageSnapshot:
        """Store today's (or ``as_of``'s) figures as reported, for a monthly cron (``mulu coverage snapshot``).

        :returns: the snapshot, flushed; its ``figures`` hold the report's JSON without the trend and the
            lists of missing items.
        :raises PermissionDeniedError: unless the actor is a catalog manager or an admin.
        """
        require(access.can_take_snapshot(self.actor), message("take coverage snapshots"))
        report = self.report(as_of, trend=False)
        snapshot = CoverageSnapshot(as_of=report.as_of, target=report.target,
                                    figures=report.to_dict("zh_CN", trend=False, missing=False),
                                    actor_id=self.actor.user_id, actor_name=self.actor.name)
        self.session.add(snapshot)
        self.session.flush()
        self.audit("coverage.snapshot", "coverage_snapshot", snapshot.id,
                   {"as_of": report.as_of.isoformat(), "ratio_published": report.city.figures.to_dict()["ratio_published"]})
        return snapshot

    def snapshots(self) -> list[CoverageSnapshot]:
        """Every stored snapshot, oldest first."""
        require(access.can_view_coverage(self.actor), message("read coverage reports"))
        return list(self.session.scalars(select(CoverageSnapshot).order_by(CoverageSnapshot.as_of, CoverageSnapshot.id)))

    # -- internals -----------------------------------------------------------------------------

    def _division_names(self) -> dict[str, tuple[Text, str | None]]:
        """Division labels and levels from the vocabulary; a code it lacks is shown as itself."""
        names: dict[str, tuple[Text, str | None]] = {}
        for concept in self.container.vocab.get("division"):
            level = concept.properties.get("level")
            zh, en = concept.label("zh"), concept.label("en")
            # The city's own code groups its city-level departments (市本级), not the whole city.
            label = Text({"zh": f"{zh}本级", "en": f"{en} (city level)"}) if level == "city" else Text({"zh": zh, "en": en})
            names[concept.code] = (label, level)
        codes = self.session.scalars(select(Department.division).where(Department.division.is_not(None)).distinct())
        for code in codes:
            names.setdefault(code, (Text({"zh": code, "en": code}), None))
        return names

    def _trend(self, data: CoverageData, as_of: date, period: str) -> list[TrendPoint]:
        first = data.history.first_event()
        first_day = first.astimezone(self.container.timezone).date() if first else None
        points = []
        for day in period_ends(first_day, as_of, period):
            evaluation = data.evaluate(day, self.container.timezone, self.container.settings.coverage_target)
            points.append(TrendPoint(period_label(day, period), day, evaluation.city, evaluation.divisions))
        return points

    def _missing(self, data: CoverageData, evaluation: Evaluation) -> dict[int, list[MissingItem]]:
        """The expected items of each department that were not published on the as-of date."""
        wanted = [item for item in data.items if evaluation.item_stages.get(item.id, 0) < PUBLISHED]
        ids = {i for item in wanted for i in (item.resource_id, item.suggested_resource_id) if i is not None}
        refs = {
            r.id: ResourceRef(r.id, r.title, r.code, r.status)
            for r in self.session.execute(select(Resource.id, Resource.title, Resource.code, Resource.status)
                                          .where(Resource.id.in_(ids)))
        } if ids else {}
        missing: dict[int, list[MissingItem]] = {}
        for item in wanted:
            suggestion = refs.get(item.suggested_resource_id) if item.resource_id is None else None
            missing.setdefault(item.department_id, []).append(MissingItem(
                item.id, item.title, item.source, evaluation.item_stages.get(item.id, 0),
                refs.get(item.resource_id) if item.resource_id else None, suggestion,
                item.suggestion_score if suggestion else None))
        return missing
