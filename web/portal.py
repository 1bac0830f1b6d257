"""The home page (the catalog at a glance) and what every template may use: language links, labels, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, Flask, render_template, request, url_for
from flask_login import current_user

from catalog.i18n import Text
from catalog.search import SearchQuery
from catalog.workflow import STATES, TRANSITIONS
from web import deps
from web.accounts import role_label
from web.forms import EmptyForm
from web.i18n import LANGUAGES

portal = Blueprint("portal", __name__)
RECENT = 8
TOP_DEPARTMENTS = 8
# Roles that work inside a department (我的部门) and roles that review (审核).
# History entries that are not workflow transitions.
OTHER_ACTIONS = {
    "create": Text({"zh": "创建", "en": "Created"}),
    "update": Text({"zh": "修改", "en": "Edited"}),
    "propose_change": Text({"zh": "提出变更", "en": "Change proposed"}),
    "approve_change": Text({"zh": "变更通过", "en": "Change approved"}),
    "return_change": Text({"zh": "变更退回", "en": "Change returned"}),
}
WORKSPACE_ROLES = frozenset({"officer", "reviewer", "admin"})
REVIEW_ROLES = frozenset({"reviewer", "manager", "admin"})


def _language_url(locale: str) -> str:
    """The current page in another language (the choice is then remembered in the session)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = ["zh" if locale == "zh_CN" else "en"]
    return url_for(request.endpoint or "portal.index", **(request.view_args or {}), **args)


def _local(value):
    """A stored UTC datetime in the catalog's time zone, to the minute; dates as they are."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(deps.container().timezone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value or ""


def register_helpers(app: Flask) -> None:
    """Template globals and filters shared by every blueprint."""

    @app.context_processor
    def _helpers():
        locale = deps.locale()
        role = getattr(current_user, "role", None) if current_user.is_authenticated else None
        return {
            "locale": locale,
            "languages": LANGUAGES,
            "language_url": _language_url,
            "state_label": lambda state: STATES[state].render(locale) if state in STATES else state,
            "role_label": lambda r: role_label(r, locale),
            "action_label": lambda a: (TRANSITIONS[a].label if a in TRANSITIONS else OTHER_ACTIONS.get(a, Text({"en": a})))
            .render(locale),
            "render": lambda text: text.render(locale) if hasattr(text, "render") else text,
            "show_workspace": role in WORKSPACE_ROLES,
            "show_review": role in REVIEW_ROLES,
            "logout_form": EmptyForm() if role else None,
        }

    app.jinja_env.filters["local"] = _local


@portal.get("/")
def index():
    actor, session = deps.actor(), deps.session()
    result = deps.search_backend().search(
        session, SearchQuery(facets=("classification", "department"), size=0, highlight=False), actor
    )
    classes = [v for v in result.facets.get("classification", []) if v.parent is None]
    departments = sorted((v for v in result.facets.get("department", []) if v.parent is not None),
                         key=lambda v: (-v.count, v.value))[:TOP_DEPARTMENTS]
    recent = deps.resources().list(status="published", limit=RECENT)
    return render_template("index.html", total=result.total, classes=classes, departments=departments, recent=recent)
