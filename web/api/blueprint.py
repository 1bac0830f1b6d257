"""The ``api`` blueprint at /api/v1, with its authentication hook and its JSON error handlers."""

from __future__ import annotations

from flask import Blueprint

from web.api import auth, errors

PREFIX = "/api/v1"
api = Blueprint("api", __name__, url_prefix=PREFIX)
api.before_request(auth.authenticate)
errors.register_blueprint_handlers(api)
