"""Who calls the API: a Bearer token (acting as its user), a portal session (writes need the CSRF header), or nobody.

Token requests are CSRF-exempt (a browser never adds the header by itself); session requests that
write must echo the portal's CSRF token in ``X-CSRFToken``; anonymous writes get ``401``.
"""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError as CSRFValidationError

from catalog.actor import Actor
from catalog.models import ApiToken
from catalog.services.token import TokenError, TokenService
from catalog.services.user import actor_for
from web import deps
from web.api.errors import ApiError
from web.api.payload import MAX_BODY

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")


def presented_token() -> str | None:
    """The token of an ``Authorization: Bearer …`` header, ``None`` without the header.

    :raises ApiError: 401 for another scheme or an empty token.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "invalid_token", _("Send the API token as “Authorization: Bearer <token>”."),
                       headers={"WWW-Authenticate": 'Bearer error="invalid_request"'})
    return value.strip()


def current_token() -> ApiToken | None:
    """The token this request authenticates with (checked once per request), or ``None``.

    :raises ApiError: or :class:`TokenError` (both answered with 401) for a bad token.
    """
    if "api_auth" not in g:
        try:
            presented = presented_token()
            token = None
            if presented is not None:
                service = TokenService(deps.container(), deps.session(), Actor.anonymous(deps.client()))
                token = service.authenticate(presented)
            g.api_auth = (token, None)
        except (ApiError, TokenError) as error:
            g.api_auth = (None, error)
    token, error = g.api_auth
    if error is not None:
        raise error
    return token


def rate_limit_key() -> str:
    """Flask-Limiter's key: the token when a valid one is presented, else the client address."""
    try:
        token = current_token()
    except (ApiError, TokenError):
        token = None
    return f"token:{token.id}" if token is not None else f"ip:{request.remote_addr or '-'}"


def method() -> str:
    """How the request authenticated: ``token``, ``session`` or ``anonymous``."""
    return g.get("api_auth_method", "anonymous")


def authenticate() -> None:
    """Before every API view: refuse oversized bodies, set the actor, enforce CSRF on session writes."""
    request.max_content_length = MAX_BODY
    if (request.content_length or 0) > MAX_BODY:
        raise ApiError(413, message=_("The request body is larger than %(limit)s bytes.", limit=MAX_BODY))
    token = current_token()
    if token is not None:
        deps.session().commit()  # the token's last use, recorded before the view's own transaction
        client = f"api token {token.prefix} {request.remote_addr or ''}".strip()
        g.actor = actor_for(deps.session(), token.user, client)
        g.api_auth_method = "token"
        return
    if current_user.is_authenticated:
        g.api_auth_method = "session"
        g.actor = deps.actor().with_client(f"api {request.remote_addr or ''}".strip())
    if request.method in SAFE_METHODS:
        return
    if not current_user.is_authenticated:
        raise ApiError(401)
    try:
        validate_csrf(next((request.headers[h] for h in CSRF_HEADERS if request.headers.get(h)), None))
    except CSRFValidationError:
        raise ApiError(403, "csrf_failed", _("Writes with a portal session need its CSRF token in the X-CSRFToken "
                                             "header; scripts should use an API token instead.")) from None


def require_user() -> None:
    """Refuse anonymous callers (401) for reads that belong to a user."""
    if deps.actor().is_anonymous:
        raise ApiError(401)
