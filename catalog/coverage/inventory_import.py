"""Inventory sheets (CSV/XLSX): columns, import with a report of every bad row, and export.

One row is one expected resource. Rows are matched to stored items by department and folded title: a
match is updated (or counted unchanged), anything else is created; items missing from the sheet stay.
A row naming a resource code links the item to that resource, confirmed by the importing person; an
empty code cell never removes a confirmed link. Like the department import, the whole sheet is
rejected when any row is bad, unless ``skip_invalid`` keeps the good rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select

from catalog.coverage import access
from catalog.coverage.inventory import clean_fields, resolve_department, title_key
from catalog.coverage.report import SOURCE_LABELS
from catalog.coverage.similarity import fold
from catalog.i18n import Message, message
from catalog.importing import ImportRejectedError, ImportReport, RowError
from catalog.models import InventoryItem, Resource
from catalog.tabular import Row

#: Columns read on import, in export order.
COLUMNS = ("department", "title", "source", "basis", "description", "item_names", "resource_code")
#: Columns only exported (who confirmed the link and when, the pending suggestion); ignored on import.
READ_ONLY = ("department_name", "linked_by", "linked_at", "suggestion", "suggestion_score")
LABELS = {
    "department": "部门", "title": "资源名称", "source": "来源", "basis": "来源依据", "description": "描述",
    "item_names": "信息项", "resource_code": "信息资源代码", "department_name": "部门名称", "linked_by": "确认人",
    "linked_at": "确认时间", "suggestion": "建议关联资源", "suggestion_score": "建议得分",
}
HEADERS = tuple(f"{LABELS[name]} ({name})" for name in (*COLUMNS, *READ_ONLY))
_ALIASES = {
    "department": ("提供方", "信息资源提供方", "单位", "部门名称", "责任部门", "department"),
    "title": ("名称", "信息资源名称", "清单名称", "预编资源名称", "title"),
    "source": ("来源类型", "梳理来源", "source"),
    "basis": ("依据", "对应职责事项或系统", "basis"),
    "description": ("说明", "摘要", "资源描述", "description"),
    "item_names": ("信息项名称", "主要信息项", "item names"),
    "resource_code": ("资源代码", "关联信息资源代码", "resource code"),
}


def _header_map() -> dict[str, str]:
    aliases = {}
    for name in COLUMNS:
        for alias in (name, LABELS[name], f"{LABELS[name]} ({name})", *_ALIASES.get(name, ())):
            aliases[fold(alias)] = name
    # Read-only columns of an export are known, so a round trip does not read them as data.
    for name in READ_ONLY:
        for alias in (name, LABELS[name], f"{LABELS[name]} ({name})"):
            aliases.setdefault(fold(alias), "")
    return aliases


_HEADERS = _header_map()


@dataclass(eq=False)
class _Entry:
    number: int
    department_id: int | None = None
    values: dict[str, Any] = field(default_factory=dict)
    resource_id: int | None = None
    errors: dict[str, list[Message]] = field(default_factory=dict)

    def fail(self, name: str, error: Message) -> None:
        self.errors.setdefault(name, []).append(error)


def import_rows(service, rows: Iterable[Row], *, skip_invalid: bool = False) -> ImportReport:
    """Import inventory rows through an :class:`~catalog.coverage.inventory.InventoryService`.

    :param rows: rows as :func:`catalog.tabular.read_rows` gives them.
    :param skip_invalid: write the good rows and report the bad ones; otherwise nothing is written.
    :returns: counts of created, updated, unchanged and skipped rows with every bad row's reasons.
    :raises ImportRejectedError: when some row is bad and ``skip_invalid`` is false (or a required
        column is missing); its report counts every row as skipped.
    """
    rows = list(rows)
    report = ImportReport()
    columns = _columns(rows)
    absent = [name for name in ("department", "title") if name not in columns.values()]
    if absent:
        report.errors.append(RowError(1, {"_schema": [
            message("The column {column} is missing.", column=f"{LABELS[name]} ({name})") for name in absent]}))
        report.skipped = len(rows)
        raise ImportRejectedError(report)
    entries = [_read(service, row, columns) for row in rows]
    _mark_duplicates(entries)
    bad = [entry for entry in entries if entry.errors]
    report.errors = [RowError(entry.number, entry.errors) for entry in bad]
    if bad and not skip_invalid:
        report.skipped = len(entries)
        raise ImportRejectedError(report)
    for entry in entries:
        if not entry.errors:
            _write(service, entry, report)
    report.skipped = len(bad)
    service.audit("inventory.import", "inventory", None, {
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged, "skipped": report.skipped})
    return report


def _columns(rows: list[Row]) -> dict[str, str]:
    headers = list(rows[0].values) if rows else []
    return {header: _HEADERS[fold(header)] for header in headers if _HEADERS.get(fold(header))}


def _read(service, row: Row, columns: dict[str, str]) -> _Entry:
    entry = _Entry(row.number)
    raw = {name: row.get(header) for header, name in columns.items()}
    # Only the columns the sheet has: a sheet without a 来源 column leaves stored sources alone.
    values, errors = clean_fields({k: raw[k] for k in ("title", "source", "basis", "description", "item_names")
                                   if k in raw})
    entry.values = values
    for name, messages in errors.items():
        for error in messages:
            entry.fail(name, error)
    department = resolve_department(service.session, raw.get("department"))
    if department is None:
        entry.fail("department", message("Department: no department {value}.", value=raw.get("department") or "∅"))
        return entry
    entry.department_id = department.id
    if not access.can_edit_inventory(service.actor, department.id):
        entry.fail("department", message("You are not allowed to {action}.",
                                         action=message("edit this department's inventory")))
    code = (raw.get("resource_code") or "").strip()
    if code:
        resource = service.session.scalars(
            select(Resource).where(or_(Resource.code == code, Resource.metadata_id == code))).first()
        if resource is None:
            entry.fail("resource_code", message("Resource code: no resource has the code {code}.", code=code))
        elif resource.department_id != department.id:
            entry.fail("resource_code", message("Resource: {title} is provided by another department.",
                                                title=resource.title))
        else:
            entry.resource_id = resource.id
    return entry


def _mark_duplicates(entries: list[_Entry]) -> None:
    """Every row whose title repeats another row's of the same department is reported (which one is right is
    the sheet owner's call, not ours)."""
    seen: dict[tuple[int, str], list[_Entry]] = defaultdict(list)
    for entry in entries:
        if entry.department_id is not None and entry.values.get("title"):
            seen[(entry.department_id, title_key(entry.values["title"]))].append(entry)
    for group in seen.values():
        if len(group) < 2:
            continue
        for entry in group:
            others = ", ".join(str(other.number) for other in group if other is not entry)
            entry.fail("title", message("Title: {title} appears again in row {rows} for the same department.",
                                        title=entry.values["title"], rows=others))


def _write(service, entry: _Entry, report: ImportReport) -> None:
    session = service.session
    existing = session.scalars(select(InventoryItem).where(
        InventoryItem.department_id == entry.department_id,
        InventoryItem.title_key == title_key(entry.values["title"]))).first()
    if existing is None:
        item = service.create({"department": entry.department_id, **entry.values})
        report.created += 1
    else:
        item = existing
        changed = {k: v for k, v in entry.values.items() if getattr(item, k) != v}
        if changed:
            service.update(item.id, changed)
        if not changed and (entry.resource_id is None or entry.resource_id == item.resource_id):
            report.unchanged += 1
            return
        report.updated += 1
    if entry.resource_id is not None and entry.resource_id != item.resource_id:
        service.link(item.id, entry.resource_id)


def export_rows(service) -> tuple[list[str], list[list[Any]]]:
    """Every item the actor may read as rows under :data:`HEADERS`."""
    rows = []
    for item in service.list():
        linked, suggested = item.resource, item.suggested_resource
        rows.append([
            item.department.key, item.title, SOURCE_LABELS[item.source].render("zh_CN"), item.basis,
            item.description or None, "、".join(item.item_names or []) or None,
            (linked.code or linked.metadata_id) if linked else None,
            item.department.name, item.linked_by_name, item.linked_at.isoformat(timespec="seconds") if item.linked_at else None,
            (suggested.code or suggested.metadata_id) if suggested else None, item.suggestion_score,
        ])
    return list(HEADERS), rows
