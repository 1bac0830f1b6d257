"""The minimal public portal until the full one lands (issue #4): a list of published resources and one resource."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from catalog.display import value_label
from catalog.errors import NotFoundError
from catalog.services.resource import ResourceService
from catalog.workflow import STATES
from web import deps
from web.i18n import gettext

portal = Blueprint("portal", __name__)
PAGE_SIZE = 50
# Separators between the parts of a grouped element (共享属性: 共享类型, 共享条件 …), per language.
_PAIR = {"zh_CN": "：", "en": ": "}
_JOIN = {"zh_CN": "；", "en": "; "}


@portal.teardown_app_request
def _close(exc=None) -> None:
    deps.close_session(exc)


@portal.app_context_processor
def _helpers():
    def _(msgid: str) -> str:
        return gettext(msgid, deps.locale())

    return {
        "_": _,
        "locale": deps.locale(),
        # The language chosen with ?lang= travels with the portal's own links (as zh or en, nothing else).
        "lang": ("en" if deps.locale() == "en" else "zh") if request.args.get("lang") else None,
        "state_label": lambda s: STATES[s].render(deps.locale()),
    }


@portal.app_errorhandler(404)
def _not_found(_error):
    return render_template("404.html"), 404


@portal.get("/")
def index():
    service = ResourceService(deps.container(), deps.session(), deps.actor())
    page = max(1, request.args.get("page", 1, type=int) or 1)
    resources = service.list(status="published", limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    total = service.count_by_status().get("published", 0)
    return render_template("index.html", resources=resources, total=total, page=page, page_size=PAGE_SIZE)


@portal.get("/resources/<int:resource_id>")
def resource(resource_id: int):
    service = ResourceService(deps.container(), deps.session(), deps.actor())
    try:
        item = service.get(resource_id)
    except NotFoundError:
        abort(404)
    container, locale = deps.container(), deps.locale()
    data = service.to_json(item)
    rows = []
    for element in container.profile:
        if element.type in ("items", "distributions"):
            continue
        value = data.get(element.name)
        if element.type == "department":
            value = data["department"]["name"]
        elif element.type == "object":
            # Each part with its own label: "有条件共享 · 仅限…" would not say which text is the condition.
            parts = [(child.label.render(locale), value_label(child, (value or {}).get(child.name), container.vocab, locale))
                     for child in element.children]
            value = _JOIN[locale].join(f"{label}{_PAIR[locale]}{text}" for label, text in parts if text not in ("", None))
        else:
            value = value_label(element, value, container.vocab, locale)
        rows.append((element.label.render(locale), value))
    items_element = container.profile.get("items")
    items = [
        [value_label(child, item.get(child.name), container.vocab, locale) for child in items_element.children[:4]]
        for item in data["items"]
    ]
    return render_template("resource.html", resource=item, rows=rows, items=items, items_element=items_element)
