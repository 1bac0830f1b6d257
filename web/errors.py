"""Error pages that say what happened and where to go: 400 (expired form), 403, 404, 405, 409 and 500."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from catalog.errors import ConflictError, NotFoundError, PermissionDeniedError
from web import deps

# status → (title, explanation); the template adds where to go from there.
PAGES = {
    400: (_l("The request could not be understood"),
          _l("Something in the address or the form was not valid. Go back, check what you entered and try again.")),
    403: (_l("You may not do this"),
          _l("Your account does not have the permission for this page or action. If you think it should, ask your "
             "catalog manager.")),
    404: (_l("Page not found"),
          _l("There is no such page, or the resource is not published to the public.")),
    405: (_l("The request could not be understood"),
          _l("This address does not accept that kind of request. Use the links and buttons of the portal.")),
    409: (_l("Somebody else changed this in the meantime"),
          _l("Nothing was saved. Reload the page to see the current version, then make your change again.")),
    500: (_l("Something went wrong on our side"),
          _l("The error has been logged. Try again in a moment; if it persists, tell the catalog manager.")),
}


def render_error(status: int, detail: str | None = None):
    title, explanation = PAGES[status]
    return render_template("error.html", status=status, title=title, explanation=explanation, detail=detail), status


def register(app: Flask) -> None:
    """Install the handlers: HTTP statuses and the domain's errors raised out of a view."""

    for status in PAGES:
        app.register_error_handler(status, lambda error, status=status: render_error(status))

    @app.errorhandler(CSRFError)
    def _csrf(error):
        title = _l("The form has expired")
        explanation = _l("For your safety, forms are only accepted from a page you opened in this browser session. "
                         "Go back, reload the page and submit again.")
        return render_template("error.html", status=400, title=title, explanation=explanation), 400

    @app.errorhandler(NotFoundError)
    def _not_found(error):
        return render_error(404)

    @app.errorhandler(PermissionDeniedError)
    def _denied(error):
        deps.session().rollback()
        if not current_user.is_authenticated:
            return app.extensions["login_manager"].unauthorized()
        return render_error(403, error.message.render(deps.locale()))

    @app.errorhandler(ConflictError)
    def _conflict(error):
        deps.session().rollback()
        return render_error(409, error.message.render(deps.locale()))

    @app.before_request
    def _no_nul() -> None:
        # A NUL byte in a query string reaches PostgreSQL as an error (SQLite shrugs): refuse it up front.
        if "\x00" in request.full_path:
            from flask import abort

            abort(400)
