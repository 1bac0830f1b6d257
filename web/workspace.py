"""Staff workspaces: "my department" (drafts, returned with reasons, pending) and the review queue."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required
from sqlalchemy import select

from catalog import permissions as perm
from catalog.models import Resource, ResourceChange
from catalog.workflow import REVIEW_STATES, STATES, TRANSITIONS, allowed_actions
from web import deps
from web.forms import ActionForm

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


@workspace.get("/review")
@login_required
def queue():
    """Everything waiting for this reviewer: resources in a review state they may act on, and pending changes."""
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
            waiting.append((resource, actions))
    changes = []
    if actor.role in ("manager", "admin"):
        pending = deps.session().scalars(
            select(ResourceChange).where(ResourceChange.status == "pending").order_by(ResourceChange.created_at)
        ).all()
        for change in pending:
            resource = deps.session().get(Resource, change.resource_id)
            if resource is not None and (not department or resource.department.key == department):
                changes.append((change, resource))
    departments = sorted({r.department for r, _a in waiting} | {r.department for _c, r in changes},
                         key=lambda d: d.catalog_segment or "")
    return render_template("review.html", waiting=waiting, changes=changes, transitions=TRANSITIONS,
                           states=[s for s in STATES if s in REVIEW_STATES], status=status, department=department,
                           departments=departments, form=ActionForm(formdata=None))
