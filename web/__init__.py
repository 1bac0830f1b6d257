"""The Flask application factory: settings, the catalog container and the blueprints."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, g, request

from catalog.config import Settings
from catalog.container import Container
from catalog.i18n import normalise_locale


def _secret_key(settings: Settings) -> str:
    """The configured secret, or one generated once into the instance folder (mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def create_app(settings: Settings | None = None, container: Container | None = None) -> Flask:
    """Build the Flask app.

    :param settings: settings to use; read from ``MULU_*`` variables when omitted.
    :param container: an existing container (tests, the demo); built from the settings when omitted.
    """
    container = container or Container.from_settings(settings)
    settings = container.settings
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MULU_CONTAINER=container,
    )
    app.extensions["mulu"] = container

    @app.before_request
    def _locale() -> None:
        requested = request.args.get("lang") or request.accept_languages.best_match(["zh", "zh-CN", "en"])
        g.locale = normalise_locale(requested or settings.default_locale)

    from web.portal import portal

    app.register_blueprint(portal)
    return app
