"""InventoryService: the expected inventory (资源清单) — items, their confirmed links, suggestions, import and export."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm.exc import StaleDataError

from catalog.coverage import access
from catalog.coverage.similarity import fold, split_names
from catalog.errors import ConflictError, NotFoundError, ValidationError
from catalog.i18n import Message, message
from catalog.importing import ImportReport
from catalog.models import Department, InventoryItem, Resource
from catalog.models.inventory import INVENTORY_SOURCES
from catalog.permissions import STAFF_READERS, require
from catalog.services.base import Service
from catalog.tabular import Row

TITLE_MAX = 200
BASIS_MAX = 500
ITEM_NAME_MAX = 200
# Spellings of the sources in inventory sheets (资源梳理 forms name them in several ways).
SOURCE_ALIASES = {
    **{name: name for name in INVENTORY_SOURCES},
    "职责": "duty", "部门职责": "duty", "职能": "duty", "三定职责": "duty",
    "事项": "matter", "权责事项": "matter", "行政事项": "matter", "政务服务事项": "matter", "业务事项": "matter",
    "administrative matter": "matter",
    "信息系统": "system", "系统": "system", "业务系统": "system", "information system": "system",
}


def title_key(title: str) -> str:
    """The folded title that must be unique within a department (spacing, width and punctuation ignored)."""
    return fold(title) or title.strip()


def normalise_source(value: str | None) -> str | None:
    """The source key of a spelling (``权责事项`` → ``matter``); ``duty`` when empty; ``None`` when unknown."""
    if value is None or not str(value).strip():
        return "duty"
    return SOURCE_ALIASES.get(str(value).strip().casefold()) or SOURCE_ALIASES.get(str(value).strip())


def resolve_department(session, ref: Any) -> Department | None:
    """Find a department by id, key, unified social credit code, name or short name; an internal unit
    resolves to its department (inventories, like resources, belong to departments)."""
    if ref is None or (isinstance(ref, str) and not ref.strip()):
        return None
    if isinstance(ref, Department):
        department = ref
    elif isinstance(ref, int):
        department = session.get(Department, ref)
    else:
        text = str(ref).strip()
        found = session.scalars(select(Department).where(or_(
            Department.key == text, Department.uscc == text.upper(), Department.name == text))).all()
        if not found:
            found = session.scalars(select(Department).where(Department.short_name == text)).all()
        department = found[0] if len(found) == 1 else None
    while department is not None and department.kind == "internal_unit" and department.parent is not None:
        department = department.parent
    return department


def clean_fields(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[Message]]]:
    """Check the item's own fields (title, source, basis, description, item names); no database needed.

    :returns: the cleaned values of the keys present, and ``{field: [messages]}`` for the bad ones.
    """
    values: dict[str, Any] = {}
    errors: dict[str, list[Message]] = {}
    if "title" in data:
        title = " ".join(str(data.get("title") or "").split())
        if not title:
            errors["title"] = [message("Title: this field is required.")]
        elif len(title) > TITLE_MAX:
            errors["title"] = [message("Title: at most {max} characters.", max=TITLE_MAX)]
        values["title"] = title
    if "source" in data:
        source = normalise_source(data.get("source"))
        if source is None:
            errors["source"] = [message("Source: {value} is not a duty, an administrative matter or an information "
                                        "system.", value=data.get("source"))]
        values["source"] = source
    if "basis" in data:
        basis = str(data.get("basis") or "").strip() or None
        if basis and len(basis) > BASIS_MAX:
            errors["basis"] = [message("Basis: at most {max} characters.", max=BASIS_MAX)]
        values["basis"] = basis
    if "description" in data:
        values["description"] = str(data.get("description") or "").strip()
    if "item_names" in data:
        raw = data.get("item_names") or []
        names = split_names(raw) if isinstance(raw, str) else list(dict.fromkeys(str(n).strip() for n in raw if str(n).strip()))
        if any(len(name) > ITEM_NAME_MAX for name in names):
            errors["item_names"] = [message("Expected items: a name has more than {max} characters.", max=ITEM_NAME_MAX)]
        values["item_names"] = names
    return values, errors


class InventoryService(Service):
    """Every write to the inventory: permission checked, validated, flushed (never committed) and audited."""

    # -- reading -------------------------------------------------------------------------------

    def get(self, item_id: int) -> InventoryItem:
        """Fetch an inventory item the actor may read.

        :raises NotFoundError: when it does not exist or the actor may not read its department's inventory.
        """
        item = self.session.get(InventoryItem, item_id)
        if item is None or not access.can_view_inventory(self.actor, item.department_id):
            raise NotFoundError(message("Inventory item {id} was not found.", id=item_id))
        return item

    def list(self, *, department_id: int | None = None) -> builtins.list[InventoryItem]:
        """The items the actor may read, by department and title; one department's when ``department_id`` is given."""
        query = select(InventoryItem).join(Department, Department.id == InventoryItem.department_id)
        if self.actor.role not in STAFF_READERS:
            # Department users read their own inventory only: filter in SQL, check each row below anyway.
            query = query.where(InventoryItem.department_id.in_(sorted(self.actor.department_ids)))
        if department_id is not None:
            query = query.where(InventoryItem.department_id == department_id)
        items = self.session.scalars(query.order_by(Department.division, Department.catalog_segment,
                                                    InventoryItem.department_id, InventoryItem.id))
        return [item for item in items if access.can_view_inventory(self.actor, item.department_id)]

    # -- writing -------------------------------------------------------------------------------

    def create(self, data: Mapping[str, Any]) -> InventoryItem:
        """Add an expected resource to a department's inventory.

        :param data: ``department`` (id, key, USCC or name), ``title``, and optionally ``source`` (duty, matter,
            system or their Chinese names), ``basis`` (the duty, matter or system it comes from),
            ``description`` and ``item_names`` (a list, or one text separated by 、 , ；).
        :returns: the new item, flushed.
        :raises ValidationError: for an empty or too long title, an unknown source or department, or a title
            the department's inventory has already.
        :raises PermissionDeniedError: unless the actor may edit that department's inventory.
        """
        department = resolve_department(self.session, data.get("department"))
        values, errors = clean_fields({"title": data.get("title"), "source": data.get("source"),
                                       **{k: data[k] for k in ("basis", "description", "item_names") if k in data}})
        if department is None:
            errors["department"] = [message("Department: no department {value}.", value=data.get("department"))]
        if errors:
            raise ValidationError(errors)
        require(access.can_edit_inventory(self.actor, department.id), message("edit this department's inventory"))
        self._check_unique(department.id, values["title"])
        item = InventoryItem(department_id=department.id, department=department, title_key=title_key(values["title"]),
                             **{"description": "", "item_names": [], **values})
        self.session.add(item)
        self._flush()
        self.audit("inventory.create", "inventory_item", item.id, {"title": item.title, "department": department.key})
        return item

    def update(self, item_id: int, data: Mapping[str, Any], *, expected_version: int | None = None) -> InventoryItem:
        """Change an item's title, source, basis, description or expected item names (the keys given).

        :param item_id: the item.
        :param data: the fields to change, as :meth:`create` takes them (``department`` cannot change).
        :param expected_version: the ``version`` the editor started from.
        :returns: the item, flushed.
        :raises ValidationError: for bad values or a title the department's inventory has already.
        :raises ConflictError: when ``expected_version`` is stale.
        :raises PermissionDeniedError: unless the actor may edit the department's inventory.
        """
        item = self.get(item_id)
        require(access.can_edit_inventory(self.actor, item.department_id), message("edit this department's inventory"))
        if expected_version is not None and int(expected_version) != item.version:
            raise ConflictError(message("Somebody else changed this inventory item; nothing was saved."),
                                current=item.version)
        values, errors = clean_fields(data)
        if errors:
            raise ValidationError(errors)
        if "title" in values and title_key(values["title"]) != item.title_key:
            self._check_unique(item.department_id, values["title"])
            item.title_key = title_key(values["title"])
        for name, value in values.items():
            setattr(item, name, value)
        self._flush()
        self.audit("inventory.update", "inventory_item", item.id, {"fields": sorted(values)})
        return item

    def delete(self, item_id: int) -> None:
        """Remove an item that is no longer expected (a duty abolished, a system retired).

        :raises NotFoundError: when the item does not exist or is not readable.
        :raises PermissionDeniedError: unless the actor may edit the department's inventory.
        """
        item = self.get(item_id)
        require(access.can_edit_inventory(self.actor, item.department_id), message("edit this department's inventory"))
        self.audit("inventory.delete", "inventory_item", item.id, {"title": item.title})
        self.session.delete(item)
        self.session.flush()

    def link(self, item_id: int, resource_id: int | None = None) -> InventoryItem:
        """Confirm the resource that fulfils an item (the suggestion when ``resource_id`` is omitted).

        The actor is recorded as the person who confirmed it, with the time.

        :param item_id: the item.
        :param resource_id: the resource; the stored suggestion when omitted.
        :returns: the item, flushed.
        :raises ValidationError: when there is no suggestion to confirm, or the resource belongs to another
            department.
        :raises NotFoundError: when the resource does not exist.
        """
        item = self.get(item_id)
        require(access.can_edit_inventory(self.actor, item.department_id), message("link inventory items"))
        resource_id = resource_id if resource_id is not None else item.suggested_resource_id
        if resource_id is None:
            raise ValidationError({"resource": [message("Resource: there is no suggestion to confirm; name the resource.")]})
        resource = self.session.get(Resource, resource_id)
        if resource is None:
            raise NotFoundError(message("Resource {id} was not found.", id=resource_id))
        if resource.department_id != item.department_id:
            raise ValidationError({"resource": [message(
                "Resource: {title} is provided by another department.", title=resource.title)]})
        item.resource_id = resource.id
        item.linked_by_id, item.linked_by_name, item.linked_at = self.actor.user_id, self.actor.name, self.container.now()
        item.suggested_resource_id = item.suggestion_score = item.suggested_at = None
        self._flush()
        self.audit("inventory.link", "inventory_item", item.id, {"resource": resource.id})
        return item

    def unlink(self, item_id: int) -> InventoryItem:
        """Remove an item's confirmed link (the item counts as not cataloged again).

        :returns: the item, flushed.
        :raises PermissionDeniedError: unless the actor may edit the department's inventory.
        """
        item = self.get(item_id)
        require(access.can_edit_inventory(self.actor, item.department_id), message("link inventory items"))
        previous = item.resource_id
        item.resource_id = item.linked_by_id = item.linked_by_name = item.linked_at = None
        self._flush()
        self.audit("inventory.unlink", "inventory_item", item.id, {"resource": previous})
        return item

    def reject_suggestion(self, item_id: int) -> InventoryItem:
        """Drop an item's stored suggestion (the suggested resource does not fulfil it); nothing is linked.

        The resource is remembered as rejected for the item: later matching never suggests it for the item
        again (a person may still link it by hand).

        :returns: the item, flushed.
        :raises PermissionDeniedError: unless the actor may edit the department's inventory.
        """
        item = self.get(item_id)
        require(access.can_edit_inventory(self.actor, item.department_id), message("link inventory items"))
        previous = item.suggested_resource_id
        if previous is not None and previous not in (item.rejected_resource_ids or []):
            item.rejected_resource_ids = [*(item.rejected_resource_ids or []), previous]
        item.suggested_resource_id = item.suggestion_score = item.suggested_at = None
        self._flush()
        self.audit("inventory.reject", "inventory_item", item.id, {"resource": previous})
        return item

    def suggest(self, *, department_id: int | None = None, min_score: float | None = None):
        """Compute link suggestions for the unlinked items and store them on the items (nothing is confirmed).

        :param department_id: only this department; every department the actor may edit when omitted.
        :param min_score: the lowest score worth suggesting (default :data:`catalog.coverage.matching.MIN_SCORE`).
        :returns: the :class:`~catalog.coverage.matching.Suggestion` list, best first.
        """
        from catalog.coverage.matching import store_suggestions

        return store_suggestions(self, department_id=department_id, min_score=min_score)

    def import_rows(self, rows: Iterable[Row], *, skip_invalid: bool = False) -> ImportReport:
        """Import items from spreadsheet rows (see :mod:`catalog.coverage.inventory_import` for the columns).

        :raises ImportRejectedError: when a row is bad and ``skip_invalid`` is false; nothing is written.
        """
        from catalog.coverage.inventory_import import import_rows

        return import_rows(self, rows, skip_invalid=skip_invalid)

    def export_rows(self) -> tuple[builtins.list[str], builtins.list[builtins.list[Any]]]:
        """Headers and rows of every readable item, in the import's columns (an export imports as unchanged)."""
        from catalog.coverage.inventory_import import export_rows

        return export_rows(self)

    # -- internals -----------------------------------------------------------------------------

    def _check_unique(self, department_id: int, title: str) -> None:
        clash = self.session.scalars(select(InventoryItem).where(
            InventoryItem.department_id == department_id, InventoryItem.title_key == title_key(title))).first()
        if clash is not None:
            raise ValidationError({"title": [message(
                "Title: the department's inventory has {title} already.", title=clash.title)]})

    def _flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError:
            raise ConflictError(message("Somebody else changed this inventory item; nothing was saved.")) from None
