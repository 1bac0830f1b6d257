"""The caller in the API: who they are, and their API tokens (list, create — from a portal session — and revoke)."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalog.db import utcnow
from catalog.models import ApiToken, User
from catalog.services.token import TokenService
from catalog.services.user import ROLE_LABELS
from web import deps
from web.api import auth, schemas
from web.api.blueprint import api
from web.api.errors import ApiError
from web.api.openapi import operation
from web.api.payload import json_body, load, respond, utc


def token_json(token: ApiToken) -> dict:
    return {"id": token.id, "name": token.name, "prefix": token.prefix, "state": token.state(),
            "created_at": utc(token.created_at), "expires_at": utc(token.expires_at),
            "last_used_at": utc(token.last_used_at), "revoked_at": utc(token.revoked_at)}


def _service() -> TokenService:
    auth.require_user()
    return TokenService(deps.container(), deps.session(), deps.actor())


@api.get("/me")
@operation(tag="tokens", summary=_l("Who the caller is"), auth="required", responses={200: "Me"}, errors=(401,),
           description=_l("A quick check that a token works: the user, role and department it acts as."))
def me():
    auth.require_user()
    actor = deps.actor()
    user = deps.session().get(User, actor.user_id)
    department = user.department
    return respond({
        "username": user.username, "display_name": user.display_name or user.username, "role": user.role,
        "role_label": ROLE_LABELS[user.role].render(deps.locale()),
        "department": {"id": department.id, "key": department.key, "name": department.name} if department else None,
        "authenticated_by": auth.method(),
    })


@api.get("/tokens")
@operation(tag="tokens", summary=_l("The caller's API tokens"), auth="required", responses={200: "TokenList"},
           errors=(401,), description=_l("Every token of the caller, newest first; the secrets are never shown again."))
def token_list():
    return respond({"items": [token_json(t) for t in _service().list()]})


@api.post("/tokens")
@operation(tag="tokens", summary=_l("Create an API token (from a portal session)"), auth="session", body="TokenIn",
           example={"name": "nightly harvest", "expires_in_days": 90}, responses={201: "TokenCreated"},
           errors=(401, 403, 415, 422), response_headers=("Location",),
           description=_l("The answer holds the token's secret, shown this once. Only a signed-in portal session "
                          "(with its X-CSRFToken header) may create tokens: a stolen token cannot mint itself "
                          "successors. The portal's account menu has the same under API tokens."))
def create_token():
    body = load(schemas.TokenIn(), json_body())
    if auth.method() == "token":
        raise ApiError(403, "session_required", _("API tokens are created from a signed-in portal session, not with "
                                                  "another token."))
    service = _service()
    expires_at = body.get("expires_at")
    if body.get("expires_in_days") is not None:
        if expires_at is not None:
            raise ApiError(422, fields={"expires_in_days": [_("Give expires_at or expires_in_days, not both.")]})
        expires_at = utcnow() + timedelta(days=body["expires_in_days"])
    token, plaintext = service.create(body["name"], expires_at=expires_at)
    deps.session().commit()
    return respond({**token_json(token), "token": plaintext}, 201,
                   {"Location": url_for("api.token_list", _external=True), "Cache-Control": "no-store"})


@api.delete("/tokens/<int(max=2147483647):token_id>")
@operation(tag="tokens", summary=_l("Revoke an API token"), auth="required", responses={204: None},
           errors=(401, 404), description=_l("It stops working at once; revoking it again changes nothing."))
def revoke_token(token_id: int):
    _service().revoke(token_id)
    deps.session().commit()
    return Response(status=204)
