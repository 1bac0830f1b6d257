"""Harvest sources and jobs in the portal: list, show, add, edit, run now; a job's per-record report.

Catalog managers and admins see and manage every source; an officer manages their own
department's sources; the department's reviewers and the auditors may read them. Every check is
:func:`catalog.permissions.can_manage_harvest_source` / ``can_view_harvest_source`` through
:class:`harvesters.services.HarvestSourceService`. Credentials are only ever ``env:NAME`` references.
"""

from __future__ import annotations

import json
import math

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from catalog import permissions as perm
from catalog.errors import ValidationError
from harvesters import registry
from harvesters.base import env_reference
from harvesters.models import JOB_STATE_LABELS, RECORD_STATE_LABELS, RECORD_STATES, SCHEDULE_LABELS, SCHEDULES
from harvesters.services import HarvestSourceService
from harvesters.worker import request_run
from web import deps
from web.forms import EmptyForm

harvest = Blueprint("harvest", __name__, url_prefix="/harvest")
JOBS_PER_PAGE = 20
RECORDS_PER_PAGE = 50
#: Bootstrap badge colours of job and record states.
BADGES = {"running": "primary", "done": "success", "done_with_errors": "warning", "failed": "danger",
          "timed_out": "danger", "created": "success", "updated": "info", "conflict": "warning", "error": "danger",
          "deferred": "secondary", "gone": "secondary", "withdrawn": "dark", "deleted": "dark", "skipped": "light"}
STAFF_ROLES = frozenset({"officer", "reviewer", "manager", "auditor", "admin"})


class SourceForm(FlaskForm):
    """A harvest source's settings; ``config`` and ``defaults`` beyond the classification are JSON objects."""

    name = StringField(_l("Name (letters, digits, - and _)"), validators=[Optional(), Length(max=64)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    type = SelectField(_l("Type"), choices=[])
    url = StringField(_l("Address (URL)"), validators=[DataRequired(), Length(max=2000)])
    department = SelectField(_l("Providing department"), choices=[])
    schedule = SelectField(_l("Schedule"), choices=[])
    classification = StringField(_l("Default classification (e.g. 307)"), validators=[DataRequired(), Length(max=20)])
    defaults = TextAreaField(_l("Other defaults (JSON)"), validators=[Optional(), Length(max=20000)])
    config = TextAreaField(_l("Harvester settings (JSON)"), validators=[Optional(), Length(max=20000)])
    auth_header = StringField(_l("Credential (a reference such as env:CKAN_TOKEN)"),
                              validators=[Optional(), Length(max=200)])
    trusted = BooleanField(_l("Trusted: register complete records at once"))
    active = BooleanField(_l("Active: run on its schedule"), default=True)
    withdraw_after_days = IntegerField(_l("Days before records gone upstream are withdrawn"), default=7,
                                       validators=[Optional(), NumberRange(0, 3650)])
    timeout_minutes = IntegerField(_l("Time limit of a run (minutes)"), default=120,
                                   validators=[Optional(), NumberRange(1, 3650)])


def _service() -> HarvestSourceService:
    return HarvestSourceService(deps.container(), deps.session(), deps.actor())


def _manageable_departments():
    actor = deps.actor()
    return [d for d in deps.departments().list() if perm.can_manage_harvest_source(actor, d.id)]


def _may_read_harvesting(actor) -> bool:
    return actor.role in perm.STAFF_READERS or (actor.role in ("officer", "reviewer") and bool(actor.department_ids))


@harvest.app_context_processor
def _helpers():
    role = getattr(current_user, "role", None) if current_user.is_authenticated else None
    locale = deps.locale()
    return {
        "show_harvest": role in STAFF_ROLES,
        "job_state_label": lambda s: JOB_STATE_LABELS[s].render(locale) if s in JOB_STATE_LABELS else s,
        "record_state_label": lambda s: RECORD_STATE_LABELS[s].render(locale) if s in RECORD_STATE_LABELS else s,
        "harvest_badge": lambda s: BADGES.get(s, "secondary"),
    }


def _pick(texts: dict | None) -> str:
    """A stored ``{"zh_CN": …, "en": …}`` text in the reader's language."""
    texts = texts or {}
    return texts.get(deps.locale()) or texts.get("en") or texts.get("zh_CN") or ""


def _pretty(value: dict | None) -> str:
    """JSON for people: indented, Chinese as written."""
    return json.dumps(value, ensure_ascii=False, indent=2) if value else ""


def _page() -> int:
    value = request.args.get("page", "1")
    return max(1, min(int(value), 100000)) if value.isdigit() else 1


# -- lists and details ---------------------------------------------------------------------------


@harvest.get("/")
@login_required
def sources():
    if not _may_read_harvesting(deps.actor()):
        abort(403)
    service = _service()
    found = service.list()
    return render_template("harvest/sources.html", sources=found, latest=service.latest_jobs(found),
                           harvesters=registry.available(), schedules=SCHEDULE_LABELS,
                           can_add=bool(_manageable_departments()))


@harvest.get("/sources/<name>")
@login_required
def source(name: str):
    service = _service()
    found = service.get(name)
    page = _page()
    total = service.count_jobs(found.id)
    jobs = service.jobs(found.id, limit=JOBS_PER_PAGE, offset=(page - 1) * JOBS_PER_PAGE)
    harvester = registry.available().get(found.type)
    config = {k: v for k, v in (found.config or {}).items() if k != "auth_header"}
    return render_template("harvest/source.html", source=found, jobs=jobs, page=page,
                           pages=max(1, math.ceil(total / JOBS_PER_PAGE)), total=total, config=_pretty(config),
                           defaults=_pretty(found.defaults),
                           credential=(found.config or {}).get("auth_header"), harvester=harvester,
                           schedules=SCHEDULE_LABELS, run_form=EmptyForm(formdata=None),
                           can_manage=perm.can_manage_harvest_source(deps.actor(), found.department_id),
                           page_url=lambda n: url_for("harvest.source", name=found.name, page=n))


@harvest.get("/jobs/<int(max=2147483647):job_id>")
@login_required
def job(job_id: int):
    service = _service()
    found = service.job(job_id)
    status = request.args.get("status", "")
    if status not in RECORD_STATES:
        status = ""
    counts = service.record_counts(job_id)
    shown = counts.get(status, 0) if status else sum(counts.values())
    page = _page()
    records = service.records(job_id, status=status or None, limit=RECORDS_PER_PAGE,
                              offset=(page - 1) * RECORDS_PER_PAGE)
    return render_template("harvest/job.html", job=found, records=records, counts=counts, status=status, page=page,
                           pages=max(1, math.ceil(shown / RECORDS_PER_PAGE)), pick=_pick,
                           page_url=lambda n: url_for("harvest.job", job_id=job_id, status=status or None, page=n))


# -- add, edit, run -----------------------------------------------------------------------------


def _json_object(field) -> dict | None:
    """The JSON object typed into a text area, or ``None`` with an error on the field."""
    text = (field.data or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        field.errors = [*field.errors, _("Not valid JSON: %(detail)s", detail=str(exc))]
        return None
    if not isinstance(value, dict):
        field.errors = [*field.errors, _("Write a JSON object: {\"key\": value, …}.")]
        return None
    return value


def _form(source=None, formdata=None) -> SourceForm:
    """The form: empty, filled from a source, or from the posted data; an edit has no name, type or department."""
    locale = deps.locale()
    values = {}
    if source is not None and formdata is None:
        config = {k: v for k, v in (source.config or {}).items() if k != "auth_header"}
        defaults = {k: v for k, v in (source.defaults or {}).items() if k != "classification_code"}
        values = {"title": source.title, "url": source.url, "schedule": source.schedule, "trusted": source.trusted,
                  "active": source.active, "withdraw_after_days": source.withdraw_after_days,
                  "timeout_minutes": source.timeout_minutes,
                  "classification": (source.defaults or {}).get("classification_code") or "",
                  "config": json.dumps(config, ensure_ascii=False, indent=2) if config else "",
                  "defaults": json.dumps(defaults, ensure_ascii=False, indent=2) if defaults else "",
                  # Only ever a reference (env:NAME): the service refuses anything else.
                  "auth_header": (source.config or {}).get("auth_header") or ""}
    if source is None and formdata is None:
        values = {"withdraw_after_days": deps.container().settings.harvest_withdraw_after_days}
    form = SourceForm(formdata=formdata, **values)
    form.schedule.choices = [(name, SCHEDULE_LABELS[name].render(locale)) for name in SCHEDULES]
    if source is not None:
        del form.name, form.type, form.department
    else:
        form.type.choices = [(name, cls.title.render(locale)) for name, cls in sorted(registry.available().items())]
        form.department.choices = [(str(d.id), d.name) for d in _manageable_departments()]
    return form


def _data(form: SourceForm, creating: bool) -> dict | None:
    config, defaults = _json_object(form.config), _json_object(form.defaults)
    if config is None or defaults is None:
        return None
    typed = config.pop("auth_header", None)  # also accepted inside the JSON; the field wins
    credential = (form.auth_header.data or "").strip() or typed
    if credential:
        config["auth_header"] = credential
    data = {"title": form.title.data or "", "url": (form.url.data or "").strip(), "schedule": form.schedule.data,
            "config": config, "defaults": {**defaults, "classification_code": (form.classification.data or "").strip()},
            "trusted": bool(form.trusted.data), "active": bool(form.active.data)}
    for key in ("withdraw_after_days", "timeout_minutes"):
        if getattr(form, key).data is not None:
            data[key] = getattr(form, key).data
    if creating:
        data.update(name=form.name.data or "", type=form.type.data, department=form.department.data)
    return data


# Service field paths → the form field that shows their messages.
def _field_for(form: SourceForm, path: str):
    if path == "defaults.classification_code":
        return form.classification
    if path == "config.auth_header":
        return form.auth_header
    head = path.split(".", 1)[0]
    return getattr(form, head, None) if head in form._fields else None


def _scrub(form: SourceForm) -> None:
    """Before a refused form is shown again: a credential that is not an ``env:NAME`` reference is not echoed."""
    if env_reference((form.auth_header.data or "").strip()) is None:
        form.auth_header.data = ""
    try:
        config = json.loads(form.config.data or "")
    except json.JSONDecodeError:
        return
    if isinstance(config, dict) and "auth_header" in config and env_reference(str(config["auth_header"])) is None:
        config.pop("auth_header")
        form.config.data = json.dumps(config, ensure_ascii=False, indent=2) if config else ""


def _show_errors(form: SourceForm, error: ValidationError) -> None:
    locale = deps.locale()
    for path, messages in error.fields.items():
        target = _field_for(form, path) or form.url
        target.errors = [*target.errors, *(m.render(locale) for m in messages)]


@harvest.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not _manageable_departments():
        abort(403)
    form = _form(formdata=request.form if request.method == "POST" else None)
    if request.method == "POST":
        if not form.name.data:
            form.name.errors = [*form.name.errors, _("Give the source a name.")]
        elif form.validate() and (data := _data(form, creating=True)) is not None:
            try:
                created = _service().create(data)
            except ValidationError as error:
                deps.session().rollback()
                _show_errors(form, error)
            else:
                deps.session().commit()
                flash(_("The harvest source %(name)s was added.", name=created.name), "success")
                return redirect(url_for("harvest.source", name=created.name))
        _scrub(form)
        return render_template("harvest/source_form.html", form=form, source=None), 400
    return render_template("harvest/source_form.html", form=form, source=None)


@harvest.route("/sources/<name>/edit", methods=["GET", "POST"])
@login_required
def edit(name: str):
    found = _service().get(name)
    if not perm.can_manage_harvest_source(deps.actor(), found.department_id):
        abort(403)
    form = _form(found, formdata=request.form if request.method == "POST" else None)
    if request.method == "POST":
        if form.validate() and (data := _data(form, creating=False)) is not None:
            try:
                _service().update(found.id, data)
            except ValidationError as error:
                deps.session().rollback()
                _show_errors(form, error)
            else:
                deps.session().commit()
                flash(_("The settings were saved."), "success")
                return redirect(url_for("harvest.source", name=found.name))
        _scrub(form)
        return render_template("harvest/source_form.html", form=form, source=found), 400
    return render_template("harvest/source_form.html", form=form, source=found)


@harvest.post("/sources/<name>/run")
@login_required
def run(name: str):
    if not EmptyForm().validate():
        abort(400)
    found = _service().get(name)
    if not perm.can_manage_harvest_source(deps.actor(), found.department_id):
        abort(403)
    source_id = found.id
    deps.session().rollback()  # nothing to write here; the run has sessions of its own
    outcome = request_run(deps.container(), source_id, client=f"portal {deps.actor().name}")
    if outcome.status == "busy":
        flash(_("The source is being harvested already; its job is listed below."), "warning")
    elif outcome.status == "queued":
        flash(_("The run was queued; a harvest worker starts it shortly."), "success")
    else:
        flash(_("The run has started. Reload this page to follow it."), "success")
    return redirect(url_for("harvest.source", name=name))
