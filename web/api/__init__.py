"""The REST API (issue #5): ``/api/v1`` with tokens, rate limits, CORS on reads, OpenAPI and the docs page.

:func:`init_app` installs it; the app factory calls it after the portal's blueprints and error
pages, so the API's JSON error handlers wrap the portal's HTML ones.
"""

from __future__ import annotations

from flask import Flask, request

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CORS_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Access-Control-Allow-Credentials")
EXPOSED = ["ETag", "Link", "Location", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
           "X-RateLimit-Reset"]


def init_app(app: Flask) -> None:
    """Register the API, its docs and token pages, limits (also on the CKAN blueprint if present), CORS, errors."""
    from flask_cors import CORS

    from web import csrf

    # Importing the view modules registers their routes on the blueprint.
    from web.api import (  # noqa: F401
        account,
        coverage,
        departments,
        docs,
        errors,
        harvest,
        limits,
        openapi,
        profile,
        resources,
        tokens,
        vocabularies,
        workflow,
    )
    from web.api.blueprint import PREFIX, api

    csrf.exempt(api)  # token requests need no CSRF token; auth.authenticate checks it for session writes
    app.register_blueprint(api)
    app.register_blueprint(docs.api_docs)
    app.register_blueprint(account.api_tokens)
    errors.register_app_handlers(app)

    @app.after_request
    def _tidy_headers(response):
        # Registered before Flask-Limiter's and Flask-Cors's hooks, so it runs after them (Flask runs
        # after_request hooks last-registered first): cross-origin reads only, and Retry-After only
        # where it means something (the limiter adds it to every answer).
        if request.method not in SAFE_METHODS and request.path.startswith(PREFIX):
            for name in CORS_HEADERS:
                response.headers.pop(name, None)
        if response.status_code not in (429, 503):
            response.headers.pop("Retry-After", None)
        return response

    limits.init_app(app, api)
    ckan = app.blueprints.get("ckan_api")
    if ckan is not None:
        limits.limit_blueprint(app, ckan, read_only=True)
    CORS(app, resources={rf"{PREFIX}/*": {
        "origins": "*", "send_wildcard": True, "methods": list(SAFE_METHODS), "supports_credentials": False,
        "max_age": 600,
        "allow_headers": ["Authorization", "Accept", "Accept-Language", "Content-Type", "If-None-Match"],
        "expose_headers": EXPOSED,
    }})
