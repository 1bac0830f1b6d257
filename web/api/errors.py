"""The API's one error shape ``{"error": {"code", "message", "fields"}}`` for every failure under /api.

Errors raised in API views (domain errors, :class:`ApiError`) are handled on the blueprint; errors
that happen before a view is found (404, 405, 413, 429 …) go through app-level handlers that answer
JSON for API paths and hand every other path to the handler registered before (the portal's pages).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping

from flask import Blueprint, Flask, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, default_exceptions

from catalog.errors import (
    ConflictError,
    MuluError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    WorkflowError,
)
from catalog.services.token import TokenError
from web import deps

# Paths whose errors other blueprints answer in their own shape (the CKAN Action API, issue #5 part 3).
FOREIGN_PREFIXES = ("/api/3/", "/api/action/", "/api/2/")
STATUSES = (400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 428, 429, 500)

# status → (code, message) for HTTP errors raised without a more specific message.
HTTP_ERRORS = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: ("unauthorized", _l("Authentication is required: send an API token as “Authorization: Bearer …”.")),
    403: ("permission_denied", _l("You may not do this.")),
    404: ("not_found", _l("There is no such resource or address.")),
    405: ("method_not_allowed", _l("This address does not accept that method.")),
    406: ("not_acceptable", _l("None of the formats in the Accept header can be produced.")),
    409: ("conflict", _l("The request conflicts with the current state; nothing was written.")),
    412: ("precondition_failed", _l("The resource has changed since you read it; nothing was written.")),
    413: ("payload_too_large", _l("The request body is too large.")),
    415: ("unsupported_media_type", _l("Send the body as JSON (Content-Type: application/json).")),
    422: ("validation_error", _l("The input is not valid.")),
    428: ("precondition_required", _l("Send the ETag you read in an If-Match header.")),
    429: ("rate_limited", _l("Too many requests; slow down and try again later.")),
    500: ("server_error", _l("Something went wrong on our side; the error has been logged.")),
}


class ApiError(Exception):
    """An error answered in the API's shape; ``fields`` maps a field (or parameter) to its messages."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None, *,
                 fields: Mapping[str, list[str]] | None = None, headers: Mapping[str, str] | None = None):
        default_code, default_message = HTTP_ERRORS[status]
        self.status = status
        self.code = code or default_code
        self.message = message or str(default_message)
        self.fields = {k: [str(m) for m in v] for k, v in (fields or {}).items()}
        self.headers = dict(headers or {})
        super().__init__(self.message)


def error_response(status: int, code: str, message: str, fields: Mapping[str, list[str]] | None = None,
                   headers: Mapping[str, str] | None = None):
    """The JSON response of an error (the one shape)."""
    body = {"error": {"code": code, "message": str(message), "fields": {k: [str(m) for m in v] for k, v in
                                                                        (fields or {}).items()}}}
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def is_api_path(path: str | None = None) -> bool:
    """Whether a path is answered in the API's error shape (under /api, except the CKAN endpoints)."""
    path = request.path if path is None else path
    if not (path == "/api" or path.startswith("/api/")):
        return False
    return not any(path.startswith(prefix) or path == prefix.rstrip("/") for prefix in FOREIGN_PREFIXES)


def _api_error(error: ApiError):
    return error_response(error.status, error.code, error.message, error.fields, error.headers)


def _domain_error(error: MuluError):
    deps.session().rollback()
    locale = deps.locale()
    body = error.to_dict(locale)
    status = 400  # a deliberate domain error of no more specific kind
    headers: dict[str, str] = {}
    if isinstance(error, TokenError):
        status = 401
        headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{error.code}"'
    elif isinstance(error, ValidationError):
        status = 422
    elif isinstance(error, NotFoundError):
        status = 404
    elif isinstance(error, PermissionDeniedError):
        if deps.actor().is_anonymous:
            return error_response(401, *_http(401), headers={"WWW-Authenticate": "Bearer"})
        status = 403
    elif isinstance(error, ConflictError | WorkflowError):
        status = 409
    return error_response(status, body["code"], body["message"], body["fields"], headers)


def _http(status: int) -> tuple[str, str]:
    code, message = HTTP_ERRORS[status]
    return code, str(message)


def http_error(error: HTTPException):
    """The API answer to an HTTP error: the status, its code and translated message, and its headers."""
    status = error.code or 500
    if status not in HTTP_ERRORS:
        status = 500 if status >= 500 else 400
    code, message = _http(status)
    headers: dict[str, str] = {}
    if status == 405:
        allowed = [m for m in (getattr(error, "valid_methods", None) or [])]
        if allowed:
            headers["Allow"] = ", ".join(sorted(allowed))
            message = _("This address does not accept the %(method)s method; use %(allowed)s.",
                        method=request.method, allowed=", ".join(sorted(allowed)))
    if status == 413:
        from web.api.payload import MAX_BODY

        message = _("The request body is larger than %(limit)s bytes.", limit=MAX_BODY)
    if status == 429:
        headers["Retry-After"] = str(_retry_after())
        limit = getattr(getattr(error, "limit", None), "limit", None)
        if limit is not None:
            message = _("Too many requests (at most %(limit)s); try again in %(seconds)s seconds.",
                        limit=str(limit), seconds=headers["Retry-After"])
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(status, code, message, headers=headers)


def _retry_after() -> int:
    for limiter in current_app.extensions.get("limiter", ()):
        current = limiter.current_limit
        if current is not None:
            return max(1, int(current.reset_at - time.time()))
    return 60


def register_blueprint_handlers(blueprint: Blueprint) -> None:
    """Errors raised inside API views: ours, the domain's and HTTP ones, all in the one shape."""
    blueprint.register_error_handler(ApiError, _api_error)
    blueprint.register_error_handler(MuluError, _domain_error)
    blueprint.register_error_handler(HTTPException, http_error)


def register_app_handlers(app: Flask) -> None:
    """Wrap the app's handlers of each status: JSON for API paths, the previous handler for the rest."""
    app.register_error_handler(ApiError, _wrap(app, ApiError, _api_error))
    for status in STATUSES:
        exception_class = default_exceptions[status]
        app.register_error_handler(status, _wrap(app, exception_class, http_error, status))


def _wrap(app: Flask, exception_class: type, handler: Callable, status: int | None = None) -> Callable:
    previous = app.error_handler_spec[None][status].get(exception_class)

    def handle(error):
        # CKAN paths keep their own handlers; where they have none (429), JSON still beats an HTML page.
        if is_api_path() or (previous is None and request.path.startswith("/api/")):
            if status == 500 and not isinstance(error, HTTPException):
                return http_error(default_exceptions[500]())
            return handler(error)
        if previous is not None:
            return previous(error)
        if status is None:
            return error_response(error.status, error.code, error.message, error.fields, error.headers)
        return error

    handle.__name__ = f"api_or_{getattr(previous, '__name__', 'default')}"
    return handle
