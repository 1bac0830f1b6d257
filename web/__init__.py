"""The Flask application factory: settings, the catalog container, extensions, blueprints and error pages."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_bootstrap import Bootstrap5
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from catalog.config import Settings
from catalog.container import Container
from catalog.i18n import normalise_locale

csrf = CSRFProtect()
bootstrap = Bootstrap5()


class _SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over https (behind a proxy: use ProxyFix)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


class DatabaseIntConverter(IntegerConverter):
    """``<int:…>`` bounded to 2³¹−1: a larger number in a URL is a 404, not an integer overflow (500) on PostgreSQL."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


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
    from web import accounts, dcat_views, departments, editing, errors, portal, resources, search, workspace
    from web import api as rest_api
    from web.ckan_api import ckan_api
    from web.coverage import coverage as coverage_audit
    from web.harvest import harvest as harvest_pages
    from web.i18n import SESSION_KEY, PortalBabel, select_locale
    from web.inventory import inventory as inventory_pages
    from web.notifications import notifications

    container = container or Container.from_settings(settings)
    settings = container.settings
    app = Flask(__name__)
    # Before any blueprint adds its rules: every <int:…> in a URL is bounded to the ids' 32-bit column.
    app.url_map.converters["int"] = DatabaseIntConverter
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
                      departments.departments, workspace.workspace, editing.editing, dcat_views.dcat, coverage_audit,
                      harvest_pages, inventory_pages, notifications):
        app.register_blueprint(blueprint)
    errors.register(app)
    portal.register_helpers(app)
    app.register_blueprint(ckan_api)
    csrf.exempt(ckan_api)  # read-only actions; CKAN clients POST JSON without a form token
    # Last: the REST API's JSON error handlers wrap the pages' ones, and its limits cover ckan_api too.
    rest_api.init_app(app)
    return app
