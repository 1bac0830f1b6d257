"""The coverage audit dashboard (issue #7): coverage against the target, drill-down, quality, overlap and exports.

Every figure comes from the services of ``catalog.coverage`` (the CLI and the API render the same
reports). The state of a page is in its address: ``as_of`` (a date; today when absent, so a bookmark
follows the days) and ``period`` (``month`` or ``quarter``); every link of the dashboard keeps both.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.coverage import access
from catalog.coverage.analysis_export import COMPONENT_LABELS, write_overlap, write_quality
from catalog.coverage.analysis_export import STATUS_LABELS as FIELD_STATUS_LABELS
from catalog.coverage.export import percent, write_report
from catalog.coverage.measures import NO_DIVISION
from catalog.coverage.overlap_service import OverlapService
from catalog.coverage.projection import PERIODS, months_before
from catalog.coverage.quality import WEIGHTS
from catalog.coverage.quality_service import QualityService
from catalog.coverage.report import PROJECTION_LABELS, SOURCE_LABELS, STATUS_LABELS, CoverageReport, Line
from catalog.coverage.service import CoverageService
from catalog.errors import NotFoundError
from catalog.i18n import message
from catalog.permissions import STAFF_READERS, require
from web import deps
from web.coverage_charts import CATALOGED, MUTED, PUBLISHED, REGISTERED, Bar, Series, bar_chart, line_chart

coverage = Blueprint("coverage", __name__, url_prefix="/coverage")

# The trend chart shows the projection at most this many months ahead of the as-of date.
HORIZON_MONTHS = 36
# Dates outside these years are typing mistakes, and the end of 9999-12-31 does not exist.
FIRST_YEAR, LAST_YEAR = 1900, 2999
NONE_CODE = "none"  # the address of departments without a division
_LATE = re.compile(r"(\d+) > (\d+) days")  # catalog.coverage.quality's timeliness problem
EXPORTS = {"coverage": ("xlsx", "csv", "json"), "quality": ("xlsx", "csv", "json"), "overlap": ("xlsx", "json")}
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}
STATUS_CLASSES = {"met": "text-bg-success", "below": "text-bg-warning", "no_inventory": "text-bg-secondary",
                  "reached": "text-bg-success", "on_track": "text-bg-success", "late": "text-bg-warning",
                  "no_progress": "text-bg-danger", "provided": "text-bg-success", "approximate": "text-bg-info",
                  "in_progress": "text-bg-warning", "missing": "text-bg-danger"}


@dataclass(frozen=True)
class View:
    """What the address asks for: the as-of date (``None``: today) and the trend period."""

    as_of: date | None
    period: str
    day: date

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query arguments that keep this view in a link (defaults left out), with ``changes`` on top."""
        args: dict[str, Any] = {}
        if self.as_of is not None:
            args["as_of"] = self.as_of.isoformat()
        if self.period != "month":
            args["period"] = self.period
        return {**args, **changes}


def _view() -> View:
    raw = request.args.get("as_of", "").strip()
    as_of = None
    if raw:
        try:
            as_of = date.fromisoformat(raw)
        except ValueError:
            abort(400)
        if not FIRST_YEAR <= as_of.year <= LAST_YEAR:
            abort(400)
    period = request.args.get("period", "month")
    if period not in PERIODS:
        abort(400)
    return View(as_of, period, as_of or deps.container().today())


def _require(department_id: int | None = None) -> None:
    """City-wide pages: managers, auditors, admins; a department's own page also its officers and reviewers."""
    require(access.can_view_coverage(deps.actor(), department_id), message("read coverage reports"))


def _service(kind):
    return kind(deps.container(), deps.session(), deps.actor())


def _department(key: str):
    try:
        return deps.departments().get_by_key(key)
    except NotFoundError:
        abort(404)


@coverage.app_context_processor
def _navigation() -> dict[str, Any]:
    role = getattr(current_user, "role", None) if current_user.is_authenticated else None
    return {"show_coverage": role in STAFF_READERS}


@coverage.app_template_filter("coverage_percent")
def _percent(value: float | None) -> str:
    return percent(value)


@coverage.context_processor
def _helpers() -> dict[str, Any]:
    locale = deps.locale()

    def label(labels, key: str) -> str:
        return labels[key].render(locale) if key in labels else key

    return {
        "status_label": lambda key: label(STATUS_LABELS, key),
        "projection_label": lambda key: label(PROJECTION_LABELS, key),
        "source_label": lambda key: label(SOURCE_LABELS, key),
        "component_label": lambda key: label(COMPONENT_LABELS, key),
        "field_status_label": lambda key: label(FIELD_STATUS_LABELS, key),
        "status_class": lambda key: STATUS_CLASSES.get(key, "text-bg-light"),
        "division_code": lambda code: code or NONE_CODE,
        "weights": WEIGHTS,
        "staff": access.can_view_coverage(deps.actor()),  # city-wide pages (tabs, breadcrumbs) or one's own only
        "export_url": lambda kind, fmt, view, **args: url_for("coverage.export", kind=kind, fmt=fmt,
                                                              **view.args(**args)),
    }


# -- charts --------------------------------------------------------------------------------------

HALF = {"width": 540, "label_width": 110, "value_width": 110}  # charts in half a row


def _trend_chart(report: CoverageReport, line: Line, figures_at, width: int = 1080) -> Any:
    """Cataloged, registered and published ratios over the periods, the target, and the projection."""
    locale = deps.locale()
    points = [(point.day, figures_at(point)) for point in report.trend]
    series = [Series(_("Cataloged"), CATALOGED, [(d, f.ratio_cataloged if f else None) for d, f in points]),
              Series(_("Registered"), REGISTERED, [(d, f.ratio_registered if f else None) for d, f in points]),
              Series(_("Published"), PUBLISHED, [(d, f.ratio_published if f else None) for d, f in points])]
    projection, projection_label = None, _("At the current pace")
    found = line.projection
    if found is not None and found.projected_date is not None and found.current is not None:
        projection = (report.as_of, found.current, found.projected_date, report.target)
        projection_label = _("At the current pace: %(date)s", date=found.projected_date.isoformat())
    target = _("Target %(ratio)s by %(date)s", ratio=percent(report.target), date=report.target_date.isoformat())
    desc = _("%(name)s: published %(ratio)s of the expected resources on %(date)s; %(status)s.",
             name=line.label(locale), ratio=percent(line.figures.ratio_published), date=report.as_of.isoformat(),
             status=PROJECTION_LABELS[found.status].render(locale) if found else "")
    return line_chart(series, title=_("Coverage over time"), desc=desc, target=report.target, target_label=target,
                      projection=projection, projection_label=projection_label, due=report.target_date,
                      due_label=target, horizon=months_before(report.as_of, -HORIZON_MONTHS), width=width)


def _ratio_bars(lines: list[Line], report: CoverageReport, title: str) -> Any:
    locale = deps.locale()
    bars = [Bar(line.label(locale), line.figures.ratio_published,
                f"{percent(line.figures.ratio_published)} ({line.figures.published}/{line.figures.expected})")
            for line in lines]
    return bar_chart(bars, title=title, desc=_("Published share of the expected resources, against the target."),
                     empty=_("No inventory"), target=report.target,
                     target_label=_("Target %(ratio)s", ratio=percent(report.target)))


def _funnel(line: Line) -> Any:
    f = line.figures
    steps = [(_("Expected"), f.expected, MUTED), (_("Cataloged"), f.cataloged, CATALOGED),
             (_("Registered"), f.registered, REGISTERED), (_("Published"), f.published, PUBLISHED)]
    bars = [Bar(name, value, f"{value} ({percent(value / f.expected if f.expected else None)})", colour)
            for name, value, colour in steps]
    return bar_chart(bars, title=_("From cataloged to published"), maximum=max(1, f.expected), **HALF,
                     desc=_("Expected inventory items and how many of them are cataloged, registered and published."))


def _status_bars(departments: list[Line]) -> Any:
    locale = deps.locale()
    bars = []
    for status, colour in (("met", PUBLISHED), ("below", "#f59f00"), ("no_inventory", "#adb5bd")):
        count = sum(1 for d in departments if d.status == status)
        bars.append(Bar(STATUS_LABELS[status].render(locale), count, f"{count} / {len(departments)}", colour))
    return bar_chart(bars, title=_("Departments meeting the target"), maximum=max(1, len(departments)), **HALF,
                     desc=_("Departments that meet the target, that are below it, and that have no inventory."))


# -- pages ---------------------------------------------------------------------------------------


@coverage.get("/")
@login_required
def index():
    view = _view()
    _require()
    report = _service(CoverageService).report(view.as_of, period=view.period)
    charts = {"trend": _trend_chart(report, report.city, lambda point: point.city),
              "divisions": _ratio_bars(report.divisions, report, _("Published share by county and district")),
              "funnel": _funnel(report.city), "status": _status_bars(report.departments)}
    return render_template("coverage/index.html", view=view, report=report, charts=charts,
                           city_figures=lambda point: point.city)


@coverage.get("/divisions/<code>")
@login_required
def division(code: str):
    view = _view()
    _require()
    report = _service(CoverageService).report(view.as_of, period=view.period)
    key = NO_DIVISION if code == NONE_CODE else code
    line = next((d for d in report.divisions if d.key == key), None)
    if line is None:
        abort(404)
    departments = [d for d in report.departments if (d.division or NO_DIVISION) == key]
    charts = {"trend": _trend_chart(report, line, lambda point: point.divisions.get(key)),
              "departments": _ratio_bars(departments, report, _("Published share by department")),
              "funnel": _funnel(line)}
    return render_template("coverage/division.html", view=view, report=report, line=line, departments=departments,
                           charts=charts, division_figures=lambda point: point.divisions.get(key))


@coverage.get("/departments/")
@login_required
def departments():
    view = _view()
    _require()
    report = _service(CoverageService).report(view.as_of, period=view.period, trend=False)
    status = request.args.get("status", "")
    if status and status not in STATUS_LABELS:
        abort(400)
    lines = [d for d in report.departments if not status or d.status == status]
    return render_template("coverage/departments.html", view=view, report=report, lines=lines, status=status)


@coverage.get("/departments/<key>")
@login_required
def department(key: str):
    view = _view()
    found = _department(key)
    _require(found.id)
    report = _service(CoverageService).report(view.as_of, department_id=found.id, period=view.period)
    if not report.departments:
        abort(404)  # an internal unit or a department out of the audit's scope: its resources count elsewhere
    line = report.departments[0]
    quality = _service(QualityService).report(department_id=found.id, include_drafts=False)
    charts = {"trend": _trend_chart(report, line, lambda point: point.city, width=760), "funnel": _funnel(line)}
    return render_template("coverage/department.html", view=view, report=report, line=line, department=found,
                           quality=quality.departments[0].rollup if quality.departments else None, charts=charts,
                           city_figures=lambda point: point.city)


@coverage.get("/quality/")
@login_required
def quality():
    view = _view()
    _require()
    report = _service(QualityService).report()
    locale = deps.locale()
    components = bar_chart(
        [Bar(COMPONENT_LABELS[name].render(locale), value, percent(value))
         for name, value in ((name, report.city.components.get(name)) for name in WEIGHTS)],
        title=_("Quality components city-wide"), empty=_("Not measured"),
        desc=_("The mean of each quality component over the resources where it was measured."))
    ranked = sorted(report.departments, key=lambda d: (d.rollup.score is None, d.rollup.score or 0.0, d.key))
    return render_template("coverage/quality.html", view=view, report=report, departments=ranked,
                           charts={"components": components})


@coverage.get("/quality/<key>")
@login_required
def quality_department(key: str):
    view = _view()
    found = _department(key)
    _require(found.id)
    report = _service(QualityService).report(department_id=found.id)
    profile, locale = deps.container().profile, deps.locale()

    def problem(name: str, text: str) -> str:
        # Most problems are field paths (vocabulary ones "path=value"): show the profile's labels instead.
        if name in ("mandatory", "recommended", "items", "rules"):
            return profile.label(text).render(locale)
        if name == "vocabulary" and "=" in text:
            path, value = text.split("=", 1)
            return f"{profile.label(path).render(locale)}: {value}"
        late = _LATE.fullmatch(text) if name == "timeliness" else None
        if late:
            return _("last updated %(age)s days ago; the update cycle allows %(days)s", age=late[1], days=late[2])
        return text

    resources = sorted(report.resources, key=lambda r: (r.score, r.id))
    return render_template("coverage/quality_department.html", view=view, report=report, department=found,
                           resources=resources, problem=problem,
                           rollup=report.departments[0].rollup if report.departments else None)


@coverage.get("/overlap")
@login_required
def overlap():
    view = _view()
    _require()
    report = _service(OverlapService).report()
    return render_template("coverage/overlap.html", view=view, report=report)


# -- exports -------------------------------------------------------------------------------------


@coverage.get("/export/<kind>.<fmt>")
@login_required
def export(kind: str, fmt: str):
    """The report behind a page as XLSX, CSV or JSON: the same outputs as ``mulu coverage|quality|overlap report``."""
    if fmt not in EXPORTS.get(kind, ()):
        abort(404)
    view = _view()
    _require()
    locale = deps.locale()
    binary = io.BytesIO() if fmt == "xlsx" else None
    text = io.StringIO() if binary is None else None
    if kind == "coverage":
        by = request.args.get("by", "division")
        if by not in ("division", "department"):
            abort(400)
        report = _service(CoverageService).report(view.as_of, period=view.period)
        write_report(report, fmt, binary or text, by=by, locale=locale)
        name = f"coverage-{report.as_of.isoformat()}"
    elif kind == "quality":
        by = request.args.get("by", "department")
        if by not in ("department", "resource"):
            abort(400)
        report = _service(QualityService).report()
        write_quality(report, fmt, binary or text, by=by, locale=locale)
        name = f"quality-{report.day.isoformat()}"
    else:
        write_overlap(_service(OverlapService).report(), fmt, binary or text, locale=locale)
        name = f"overlap-{deps.container().today().isoformat()}"
    body = binary.getvalue() if binary is not None else text.getvalue().encode("utf-8")
    response = Response(body, content_type=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response

