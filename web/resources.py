"""One resource: its page, metadata download, history with diffs, workflow actions and decisions on changes."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from catalog import permissions as perm
from catalog.diff import diff_snapshots
from catalog.errors import MuluError, NotFoundError, ValidationError, WorkflowError
from catalog.workflow import EDITABLE, TRANSITIONS, allowed_actions
from web import dcat_views, deps
from web.display import fields, plain, tables
from web.forms import ActionForm

resources = Blueprint("resources", __name__)


def _page(resource_id: int, forms: dict[str, ActionForm] | None = None, status: int = 200):
    """Render the resource page; ``forms`` carries an action form that failed, with its errors and text."""
    service, container, locale, actor = deps.resources(), deps.container(), deps.locale(), deps.actor()
    resource = service.get(resource_id)
    data = service.to_json(resource)
    actions = allowed_actions(actor, resource.department_id, resource.status)
    forms = forms or {}
    action_forms = {a: forms.get(a) or ActionForm(expected_version=resource.version, formdata=None) for a in actions}
    change, change_diff, change_form = None, [], None
    if perm.can_review_change(actor, resource.department_id) or actor.owns(resource.department_id):
        change = service.pending_change(resource.id)
        if change is not None:
            change_diff = diff_snapshots(data, {**data, **change.data}, container.profile)
            change_form = forms.get("change") or ActionForm(formdata=None)
    return render_template(
        "resource.html", resource=resource, data=data, fields=fields(container, data, locale),
        tables=tables(container, data, locale), actions=actions, action_forms=action_forms,
        transitions=TRANSITIONS, change=change, change_diff=change_diff, change_form=change_form,
        can_review_change=perm.can_review_change(actor, resource.department_id),
        can_history=perm.can_view_history(actor, resource.department_id), plain=plain,
        can_edit=perm.can_edit_resource(actor, resource.department_id) and resource.status in (*EDITABLE, "published"),
    ), status


@resources.get("/resources/<int:resource_id>")
def show(resource_id: int):
    """The resource page; an ``Accept`` header preferring RDF gets the resource as DCAT (web/dcat_views.py)."""
    rdf = dcat_views.negotiate_resource(resource_id)
    if rdf is not None:
        return rdf
    page, status = _page(resource_id)
    return page, status, {"Vary": "Accept"}


@resources.get("/resources/<int:resource_id>.json")
def metadata_json(resource_id: int):
    """The Resource JSON as a download, named after the resource code (or the metadata identifier)."""
    service = deps.resources()
    resource = service.get(resource_id)
    body = json.dumps(service.to_json(resource), ensure_ascii=False, indent=2, default=str)
    name = (resource.code or resource.metadata_id).replace("/", "-")
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.json"'})


@resources.get("/resources/code/<path:code>")
def by_code(code: str):
    """Follow a 关联资源代码 (``307015/000031``) to the resource's page."""
    try:
        resource = deps.resources().get_by_code(code)
    except NotFoundError:
        abort(404)
    return redirect(url_for("resources.show", resource_id=resource.id))


@resources.get("/resources/<int:resource_id>/history")
@login_required
def history(resource_id: int):
    """Revisions with readable diffs between consecutive ones, and the workflow events with reviewers' reasons."""
    service = deps.resources()
    resource = service.get(resource_id)
    revisions = service.revisions(resource_id)
    diffs = {}
    for older, newer in zip(revisions, revisions[1:], strict=False):
        diffs[newer.number] = service.diff(resource_id, older.number, newer.number)
    events = service.workflow_events(resource_id)
    return render_template("history.html", resource=resource, revisions=list(reversed(revisions)), diffs=diffs,
                           events=list(reversed(events)), plain=plain)


def _version(form: ActionForm) -> int | None:
    value = (form.expected_version.data or "").strip()
    return int(value) if value.isdigit() else None


@resources.post("/resources/<int:resource_id>/workflow/<action>")
@login_required
def transition(resource_id: int, action: str):
    """Take a workflow action; a missing reason or an impossible action re-renders the page with the error."""
    if action not in TRANSITIONS:
        abort(404)
    form = ActionForm()
    if not form.validate():
        return _page(resource_id, {action: form}, 400)
    service = deps.resources()
    try:
        resource = service.transition(resource_id, action, comment=form.comment.data,
                                      expected_version=_version(form))
    except (ValidationError, WorkflowError) as error:
        deps.session().rollback()
        _attach(form, error)
        return _page(resource_id, {action: form}, 400)
    deps.session().commit()
    flash(_("%(action)s: done. The resource is now “%(state)s”.", action=TRANSITIONS[action].label.render(deps.locale()),
            state=_state(resource.status)), "success")
    return redirect(url_for("resources.show", resource_id=resource_id))


@resources.post("/resources/<int:resource_id>/change/<decision>")
@login_required
def decide_change(resource_id: int, decision: str):
    """Approve a pending change (it replaces the published version) or return it with a reason."""
    if decision not in ("approve", "return"):
        abort(404)
    form = ActionForm()
    if not form.validate():
        return _page(resource_id, {"change": form}, 400)
    try:
        deps.resources().decide_change(resource_id, approve=decision == "approve", comment=form.comment.data)
    except ValidationError as error:
        deps.session().rollback()
        _attach(form, error)
        return _page(resource_id, {"change": form}, 400)
    deps.session().commit()
    flash(_("The change was approved and is now published.") if decision == "approve"
          else _("The change was returned to the department."), "success")
    return redirect(url_for("resources.show", resource_id=resource_id))


def _attach(form: ActionForm, error: MuluError) -> None:
    """Put the service's messages beside the comment box (the only field a person can fix here)."""
    locale = deps.locale()
    messages = [m.render(locale) for ms in error.fields.values() for m in ms] or [error.message.render(locale)]
    form.comment.errors = [*form.comment.errors, *messages]


def _state(status: str) -> str:
    from catalog.workflow import STATES

    return STATES[status].render(deps.locale())
