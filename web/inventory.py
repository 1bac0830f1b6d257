"""The expected inventory (资源清单) pages of a department (issue #7): its items, their links and suggestions.

Every write goes through :class:`~catalog.coverage.inventory.InventoryService` (which checks the permission,
validates and flushes); the view commits. Who may read and edit is ``catalog.coverage.access``'s answer:
the department's own users read, its officers, managers and admins edit, auditors read everything.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import or_, select

from catalog.coverage import access
from catalog.coverage.inventory import InventoryService
from catalog.errors import NotFoundError, ValidationError
from catalog.models import Resource
from catalog.models.inventory import INVENTORY_SOURCES
from web import deps

inventory = Blueprint("inventory", __name__, url_prefix="/inventory")

FIELDS = ("title", "source", "basis", "description", "item_names")


def _department(key: str):
    try:
        found = deps.departments().get_by_key(key)
    except NotFoundError:
        abort(404)
    if not access.can_view_inventory(deps.actor(), found.id):
        abort(403)
    return found


def _service() -> InventoryService:
    return InventoryService(deps.container(), deps.session(), deps.actor())


def _item(department, item_id: int):
    item = _service().get(item_id)  # NotFoundError → 404
    if item.department_id != department.id:
        abort(404)
    return item


def _messages(error: ValidationError) -> dict[str, list[str]]:
    locale = deps.locale()
    return {path: [m.render(locale) for m in messages] for path, messages in error.fields.items()}


def _page(department, *, errors: dict[str, list[str]] | None = None, values: dict[str, str] | None = None,
          link_errors: dict[int, list[str]] | None = None, codes: dict[int, str] | None = None, status: int = 200):
    items = _service().list(department_id=department.id)
    return render_template(
        "inventory/department.html", department=department, items=items, errors=errors or {}, values=values or {},
        link_errors=link_errors or {}, codes=codes or {}, sources=INVENTORY_SOURCES,
        can_edit=access.can_edit_inventory(deps.actor(), department.id)), status


def _done(department, text: str):
    deps.session().commit()
    flash(text, "success")
    return redirect(url_for("inventory.department", key=department.key))


@inventory.app_context_processor
def _helpers() -> dict[str, Any]:
    from catalog.coverage.report import SOURCE_LABELS

    locale = deps.locale()
    return {"inventory_source_label": lambda key: SOURCE_LABELS[key].render(locale) if key in SOURCE_LABELS else key}


@inventory.get("/<key>")
@login_required
def department(key: str):
    return _page(_department(key))


@inventory.post("/<key>/items")
@login_required
def add(key: str):
    found = _department(key)
    values = {name: request.form.get(name, "") for name in FIELDS}
    try:
        item = _service().create({"department": found.id, **values})
    except ValidationError as error:
        deps.session().rollback()
        return _page(found, errors=_messages(error), values=values, status=400)
    return _done(found, _("The expected resource %(title)s was added.", title=item.title))


@inventory.post("/<key>/items/<int:item_id>/delete")
@login_required
def remove(key: str, item_id: int):
    found = _department(key)
    item = _item(found, item_id)
    title = item.title
    _service().delete(item.id)
    return _done(found, _("The expected resource %(title)s was removed.", title=title))


@inventory.post("/<key>/items/<int:item_id>/confirm")
@login_required
def confirm(key: str, item_id: int):
    found = _department(key)
    item = _item(found, item_id)
    try:
        _service().link(item.id)
    except ValidationError as error:
        deps.session().rollback()
        return _page(found, link_errors={item_id: sum(_messages(error).values(), [])}, status=400)
    return _done(found, _("The suggested resource was confirmed."))


@inventory.post("/<key>/items/<int:item_id>/reject")
@login_required
def reject(key: str, item_id: int):
    found = _department(key)
    item = _item(found, item_id)
    _service().reject_suggestion(item.id)
    return _done(found, _("The suggestion was rejected."))


@inventory.post("/<key>/items/<int:item_id>/link")
@login_required
def link(key: str, item_id: int):
    found = _department(key)
    item = _item(found, item_id)
    code = request.form.get("code", "").strip()  # a 信息资源代码 or metadata identifier, as the import takes
    if not access.can_edit_inventory(deps.actor(), found.id):
        abort(403)
    problems: list[str] = []
    resource = None
    if not code:
        problems = [_("Resource code: this field is required.")]
    else:
        resource = deps.session().scalars(select(Resource).where(or_(Resource.code == code, Resource.metadata_id == code))).first()
        if resource is None:
            problems = [_("Resource code: no resource has the code %(code)s.", code=code)]
    if not problems:
        try:
            _service().link(item.id, resource.id)
        except ValidationError as error:
            deps.session().rollback()
            problems = sum(_messages(error).values(), [])
    if problems:
        return _page(found, link_errors={item_id: problems}, codes={item_id: code}, status=400)
    return _done(found, _("The expected resource %(title)s was linked.", title=item.title))
