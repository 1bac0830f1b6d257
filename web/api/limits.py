"""Rate limits with Flask-Limiter: per token (or per client address), in memory or in Redis (``MULU_REDIS_URL``).

Every API request counts against ``MULU_API_RATE_LIMIT``; writes also against
``MULU_API_WRITE_RATE_LIMIT``. Over the limit the answer is ``429`` with ``Retry-After``. Behind a
reverse proxy, wrap the app in werkzeug's ``ProxyFix`` so the client address is the caller's.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_limiter import Limiter

from web.api.auth import rate_limit_key

WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
EXTENSION = "mulu_limiter"


def init_app(app: Flask, blueprint: Blueprint) -> Limiter:
    """Build the app's limiter (one per app: its in-memory counters are its own) and limit ``blueprint``."""
    settings = app.extensions["mulu"].settings
    limiter = Limiter(
        key_func=rate_limit_key,
        storage_uri=settings.redis_url or "memory://",
        headers_enabled=True,
        retry_after="delta-seconds",
        key_prefix="mulu",
        strategy="fixed-window",
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    limit_blueprint(app, blueprint)
    return limiter


def limit_blueprint(app: Flask, blueprint: Blueprint, scope: str | None = None, read_only: bool = False) -> None:
    """Apply the API limits to another blueprint too (the CKAN Action API at /api/3).

    :param scope: the counter the blueprint's requests share; by default its own.
    :param read_only: the blueprint only reads, whatever the method (CKAN clients send reads as POST):
        the write limit does not apply.
    """
    limiter: Limiter = app.extensions[EXTENSION]
    settings = app.extensions["mulu"].settings
    scope = scope or blueprint.name
    limiter.shared_limit(settings.api_rate_limit, scope=scope)(blueprint)
    if not read_only:
        limiter.shared_limit(settings.api_write_rate_limit, scope=f"{scope}-write", methods=WRITE_METHODS)(blueprint)
