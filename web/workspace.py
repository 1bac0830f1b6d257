"""Staff workspaces: "my department" (drafts, returned with reasons, pending) and the review queue."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from catalog import permissions as perm
from catalog.errors import MuluError
from catalog.models import Resource, ResourceChange
from catalog.workflow import REVIEW_STATES, STATES, TRANSITIONS, allowed_actions
from web import deps
from web.forms import ActionForm, EmptyForm

workspace = Blueprint("workspace", __name__)
# The groups of "my department", in the order an officer works through them.
GROUPS = ("returned", "draft", "pending", "registered", "published", "withdrawn")


@workspace.get("/workspace")
@login_required
def mine():
    actor, service = deps.actor(), deps.resources()
    # TODO(#4): page this list once a department has more than a few hundred resources.
    own = [r for r in service.list() if actor.owns(r.department_id) or (actor.role == "admin")]
    groups: dict[str, list[Resource]] = {name: [] for name in GROUPS}
    for resource in own:
        key = "pending" if resource.status in REVIEW_STATES else resource.status
        groups.setdefault(key, []).append(resource)
    reasons = {}
    for resource in groups["returned"]:
        returns = [e for e in service.workflow_events(resource.id) if e.action == "return"]
        if returns:
            reasons[resource.id] = returns[-1]
    can_create = any(perm.can_create_resource(actor, d.id) for d in deps.departments().list())
    return render_template("workspace.html", groups=groups, reasons=reasons, department=actor.department_id,
                           can_create=can_create)


# The step forward from each state on the way to publication; bulk decisions take these and nothing else.
FORWARD = {
    "pending_department_review": "approve_department",
    "pending_registration": "register",
    "registered": "request_publication",
    "pending_publication": "publish",
}
BULK_ACTIONS = ("approve", "publish")  # approve: one step forward; publish: every step up to published
BULK_LIMIT = 200  # resources per bulk decision; more is refused rather than left half-way at a timeout


@dataclass
class Outcome:
    """What a bulk decision did to one resource: the steps taken, or why nothing was done."""

    resource_id: int
    title: str
    ok: bool
    steps: tuple[str, ...] = ()
    status: str = ""
    code: str | None = None
    reason: str = ""


def bulk_eligible(actor, resource: Resource) -> bool:
    """Whether a bulk decision could take this resource's next step (offered a checkbox in the queue)."""
    step = FORWARD.get(resource.status)
    return resource.status in REVIEW_STATES and step in allowed_actions(actor, resource.department_id, resource.status)


def _decide(service, resource_id: int, action: str, version: int | None) -> Outcome:
    """Take the steps of a bulk ``action`` on one resource inside its own SAVEPOINT: all of them, or none.

    Every step is an ordinary ``transition`` of the workflow service, so the permission, state and version
    checks are the same as on the resource page; the first step checks the version the reviewer saw.
    """
    session = deps.session()
    savepoint = session.begin_nested()
    title = ""  # stays empty when the resource does not exist (or is not visible): no link to it then
    steps: list[str] = []
    try:
        resource = service.get(resource_id)
        title = resource.title
        if resource.status not in REVIEW_STATES:
            savepoint.rollback()
            return Outcome(resource_id, title, False, reason=_(
                "It is not waiting for a decision any more (now “%(state)s”).",
                state=STATES[resource.status].render(deps.locale())))
        while resource.status in FORWARD and (action == "publish" or not steps):
            step = FORWARD[resource.status]
            resource = service.transition(resource_id, step, expected_version=None if steps else version)
            steps.append(step)
    except MuluError as error:
        savepoint.rollback()
        return Outcome(resource_id, title, False, reason=_reason(error))
    savepoint.commit()
    return Outcome(resource_id, title, True, tuple(steps), resource.status, resource.code)


def _reason(error: MuluError) -> str:
    locale = deps.locale()
    details = [m.render(locale) for messages in error.fields.values() for m in messages]
    return " ".join([error.message.render(locale), *details])


@workspace.post("/review")
@login_required
def bulk():
    """Approve, or register and publish, the selected resources in one go, reporting each one's outcome."""
    form = EmptyForm()
    if not form.validate():
        abort(400)
    action = request.form.get("bulk_action", "")
    if action not in BULK_ACTIONS:
        abort(400)
    ids = list(dict.fromkeys(int(v) for v in request.form.getlist("resource") if v.isdigit()))
    if len(ids) > BULK_LIMIT:
        abort(400)
    if not ids:
        return _queue(notice=_("Select at least one resource first.")), 400
    service = deps.resources()
    outcomes = []
    for resource_id in ids:
        version = request.form.get(f"version-{resource_id}", "")
        outcomes.append(_decide(service, resource_id, action, int(version) if version.isdigit() else None))
    deps.session().commit()
    return _queue(outcomes=outcomes)


@workspace.get("/review")
@login_required
def queue():
    """Everything waiting for this reviewer: resources in a review state they may act on, and pending changes."""
    return _queue()


def _queue(outcomes: list[Outcome] | None = None, notice: str | None = None):
    actor, service = deps.actor(), deps.resources()
    status = request.args.get("status", "")
    department = request.args.get("department", "")
    waiting = []
    for resource in service.list():
        if resource.status not in REVIEW_STATES or (status and resource.status != status):
            continue
        if department and resource.department.key != department:
            continue
        actions = allowed_actions(actor, resource.department_id, resource.status)
        if actions:
            waiting.append((resource, actions, bulk_eligible(actor, resource)))
    changes = []
    if actor.role in ("manager", "admin"):
        pending = deps.session().scalars(
            select(ResourceChange).where(ResourceChange.status == "pending").order_by(ResourceChange.created_at)
        ).all()
        for change in pending:
            resource = deps.session().get(Resource, change.resource_id)
            if resource is not None and (not department or resource.department.key == department):
                changes.append((change, resource))
    departments = sorted({r.department for r, _a, _b in waiting} | {r.department for _c, r in changes},
                         key=lambda d: d.catalog_segment or "")
    return render_template("review.html", waiting=waiting, changes=changes, transitions=TRANSITIONS,
                           states=[s for s in STATES if s in REVIEW_STATES], status=status, department=department,
                           departments=departments, form=ActionForm(formdata=None), bulk_form=EmptyForm(formdata=None),
                           can_bulk_publish=any(perm.can_publish(actor, r.department_id) for r, _a, b in waiting if b),
                           outcomes=outcomes, notice=notice)
