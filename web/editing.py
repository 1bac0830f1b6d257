"""The officer's create/edit form, the conflict page of a stale edit, and bulk import of the XLSX template."""

from __future__ import annotations

import io
import secrets
import time
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from catalog import permissions as perm
from catalog.diff import diff_snapshots
from catalog.errors import ConflictError, MuluError, ValidationError, WorkflowError
from catalog.importing import ImportRejectedError
from catalog.models import ResourceChange
from catalog.workflow import EDITABLE
from web import deps
from web.display import plain
from web.forms import EmptyForm, ImportForm, ResourceForm
from web.resource_form import (
    BLANK_ROWS,
    TABLE_TYPES,
    error_key,
    form_specs,
    parse_pasted,
    to_input,
    values_from_form,
    values_from_json,
)

editing = Blueprint("editing", __name__)


def _departments():
    """The departments the actor may catalog for (an officer: the own department and its units)."""
    actor = deps.actor()
    return [d for d in deps.departments().list() if perm.can_create_resource(actor, d.id)]


def _render(*, resource=None, values=None, rows=None, errors=None, form=None, status=200, message=None):
    container, locale = deps.container(), deps.locale()
    departments = _departments()
    values = dict(values or {})
    if not values.get("department") and departments:
        values["department"] = str(deps.actor().department_id or departments[0].id)
    rows = {name: list(rows.get(name, [])) if rows else [] for name in TABLE_TYPES}
    form = form or ResourceForm(formdata=None, expected_version=resource.version if resource else "")
    return render_template(
        "resource_form.html", resource=resource, specs=form_specs(container.profile, container.vocab, locale),
        values=values, rows=rows, blank_rows=BLANK_ROWS, errors=errors or {}, form=form, departments=departments,
        message=message, published=resource is not None and resource.status == "published",
    ), status


def _errors(error: MuluError) -> dict[str, list[str]]:
    """Field errors keyed by form name (``items-1-length``); messages without a field under ``_form``."""
    locale = deps.locale()
    result: dict[str, list[str]] = {}
    for path, messages in error.fields.items():
        result.setdefault(error_key(path), []).extend(m.render(locale) for m in messages)
    return result


@editing.get("/workspace/resources/new")
@login_required
def new():
    if not _departments():
        abort(403)
    return _render()


@editing.post("/workspace/resources/new")
@login_required
def create():
    if not _departments():
        abort(403)
    form = ResourceForm()
    profile = deps.container().profile
    values, rows = values_from_form(profile, request.form)
    values.setdefault("department", str(deps.actor().department_id or ""))
    if not form.validate():
        return _render(values=values, rows=rows, form=form, status=400, message=_("The form has expired; submit again."))
    action = request.form.get("action", "draft")
    if action == "paste":
        return _paste(values, rows, form)
    if action == "add_rows":
        return _render(values=values, rows=_more_rows(rows), form=form)
    service = deps.resources()
    data = to_input(profile, values, rows)
    try:
        if action == "submit":
            service.schema.load(data)  # every rule at once, before anything is written
        resource = service.create(data, draft=True)
        if action == "submit":
            service.transition(resource.id, "submit")
    except (ValidationError, WorkflowError) as error:
        deps.session().rollback()
        return _render(values=values, rows=rows, errors=_errors(error), form=form, status=400,
                       message=_("Nothing was saved. Correct the fields marked below."))
    deps.session().commit()
    flash(_("Submitted for review.") if action == "submit" else _("Saved as a draft."), "success")
    return redirect(url_for("resources.show", resource_id=resource.id))


def _editable(resource_id: int):
    resource = deps.resources().get(resource_id)
    if not perm.can_edit_resource(deps.actor(), resource.department_id):
        abort(403)
    return resource


@editing.get("/resources/<int:resource_id>/edit")
@login_required
def edit(resource_id: int):
    service = deps.resources()
    resource = _editable(resource_id)
    data = service.to_json(resource)
    message = None
    if resource.status == "published":
        change = service.pending_change(resource.id)
        if change is not None:
            data = {**data, **change.data}
            message = _("A change to this resource already awaits review; you are editing that change.")
    elif resource.status not in EDITABLE:
        message = _("This resource is under review and cannot be edited until it is returned or published.")
    values, rows = values_from_json(deps.container().profile, data)
    return _render(resource=resource, values=values, rows=rows, message=message)


@editing.post("/resources/<int:resource_id>/edit")
@login_required
def update(resource_id: int):
    service = deps.resources()
    resource = _editable(resource_id)
    profile = deps.container().profile
    form = ResourceForm()
    values, rows = values_from_form(profile, request.form)
    values.setdefault("department", str(resource.department_id))
    if not form.validate():
        return _render(resource=resource, values=values, rows=rows, form=form, status=400)
    action = request.form.get("action", "draft")
    if action == "paste":
        return _paste(values, rows, form, resource)
    if action == "add_rows":
        return _render(resource=resource, values=values, rows=_more_rows(rows), form=form)
    if action == "restore":
        # The user's values from the conflict page, on top of the current version.
        form.expected_version.data = str(resource.version)
        return _render(resource=resource, values=values, rows=rows, form=form,
                       message=_("Your values are back in the form, on top of the current version. Check them and save again."))
    version = (form.expected_version.data or "").strip()
    data = to_input(profile, values, rows)
    if version.isdigit() and int(version) != resource.version:
        return _conflict(resource_id, data, values, rows)  # before any validation: nothing is written anyway
    try:
        if action == "submit":
            service.schema.load(data)
        result = service.update(resource_id, data, expected_version=int(version) if version.isdigit() else None)
        if action == "submit" and not isinstance(result, ResourceChange):
            service.transition(resource_id, "submit")
    except ConflictError:
        deps.session().rollback()
        return _conflict(resource_id, data, values, rows)
    except (ValidationError, WorkflowError) as error:
        deps.session().rollback()
        return _render(resource=resource, values=values, rows=rows, errors=_errors(error), form=form, status=400,
                       message=_("Nothing was saved. Correct the fields marked below."))
    deps.session().commit()
    if isinstance(result, ResourceChange):
        flash(_("Your change awaits review. The published version stays visible until the change is approved."), "info")
    else:
        flash(_("Submitted for review.") if action == "submit" else _("Saved as a draft."), "success")
    return redirect(url_for("resources.show", resource_id=resource_id))


def _more_rows(rows):
    rows = {name: list(rows.get(name, [])) for name in TABLE_TYPES}
    rows["items"].extend({} for _ in range(BLANK_ROWS))
    return rows


def _paste(values, rows, form, resource=None):
    """Add rows pasted from a spreadsheet (the no-script way; the script does it in the page)."""
    pasted = parse_pasted(request.form.get("items_paste", ""), deps.container().vocab)
    rows = {name: list(rows.get(name, [])) for name in TABLE_TYPES}
    rows["items"].extend(pasted)
    return _render(resource=resource, values=values, rows=rows, form=form,
                   message=_("%(count)d rows added from the pasted text. Nothing is saved until you save the form.",
                             count=len(pasted)))


def _conflict(resource_id: int, data, values, rows):
    """Both versions side by side; nothing was written. The user can take their values into a fresh edit."""
    service, container = deps.resources(), deps.container()
    resource = service.get(resource_id)
    current = service.to_json(resource)
    try:
        yours = service.schema.load(data, draft=True)
    except MuluError:
        yours = data
    yours = {**current, **{k: v for k, v in yours.items() if k != "department"}}
    changes = diff_snapshots(current, yours, container.profile)
    hidden = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "expected_version", "action")]
    return render_template("conflict.html", resource=resource, changes=changes, plain=plain, hidden=hidden,
                           form=ResourceForm(formdata=None, expected_version=resource.version)), 409


# -- bulk import ---------------------------------------------------------------------------------


def _can_import() -> bool:
    return bool(_departments())


def upload_dir(instance_path: Path | str) -> Path:
    """Where uploaded spreadsheets wait for their import to be confirmed."""
    return Path(instance_path) / "uploads"


def sweep_uploads(directory: Path, max_age_hours: float, now: float | None = None) -> list[Path]:
    """Delete uploads older than ``max_age_hours`` (previews never confirmed); returns the files removed.

    Safe to run while the portal serves: a file gone between listing and deleting is skipped, and an upload
    younger than the limit is never touched. ``now`` is a POSIX timestamp (tests pass one).
    """
    if not directory.is_dir():
        return []
    limit = (time.time() if now is None else now) - max_age_hours * 3600
    removed = []
    for path in directory.glob("*.xlsx"):
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue
    return removed


def _upload_dir() -> Path:
    path = upload_dir(deps.container().settings.instance_path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _upload_path(token: str) -> Path:
    # The token names the file and carries the uploader: nobody else's upload can be confirmed.
    user = deps.actor().user_id
    if not token or not token.replace("-", "").replace("_", "").isalnum() or not token.startswith(f"{user}_"):
        abort(400)
    return _upload_dir() / f"{token}.xlsx"


def _records(path: Path):
    from catalog.template import finish_record, rows_to_records, template_columns, template_rows

    container = deps.container()
    columns = template_columns(container.profile)
    rows = template_rows(path, columns)
    return [(number, finish_record(record, container.vocab)) for number, record in rows_to_records(rows, columns)]


def _dry_run(records):
    """Import inside a SAVEPOINT that is rolled back: the report of every row, and nothing written."""
    from catalog.services.resource_import import import_resources

    session = deps.session()
    savepoint = session.begin_nested()
    try:
        report = import_resources(deps.resources(), records, skip_invalid=True)
    finally:
        savepoint.rollback()
        session.rollback()
    return report


def _preview(token: str, filename: str, records, report, status=200):
    locale = deps.locale()
    bad = {e.number: e.render(locale) for e in report.errors}
    entries = [(number, record.get("title") or "", bad.get(number, [])) for number, record in records]
    return render_template("import.html", form=ImportForm(formdata=None), confirm=EmptyForm(formdata=None),
                           token=token, filename=filename, entries=entries, bad=len(bad),
                           good=len(entries) - len(bad)), status


@editing.get("/workspace/import")
@login_required
def import_form():
    if not _can_import():
        abort(403)
    return render_template("import.html", form=ImportForm(formdata=None), entries=None)


@editing.get("/workspace/import/template.xlsx")
@login_required
def template():
    from catalog.template_workbook import write_workbook

    container = deps.container()
    buffer = io.BytesIO()
    write_workbook(buffer, container.profile, container.vocab)
    return Response(buffer.getvalue(),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="mulu-template.xlsx"'})


@editing.post("/workspace/import")
@login_required
def import_preview():
    if not _can_import():
        abort(403)
    form = ImportForm()
    if not form.validate():
        return render_template("import.html", form=form, entries=None), 400
    # Every upload is an occasion to forget the previews nobody confirmed (also: `mulu uploads sweep`).
    sweep_uploads(_upload_dir(), deps.container().settings.upload_ttl_hours)
    token = f"{deps.actor().user_id}_{secrets.token_urlsafe(16)}"
    path = _upload_path(token)
    form.file.data.save(path)
    try:
        records = _records(path)
    except (MuluError, ValueError, KeyError, OSError) as error:
        path.unlink(missing_ok=True)
        detail = error.message.render(deps.locale()) if isinstance(error, MuluError) else str(error)
        form.file.errors = [_("The file could not be read as the fill-in template: %(detail)s", detail=detail)]
        return render_template("import.html", form=form, entries=None), 400
    return _preview(token, form.file.data.filename or "", records, _dry_run(records))


@editing.post("/workspace/import/confirm")
@login_required
def import_confirm():
    from catalog.services.resource_import import import_resources

    if not _can_import():
        abort(403)
    confirm = EmptyForm()
    if not confirm.validate():
        abort(400)
    token = request.form.get("token", "")
    path = _upload_path(token)
    if not path.exists():
        flash(_("The uploaded file is no longer there; upload it again."), "warning")
        return redirect(url_for("editing.import_form"))
    records = _records(path)
    try:
        report = import_resources(deps.resources(), records, skip_invalid=bool(request.form.get("skip_invalid")))
    except ImportRejectedError as error:
        deps.session().rollback()
        flash(error.message.render(deps.locale()), "danger")
        return _preview(token, request.form.get("filename", ""), records, error.report, 400)
    deps.session().commit()
    path.unlink(missing_ok=True)
    flash(report.render(deps.locale()).splitlines()[0], "success")
    return redirect(url_for("workspace.mine"))
