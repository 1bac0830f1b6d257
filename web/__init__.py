"""The Flask application factory: settings, the catalog container, extensions, blueprints and error pages."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_bootstrap import Bootstrap5
from flask_wtf.csrf import CSRFProtect

from catalog.config import Settings
from catalog.container import Container
from catalog.i18n import normalise_locale

csrf = CSRFProtect()
bootstrap = Bootstrap5()


class _SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over https (behind a proxy: use ProxyFix)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


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
    from web import accounts, departments, editing, errors, portal, resources, search, workspace
    from web.i18n import SESSION_KEY, PortalBabel, select_locale

    container = container or Container.from_settings(settings)
    settings = container.settings
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE=normalise_locale(settings.default_locale),
        # Bootstrap's CSS and JS come from the Bootstrap-Flask package itself: no CDN, no outside asset.
        BOOTSTRAP_SERVE_LOCAL=True,
        # The token is bound to the session; a time limit would only break forms left open over lunch.
        WTF_CSRF_TIME_LIMIT=None,
        MULU_CONTAINER=container,
    )
    app.session_interface = _SessionInterface()
    app.extensions["mulu"] = container

    PortalBabel(app, locale_selector=select_locale)
    csrf.init_app(app)
    bootstrap.init_app(app)
    accounts.login_manager.init_app(app)

    @app.before_request
    def _remember_language() -> None:
        # ?lang= on any page switches the language and keeps it for the rest of the visit.
        chosen = request.args.get("lang")
        if chosen:
            session[SESSION_KEY] = normalise_locale(chosen)

    @app.teardown_appcontext
    def _close(exc=None) -> None:
        from web import deps

        deps.close_session(exc)

    for blueprint in (portal.portal, accounts.accounts, search.search, resources.resources,
                      departments.departments, workspace.workspace, editing.editing):
        app.register_blueprint(blueprint)
    errors.register(app)
    portal.register_helpers(app)
    return app
