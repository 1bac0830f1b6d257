"""Harvest sources, jobs and per-record reports in the API (read only): ``/api/v1/harvest/…``.

The portal's rules apply (:class:`harvesters.services.HarvestSourceService`): managers, auditors and
admins read every source; officers and reviewers their own department's; anonymous callers get
401. A source's credential appears only as the environment variable it is read from.
"""

from __future__ import annotations

import math
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from harvesters.models import (
    JOB_STATE_LABELS,
    JOB_STATES,
    RECORD_STATE_LABELS,
    RECORD_STATES,
    SCHEDULES,
    HarvestJob,
)
from harvesters.services import HarvestSourceService
from web import deps
from web.api.auth import require_user
from web.api.blueprint import api
from web.api.openapi import operation
from web.api.pagination import link_header, page_links
from web.api.payload import query, respond, utc
from web.api.schemas import Links

MAX_SIZE = 100
ID = "int(max=2147483647)"


# -- schemas (OpenAPI components: the views name the classes, apispec registers them) ---------------------------------------------


class HarvestPageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000),
                          metadata={"description": "1-based page number."})
    size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_SIZE),
                          metadata={"description": "Items per page."})


class HarvestRecordArgs(HarvestPageArgs):
    status = fields.String(validate=validate.OneOf([s for s in RECORD_STATES if s != "unchanged"]),
                           metadata={"description": "Only records with this outcome."})


class HarvestJobSummary(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(list(JOB_STATES)))
    status_label = fields.String(required=True, metadata={"description": "In the request's language."})
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    total = fields.Integer(required=True, metadata={"description": "Records listed by the remote."})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata={"description": "Records by outcome (created, updated, unchanged, error …)."})
    url = fields.String(required=True, metadata={"format": "uri"})


class HarvestProblem(Schema):
    message = fields.String(required=True)
    url = fields.String(allow_none=True)
    hint = fields.String(allow_none=True)


class HarvestJobInfo(HarvestJobSummary):
    source = fields.String(required=True, metadata={"description": "The source's name."})
    since = fields.DateTime(allow_none=True, metadata={"description": "An incremental run asked for changes since."})
    client = fields.String(required=True, metadata={"description": "Who started it (cron, worker, portal …)."})
    errors = fields.List(fields.Nested(HarvestProblem), required=True,
                         metadata={"description": "Problems of the job as a whole (not of one record)."})
    records_url = fields.String(required=True, metadata={"format": "uri"})


class HarvestSourceInfo(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    title = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "ckan, dcat, csw, spreadsheet or a plugin's."})
    url = fields.String(required=True)
    department = fields.Dict(required=True, metadata={"description": "id, key and name of the provider."})
    schedule = fields.String(required=True, validate=validate.OneOf(list(SCHEDULES)))
    config = fields.Dict(required=True, metadata={"description": "The harvester's settings, without the credential."})
    credential = fields.String(allow_none=True, metadata={
        "description": "The environment variable the credential is read from at run time; never its value."})
    defaults = fields.Dict(required=True)
    trusted = fields.Boolean(required=True)
    active = fields.Boolean(required=True)
    withdraw_after_days = fields.Integer(required=True)
    timeout_minutes = fields.Integer(required=True)
    last_job = fields.Nested(HarvestJobSummary, allow_none=True)
    jobs_url = fields.String(required=True, metadata={"format": "uri"})


class HarvestRecordInfo(Schema):
    remote_id = fields.String(required=True)
    url = fields.String(allow_none=True, metadata={"description": "Where the record is read at the source."})
    status = fields.String(required=True, validate=validate.OneOf(list(RECORD_STATES)))
    status_label = fields.String(required=True)
    resource_id = fields.Integer(allow_none=True)
    message = fields.String(required=True)
    hint = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.List(fields.String()), required=True,
                          metadata={"description": "Validation messages by field path."})


def _page_schema(name: str, item: type[Schema]) -> type[Schema]:
    return type(name, (Schema,), {"items": fields.List(fields.Nested(item), required=True),
                                  "total": fields.Integer(required=True), "page": fields.Integer(required=True),
                                  "size": fields.Integer(required=True), "pages": fields.Integer(required=True),
                                  "links": fields.Nested(Links, required=True)})


HarvestSourcePage = _page_schema("HarvestSourcePage", HarvestSourceInfo)
HarvestJobPage = _page_schema("HarvestJobPage", HarvestJobSummary)
HarvestRecordPage = _page_schema("HarvestRecordPage", HarvestRecordInfo)


# -- answers ---------------------------------------------------------------------------------------


def _service() -> HarvestSourceService:
    require_user()
    return HarvestSourceService(deps.container(), deps.session(), deps.actor())


def _pick(texts: dict | None) -> str:
    texts = texts or {}
    return texts.get(deps.locale()) or texts.get("en") or texts.get("zh_CN") or ""


def _label(labels: dict, state: str) -> str:
    return labels[state].render(deps.locale()) if state in labels else state


def _job_summary(job: HarvestJob) -> dict[str, Any]:
    return {"id": job.id, "status": job.status, "status_label": _label(JOB_STATE_LABELS, job.status),
            "started_at": utc(job.started_at), "finished_at": utc(job.finished_at), "total": job.total,
            "counts": dict(job.counts or {}), "url": url_for("api.harvest_job", job_id=job.id, _external=True)}


def _job(job: HarvestJob) -> dict[str, Any]:
    return {**_job_summary(job), "source": job.source.name, "since": utc(job.since), "client": job.client or "",
            "errors": [{"message": _pick(e.get("message")), "url": e.get("url"), "hint": _pick(e.get("hint")) or None}
                       for e in job.errors or []],
            "records_url": url_for("api.harvest_job_records", job_id=job.id, _external=True)}


def _source(service: HarvestSourceService, source, last: HarvestJob | None) -> dict[str, Any]:
    data = service.to_json(source)
    credential = data["config"].pop("auth_header", None)
    data["credential"] = credential[len("env:"):] if credential else None
    data["last_job"] = _job_summary(last) if last is not None else None
    data["jobs_url"] = url_for("api.harvest_source_jobs", name=source.name, _external=True)
    return data


def _paged(items: list, total: int, args: dict) -> Any:
    pages = max(1, math.ceil(total / args["size"]))
    links = page_links(args["page"], pages)
    body = {"items": items, "total": total, "page": args["page"], "size": args["size"], "pages": pages, "links": links}
    return respond(body, headers={"Link": link_header(links)})


def _window(items: list, args: dict) -> list:
    start = (args["page"] - 1) * args["size"]
    return items[start:start + args["size"]]


# -- views -----------------------------------------------------------------------------------------


@api.get("/harvest/sources")
@operation(tag="harvesting", summary=_l("Harvest sources (采集源) the caller may read"), query=HarvestPageArgs,
           auth="required", responses={200: HarvestSourcePage}, errors=(401, 422), response_headers=("Link",),
           description=_l("Managers, auditors and administrators read every source; officers and reviewers those "
                          "of their own department. Each source carries its last job."))
def harvest_sources():
    service = _service()
    args = query(HarvestPageArgs())
    visible = service.list()
    shown = _window(visible, args)
    latest = service.latest_jobs(shown)
    return _paged([_source(service, s, latest.get(s.id)) for s in shown], len(visible), args)


@api.get("/harvest/sources/<name>")
@operation(tag="harvesting", summary=_l("One harvest source by its name"), auth="required",
           responses={200: HarvestSourceInfo}, errors=(401, 404))
def harvest_source(name: str):
    service = _service()
    source = service.get(name)
    return respond(_source(service, source, service.latest_jobs([source]).get(source.id)))


@api.get("/harvest/sources/<name>/jobs")
@operation(tag="harvesting", summary=_l("The jobs (runs) of a harvest source, newest first"), query=HarvestPageArgs,
           auth="required", responses={200: HarvestJobPage}, errors=(401, 404, 422), response_headers=("Link",))
def harvest_source_jobs(name: str):
    service = _service()
    source = service.get(name)
    args = query(HarvestPageArgs())
    jobs = service.jobs(source.id, limit=args["size"], offset=(args["page"] - 1) * args["size"])
    return _paged([_job_summary(j) for j in jobs], service.count_jobs(source.id), args)


@api.get(f"/harvest/jobs/<{ID}:job_id>")
@operation(tag="harvesting", summary=_l("One harvest job: state, counts and problems"), auth="required",
           responses={200: HarvestJobInfo}, errors=(401, 404))
def harvest_job(job_id: int):
    return respond(_job(_service().job(job_id)))


@api.get(f"/harvest/jobs/<{ID}:job_id>/records")
@operation(tag="harvesting", summary=_l("A job's per-record report"), query=HarvestRecordArgs, auth="required",
           responses={200: HarvestRecordPage}, errors=(401, 404, 422), response_headers=("Link",),
           description=_l("Every record that did not stay unchanged: its remote address, what happened, why and "
                          "what to do. Unchanged records are only counted on the job."))
def harvest_job_records(job_id: int):
    service = _service()
    args = query(HarvestRecordArgs())
    counts = service.record_counts(job_id)
    status = args.get("status")
    total = counts.get(status, 0) if status else sum(counts.values())
    records = service.records(job_id, status=status, limit=args["size"], offset=(args["page"] - 1) * args["size"])
    locale = deps.locale()
    items = [{"remote_id": r.remote_id, "url": r.url, "status": r.status,
              "status_label": _label(RECORD_STATE_LABELS, r.status),
              "resource_id": r.resource_id, "message": _pick(r.message), "hint": _pick(r.hint),
              "fields": {path: texts.get(locale) or texts.get("en") or [] for path, texts in (r.fields or {}).items()}}
             for r in records]
    return _paged(items, total, args)
