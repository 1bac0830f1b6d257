"""Coverage and quality in the API (issue #7): the reports ``mulu coverage report`` and ``mulu quality report`` print.

``GET /coverage`` answers the JSON of ``mulu coverage report --format json`` (one computation, see
catalog/coverage/report.py); ``GET /quality`` the per-department scores, or one department's resources
(paged) with ``?department=``. Both need a signed-in caller: managers, auditors and admins read the
whole city; officers and reviewers their own department (``?department=`` their key).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from catalog.coverage.projection import PERIODS
from catalog.coverage.quality_service import QualityService
from catalog.coverage.service import CoverageService
from catalog.errors import NotFoundError
from catalog.search import MAX_PAGE_SIZE
from web import deps
from web.api.auth import require_user
from web.api.blueprint import api
from web.api.openapi import operation
from web.api.pagination import link_header, page_links
from web.api.payload import invalid, query, respond
from web.api.schemas import Links

VARY = "Authorization, Cookie, Accept-Language"
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)  # the end of 9999-12-31 does not exist
RATIO = {"description": "A fraction (0.8 is 80%); null where the denominator is zero (no inventory, not 100%)."}


# -- parameters ------------------------------------------------------------------------------------


class CoverageArgs(Schema):
    as_of = fields.Date(metadata={"description": "Figures at the end of this day (local time); today by default. "
                                                 "A date before any data gives zeros.", "example": "2010-06-30"})
    by = fields.String(validate=validate.OneOf(["division", "department"]),
                       metadata={"description": "Only the county/district lines or only the department lines "
                                                "(both when absent)."})
    period = fields.String(load_default="month", validate=validate.OneOf(list(PERIODS)),
                           metadata={"description": "Trend periods."})
    window = fields.Integer(load_default=6, validate=validate.Range(min=1, max=120),
                            metadata={"description": "Months the projection's pace is measured over."})
    department = fields.String(validate=validate.Length(min=1, max=100),
                               metadata={"description": "Only this department (its key): an officer's own view."})
    trend = fields.Boolean(load_default=True, metadata={"description": "Include the trend."})
    missing = fields.Boolean(load_default=True,
                             metadata={"description": "Include each department's expected items not yet published."})


class QualityArgs(Schema):
    department = fields.String(validate=validate.Length(min=1, max=100),
                               metadata={"description": "One department's resources (its key), paged."})
    include_drafts = fields.Boolean(load_default=False, metadata={"description": "Score drafts too."})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


# -- answers -----------------------------------------------------------------------------------------


def _ratio() -> fields.Float:
    return fields.Float(required=True, allow_none=True, metadata=dict(RATIO))


class CoverageFigures(Schema):
    departments = fields.Integer(required=True, metadata={"description": "In-scope departments."})
    departments_with_inventory = fields.Integer(required=True)
    departments_covered = fields.Integer(required=True, metadata={"description": "With ≥ 1 published resource."})
    departments_meeting_target = fields.Integer(required=True)
    expected = fields.Integer(required=True, metadata={"description": "Inventory items."})
    cataloged = fields.Integer(required=True)
    registered = fields.Integer(required=True)
    published = fields.Integer(required=True)
    resources_cataloged = fields.Integer(required=True)
    resources_registered = fields.Integer(required=True)
    resources_published = fields.Integer(required=True)
    department_coverage = _ratio()
    ratio_cataloged = _ratio()
    ratio_registered = _ratio()
    ratio_published = _ratio()
    conversion_registered = _ratio()
    conversion_published = _ratio()


class CoverageProjection(Schema):
    status = fields.String(required=True, validate=validate.OneOf(
        ["reached", "on_track", "late", "no_progress", "no_inventory"]))
    current = fields.Float(required=True, allow_none=True)
    previous = fields.Float(required=True, allow_none=True)
    pace_per_month = fields.Float(required=True, allow_none=True)
    window_months = fields.Integer(required=True)
    projected_date = fields.Date(required=True, allow_none=True)
    target = fields.Float(required=True)
    target_date = fields.Date(required=True)


class CoverageResourceRef(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    code = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)


class CoverageMissingItem(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    source = fields.String(required=True, validate=validate.OneOf(["duty", "matter", "system"]))
    stage = fields.String(required=True, validate=validate.OneOf(
        ["not_cataloged", "cataloged", "registered", "published"]))
    stage_label = fields.String(required=True)
    resource = fields.Nested(CoverageResourceRef, required=True, allow_none=True,
                             metadata={"description": "The confirmed resource, if any."})
    suggestion = fields.Nested(CoverageResourceRef, required=True, allow_none=True,
                               metadata={"description": "The matcher's unconfirmed proposal."})
    suggestion_score = fields.Float(required=True, allow_none=True)


class CoverageLine(CoverageFigures):
    scope = fields.String(required=True, validate=validate.OneOf(["city", "division", "department"]))
    key = fields.String(required=True, metadata={"description": "city, a GB/T 2260 code, or a department key."})
    name = fields.String(required=True)
    id = fields.Integer(metadata={"description": "The department's id."})
    division = fields.String(allow_none=True)
    division_name = fields.String()
    level = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["met", "below", "no_inventory"]))
    status_label = fields.String(required=True)
    projection = fields.Nested(CoverageProjection)
    missing = fields.List(fields.Nested(CoverageMissingItem), metadata={"description": "Departments only."})


class CoverageTrendPoint(Schema):
    period = fields.String(required=True, metadata={"example": "2010-06"})
    date = fields.Date(required=True)
    city = fields.Nested(CoverageFigures, required=True)
    divisions = fields.Dict(keys=fields.String(), values=fields.Nested(CoverageFigures), required=True)


class CoverageReport(Schema):
    as_of = fields.Date(required=True)
    target = fields.Float(required=True)
    target_date = fields.Date(required=True)
    window_months = fields.Integer(required=True)
    city = fields.Nested(CoverageLine, required=True)
    divisions = fields.List(fields.Nested(CoverageLine))
    departments = fields.List(fields.Nested(CoverageLine))
    period = fields.String(validate=validate.OneOf(list(PERIODS)))
    trend = fields.List(fields.Nested(CoverageTrendPoint))


class QualityRollup(Schema):
    resources = fields.Integer(required=True)
    score = fields.Float(required=True, allow_none=True, metadata={"description": "0–100; null without resources."})
    components = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True), required=True)
    measured = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class QualityDepartment(QualityRollup):
    id = fields.Integer(required=True)
    key = fields.String(required=True)
    name = fields.String(required=True)
    division = fields.String(required=True, allow_none=True)


class QualityComponent(Schema):
    value = fields.Float(required=True, allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(["measured", "not_applicable", "not_measured"]))
    problems = fields.List(fields.String(), required=True)


class QualityResource(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    department_id = fields.Integer(required=True)
    status = fields.String(required=True)
    score = fields.Float(required=True)
    not_measured = fields.List(fields.String(), required=True)
    components = fields.Dict(keys=fields.String(), values=fields.Nested(QualityComponent), required=True)


class QualityReport(Schema):
    date = fields.Date(required=True, metadata={"description": "The day timeliness is judged on."})
    weights = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    city = fields.Nested(QualityRollup, metadata={"description": "Without ?department=."})
    departments = fields.List(fields.Nested(QualityDepartment), metadata={"description": "Without ?department=."})
    department = fields.Nested(QualityDepartment, allow_none=True, metadata={"description": "With ?department=."})
    items = fields.List(fields.Nested(QualityResource), metadata={"description": "With ?department=: its resources."})
    total = fields.Integer()
    page = fields.Integer()
    size = fields.Integer()
    pages = fields.Integer()
    links = fields.Nested(Links)


# -- views -------------------------------------------------------------------------------------------


def _department_id(key: str | None) -> int | None:
    if key is None:
        return None
    try:
        return deps.departments().get_by_key(key).id
    except NotFoundError:
        raise invalid({"department": [_("There is no department with the key %(key)s.", key=key)]}) from None


@api.get("/coverage")
@operation(tag="coverage", summary=_l("Coverage of the expected inventory, as of any date"), query=CoverageArgs,
           auth="required", responses={200: CoverageReport}, errors=(401, 403, 422),
           description=_l("The same figures as `mulu coverage report --format json`: the city, each county or "
                          "district and each department, with the projection of the date the target is reached "
                          "and the trend by month or quarter."))
def coverage_report():
    require_user()
    args = query(CoverageArgs())
    as_of = args.get("as_of")
    if as_of is not None and not FIRST_DAY <= as_of <= LAST_DAY:
        raise invalid({"as_of": [_("Give a date between %(first)s and %(last)s.", first=FIRST_DAY.isoformat(),
                                   last=LAST_DAY.isoformat())]})
    department_id = _department_id(args.get("department"))
    report = CoverageService(deps.container(), deps.session(), deps.actor()).report(
        as_of, department_id=department_id, period=args["period"], window_months=args["window"], trend=args["trend"])
    body = report.to_dict(deps.locale(), trend=args["trend"], missing=args["missing"])
    if args.get("by") == "division":
        body.pop("departments")
    elif args.get("by") == "department":
        body.pop("divisions")
    return respond(body, headers={"Vary": VARY})


@api.get("/quality")
@operation(tag="coverage", summary=_l("Metadata quality scores per department, or per resource of one department"),
           query=QualityArgs, auth="required", responses={200: QualityReport}, errors=(401, 403, 422),
           response_headers=("Link",),
           description=_l("Scores 0–100 with their components (weights in the answer), as `mulu quality report` "
                          "computes them. With department=KEY: that department's resources, paged, each with the "
                          "problems found."))
def quality_report():
    require_user()
    args = query(QualityArgs())
    department_id = _department_id(args.get("department"))
    report = QualityService(deps.container(), deps.session(), deps.actor()).report(
        department_id=department_id, include_drafts=args["include_drafts"])
    data = report.to_dict(resources=False)
    if department_id is None:
        return respond(data, headers={"Vary": VARY})
    page, size, total = args["page"], args["size"], len(report.resources)
    pages = -(-total // size)
    links = page_links(page, pages)
    body = {"date": data["date"], "weights": data["weights"],
            "department": data["departments"][0] if data["departments"] else None,
            "items": [r.to_dict() for r in report.resources[(page - 1) * size:page * size]],
            "total": total, "page": page, "size": size, "pages": pages, "links": links}
    return respond(body, headers={"Link": link_header(links), "Vary": VARY})
