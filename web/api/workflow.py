"""A resource's workflow in the API: allowed actions, transitions, the change awaiting review, history and revisions."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from catalog import permissions as perm
from catalog.errors import ConflictError, NotFoundError
from catalog.i18n import message
from catalog.workflow import TRANSITIONS, allowed_actions
from web import deps
from web.api import schemas
from web.api.auth import require_user
from web.api.blueprint import api
from web.api.openapi import operation
from web.api.payload import if_match, json_body, load, query, respond, stale, utc
from web.api.resources import change_json, resource_response


@api.get("/resources/<int(max=2147483647):resource_id>/transitions")
@operation(tag="workflow", summary=_l("The workflow actions the caller may take now"),
           responses={200: "AllowedActions"}, errors=(404,))
def allowed_transitions(resource_id: int):
    resource = deps.resources().get(resource_id)
    locale = deps.locale()
    actions = [{"action": a, "label": TRANSITIONS[a].label.render(locale), "needs_comment": TRANSITIONS[a].needs_comment}
               for a in allowed_actions(deps.actor(), resource.department_id, resource.status)]
    return respond({"status": resource.status, "actions": actions})


@api.post("/resources/<int(max=2147483647):resource_id>/transitions")
@operation(tag="workflow", summary=_l("Take a workflow action (submit, register, publish …)"), body="TransitionIn",
           example={"action": "submit", "comment": "请审核"}, auth="required", responses={200: "Resource"},
           errors=(401, 403, 404, 409, 412, 415, 422), response_headers=("ETag",),
           description=_l("submit (提交审核), approve_department, return (退回, needs a comment), register (注册: the "
                          "resource code is assigned), request_publication, publish, withdraw (needs a comment), "
                          "republish. If-Match is optional here; a stale one gets 412."))
def transition(resource_id: int):
    body = load(schemas.TransitionIn(), json_body())
    service = deps.resources()
    resource = service.get(resource_id)
    version = if_match(resource.version, required=False)
    try:
        resource = service.transition(resource_id, body["action"], comment=body.get("comment"),
                                      expected_version=version)
    except ConflictError as error:
        if error.current is not None:
            raise stale(error.current) from None
        raise
    deps.session().commit()
    return resource_response(resource)


def _pending(resource_id: int):
    service = deps.resources()
    resource = service.get(resource_id)
    actor = deps.actor()
    if not (perm.can_review_change(actor, resource.department_id) or actor.owns(resource.department_id)):
        raise NotFoundError(message("Resource {id} has no change awaiting review.", id=resource_id))
    change = service.pending_change(resource_id)
    if change is None:
        raise NotFoundError(message("Resource {id} has no change awaiting review.", id=resource_id))
    return change


@api.get("/resources/<int(max=2147483647):resource_id>/change")
@operation(tag="workflow", summary=_l("The change (变更) awaiting review"), auth="required", responses={200: "Change"},
           errors=(401, 404))
def pending_change(resource_id: int):
    require_user()
    return respond(change_json(_pending(resource_id)))


@api.post("/resources/<int(max=2147483647):resource_id>/change")
@operation(tag="workflow", summary=_l("Approve or return the change awaiting review"), body="ChangeDecisionIn",
           example={"decision": "approve"}, auth="required", responses={200: "Resource"},
           errors=(401, 403, 404, 415, 422), response_headers=("ETag",))
def decide_change(resource_id: int):
    body = load(schemas.ChangeDecisionIn(), json_body())
    resource = deps.resources().decide_change(resource_id, approve=body["decision"] == "approve",
                                              comment=body.get("comment"))
    deps.session().commit()
    return resource_response(resource)


def _revision(revision, resource_id: int, *, snapshot: bool = False):
    data = {"number": revision.number, "action": revision.action, "comment": revision.comment,
            "actor": revision.actor_name, "created_at": utc(revision.created_at),
            "url": url_for("api.get_revision", resource_id=resource_id, number=revision.number, _external=True)}
    if snapshot:
        data["snapshot"] = revision.snapshot
    return data


@api.get("/resources/<int(max=2147483647):resource_id>/revisions")
@operation(tag="history", summary=_l("The revisions (版本) of a resource, oldest first"), auth="required",
           responses={200: "RevisionList"}, errors=(401, 403, 404))
def revision_list(resource_id: int):
    revisions = deps.resources().revisions(resource_id)
    return respond({"items": [_revision(r, resource_id) for r in revisions]})


@api.get("/resources/<int(max=2147483647):resource_id>/revisions/<int(max=2147483647):number>")
@operation(tag="history", summary=_l("One revision with the full Resource JSON it recorded"), auth="required",
           responses={200: "Revision"}, errors=(401, 403, 404))
def get_revision(resource_id: int, number: int):
    for revision in deps.resources().revisions(resource_id):
        if revision.number == number:
            return respond(_revision(revision, resource_id, snapshot=True))
    raise NotFoundError(message("Revision {number} of resource {id} was not found.", number=number, id=resource_id))


@api.get("/resources/<int(max=2147483647):resource_id>/diff")
@operation(tag="history", summary=_l("What changed between two revisions"), query=schemas.DiffArgs, auth="required",
           responses={200: "Diff"}, errors=(401, 403, 404, 422))
def revision_diff(resource_id: int):
    args = query(schemas.DiffArgs())
    changes = deps.resources().diff(resource_id, args["from_"], args["to"])
    locale = deps.locale()
    return respond({"from": args["from_"], "to": args["to"], "changes": [c.to_dict(locale) for c in changes]})


@api.get("/resources/<int(max=2147483647):resource_id>/history")
@operation(tag="history", summary=_l("Workflow events (流转记录) with reviewers' opinions"), auth="required",
           responses={200: "EventList"}, errors=(401, 403, 404))
def workflow_history(resource_id: int):
    events = deps.resources().workflow_events(resource_id)
    return respond({"items": [{"action": e.action, "from_status": e.from_status, "to_status": e.to_status,
                               "comment": e.comment, "actor": e.actor_name, "created_at": utc(e.created_at)}
                              for e in events]})
