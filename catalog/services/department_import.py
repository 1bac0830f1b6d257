"""Spreadsheet import and export of departments: columns, row checks, two-pass parents, savepoints, export rows."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from catalog import importing
from catalog import uscc as uscc_codes
from catalog.errors import ValidationError
from catalog.i18n import Message, message, render_all
from catalog.importing import RowError
from catalog.models.department import Department
from catalog.permissions import can_manage_departments, require
from catalog.schemas.department import LABELS, department_rules, load_department
from catalog.tabular import Row

if TYPE_CHECKING:
    from catalog.services.department import DepartmentService, _Directory


#: Spreadsheet columns, in export order; ``parent`` holds the parent's key.
COLUMNS = (
    "key",
    "name",
    "short_name",
    "uscc",
    "local_code",
    "division",
    "catalog_segment",
    "kind",
    "in_scope",
    "parent",
)
#: The department's own columns in the table (the parent is a relationship).
STORED = COLUMNS[:-1]
#: Column headers of exports and templates: the Chinese label with the field name, e.g. ``名称 (name)``.
HEADERS = tuple(f"{LABELS[name].values['zh']} ({name})" for name in COLUMNS)

# Errors of a row as a whole, under the key catalog.importing uses for them.
_ROW = "_schema"
_SHORT_SEGMENT = re.compile(r"\d{1,2}")


@dataclass
class ImportReport(importing.ImportReport):
    """What a department import did: counts of rows, and every bad row with its row number.

    The :class:`catalog.importing.ImportReport` of the other importers, plus ``unchanged`` rows,
    the ``ignored_columns`` of the file, and ``rejected``: nothing was written because some rows
    have errors and invalid rows were not to be skipped (``skipped`` then counts every row).
    """

    unchanged: int = 0
    rejected: bool = False
    ignored_columns: list[str] = field(default_factory=list)

    def render(self, locale: str | None = None) -> str:
        """The summary, the ignored columns and each row's errors, one line per message."""
        if self.rejected:
            summary = message("Nothing was imported: {count} rows have errors.", count=len(self.errors))
        else:
            summary = message(
                "Created {created}, updated {updated}, unchanged {unchanged}, skipped {skipped}.",
                created=self.created,
                updated=self.updated,
                unchanged=self.unchanged,
                skipped=self.skipped,
            )
        lines = [summary.render(locale)]
        if self.ignored_columns:
            ignored = message("Ignored columns: {columns}.", columns=", ".join(self.ignored_columns))
            lines.append(ignored.render(locale))
        for error in self.errors:
            lines.extend(
                message("Row {number}: {error}", number=error.number, error=item).render(locale)
                for items in error.fields.values()
                for item in items
            )
        return "\n".join(lines)

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        """The report as JSON: the counts, and each bad row's messages by field (they name their label)."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "ignored_columns": list(self.ignored_columns),
            "errors": [
                {"row": error.number, "fields": render_all(error.fields, locale)} for error in self.errors
            ],
        }


@dataclass(eq=False)
class _Entry:
    """One row of an import on its way to the database."""

    number: int
    raw_key: str | None
    target: Department | None
    values: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    loaded: bool = False
    parent_given: bool = False
    parent: Department | _Entry | None = None
    errors: dict[str, list[Message]] = field(default_factory=dict)
    department: Department | None = None

    def fail(self, name: str, error: Message) -> None:
        self.errors.setdefault(name, []).append(error)

    @property
    def key(self) -> str | None:
        return self.state.get("key") or self.raw_key or (self.target.key if self.target else None)

    @property
    def node(self) -> tuple[str, int]:
        # Rows that update a department stand for it in the tree; new rows stand for themselves.
        return ("department", self.target.id) if self.target is not None else ("row", self.number)


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _header_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for name in COLUMNS:
        zh, en = LABELS[name].values["zh"], LABELS[name].values["en"]
        bare = re.sub(r"\s*\(.*\)\s*$", "", zh)
        for alias in (name, en, zh, bare, f"{zh} ({name})", f"{bare} ({name})"):
            aliases[_fold(alias)] = name
    return aliases


_ALIASES = _header_aliases()


def export_rows(service: DepartmentService) -> tuple[list[str], list[list[Any]]]:
    """Every department as spreadsheet rows in tree order (a parent before its children).

    :param service: the DepartmentService whose tree is exported.
    :returns: the headers (:data:`HEADERS`) and one row per department, in :data:`COLUMNS` order.
    """
    rows: list[list[Any]] = []

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            rows.append([node[name] for name in COLUMNS])
            walk(node["children"])

    walk(service.tree())
    return list(HEADERS), rows


def import_rows(
    service: DepartmentService, rows: Iterable[Row], *, skip_invalid: bool = False
) -> ImportReport:
    """Create or update departments from spreadsheet rows (see :func:`catalog.tabular.read_rows`).

    A row updates the department with its key, else the one with its USCC, else creates one.
    Columns are named by label (名称), field (name) or both (名称 (name)); a column present in
    the file is authoritative, so an empty cell clears the value, while absent columns leave
    values alone. ``parent`` names the parent by key or by name, and may refer to a row further
    down. Departments missing from the file are left as they are.

    Swapping a code or segment between two departments takes two imports: each row is checked
    against the database as it was before the import.

    :param service: the DepartmentService of the importing actor; its checks and audit log apply.
    :param rows: the rows, numbered as the user sees them.
    :param skip_invalid: write the good rows and skip the bad ones; otherwise nothing is
        written when any row is bad.
    :returns: the report, listing every bad row with its number and messages.
    :raises PermissionDeniedError: unless the actor may manage departments.
    """
    require(can_manage_departments(service.actor), message("manage departments"))
    rows = list(rows)
    report = ImportReport()
    if not rows:
        return report
    columns, header_errors, report.ignored_columns = _map_columns(rows)
    if header_errors:
        report.errors = [RowError(1, header_errors)]
        report.rejected, report.skipped = True, len(rows)
        return report
    directory = service._directory()
    entries = [_read(service, row, columns, directory) for row in rows]
    _check_entries(service, entries, directory)
    if any(entry.errors for entry in entries):
        if not skip_invalid:
            return _rejected(report, entries)
        _drop_dependents(service, entries, directory)
    outer = service.session.begin_nested()
    _write_entries(service, entries, directory, report)
    report.errors = [RowError(entry.number, entry.errors) for entry in entries if entry.errors]
    if report.errors and not skip_invalid:
        outer.rollback()
        return _rejected(ImportReport(ignored_columns=report.ignored_columns), entries)
    outer.commit()
    report.skipped = len(report.errors)
    counts = {name: getattr(report, name) for name in ("created", "updated", "unchanged", "skipped")}
    service.audit("department.import", "department", None, counts)
    service.session.flush()
    return report


def _read(service: DepartmentService, row: Row, columns: Mapping[str, str], directory: _Directory) -> _Entry:
    raw = {name: row.values.get(header) for name, header in columns.items()}
    segment = raw.get("catalog_segment")
    if isinstance(segment, str) and _SHORT_SEGMENT.fullmatch(segment.strip()):
        # Excel turns the segment 015 of a CSV it opens into the number 15.
        raw["catalog_segment"] = segment.strip().zfill(3)
    raw_key = (raw.get("key") or "").strip() or None
    target = directory.by_key.get(raw_key) if raw_key else None
    if target is None and isinstance(raw.get("uscc"), str):
        target = directory.by_uscc.get(uscc_codes.normalise(raw["uscc"]))
    entry = _Entry(number=row.number, raw_key=raw_key, target=target)
    try:
        entry.values = load_department(raw, partial=target is not None)
    except ValidationError as error:
        entry.errors = error.fields
        return entry
    entry.loaded = True
    base = service._state(target) if target is not None else {}
    entry.state = base | {name: value for name, value in entry.values.items() if name != "parent"}
    entry.parent_given = "parent" in entry.values
    if target is not None:
        for name, errors in department_rules(entry.state).items():
            entry.errors.setdefault(name, []).extend(errors)
    return entry


def _check_entries(service: DepartmentService, entries: list[_Entry], directory: _Directory) -> None:
    by_key: dict[str, _Entry] = {}
    by_name: dict[str, list[_Entry]] = defaultdict(list)
    by_target: dict[int, _Entry] = {}
    firsts: dict[str, dict[Any, _Entry]] = {name: {} for name in ("key", "uscc", "catalog_segment")}
    for entry in entries:
        if entry.target is not None:
            first = by_target.setdefault(entry.target.id, entry)
            if first is not entry:
                entry.fail(
                    "key",
                    message(
                        "{label}: this row is for the same department as row {number}.",
                        label=LABELS["key"],
                        number=first.number,
                    ),
                )
        if entry.key:
            by_key.setdefault(entry.key, entry)
        if entry.loaded:
            by_name[entry.state["name"]].append(entry)
            for name, seen in firsts.items():
                value = entry.state.get(name)
                first = seen.setdefault(value, entry) if value else entry
                # Two rows for one department were reported above; say it once.
                if first is not entry and (entry.target is None or first.target is not entry.target):
                    entry.fail(
                        name,
                        message("{label}: same as row {number}.", label=LABELS[name], number=first.number),
                    )
    for entry in entries:
        if not entry.loaded:
            continue
        if entry.parent_given:
            entry.parent = _resolve_parent(service, entry, by_key, by_name, by_target, directory)
        elif entry.target is not None:
            entry.parent = entry.target.parent
        service._check(entry.state, entry.target, entry.parent, directory, entry.errors)
    for entry in _in_cycles([entry for entry in entries if entry.loaded], directory):
        entry.fail("parent", service._cycle_message())


def _drop_dependents(service: DepartmentService, entries: list[_Entry], directory: _Directory) -> None:
    """Skip the rows that depend on skipped ones, until none is left (for ``skip_invalid``)."""
    changed = True
    while changed:
        changed = False
        for entry in entries:
            parent = entry.parent
            if (
                entry.errors
                or not isinstance(parent, _Entry)
                or not parent.errors
                or parent.target is not None
            ):
                continue
            entry.fail(
                "parent",
                message(
                    "{label}: row {number}, the parent, has errors, so this row is skipped too.",
                    label=LABELS["parent"],
                    number=parent.number,
                ),
            )
            changed = True
        # Without a skipped row's new parent its department keeps the old one, which can close a loop.
        for entry in _in_cycles([entry for entry in entries if not entry.errors], directory):
            entry.fail("parent", service._cycle_message())
            changed = True


def _write_entries(
    service: DepartmentService, entries: list[_Entry], directory: _Directory, report: ImportReport
) -> None:
    taken = set(directory.by_key) | {entry.key for entry in entries if entry.key}
    for entry in _parents_first([entry for entry in entries if not entry.errors]):
        parent = entry.parent
        if isinstance(parent, _Entry):
            parent = parent.department or parent.target
            if parent is None:
                entry.fail(
                    "parent",
                    message(
                        "{label}: row {number}, the parent, was not saved, so this row is skipped too.",
                        label=LABELS["parent"],
                        number=entry.parent.number,
                    ),
                )
                continue
        try:
            with service.session.begin_nested():
                if entry.target is None:
                    key = entry.key or service._new_key(
                        entry.state.get("uscc"), parent.key if parent else None, taken
                    )
                    fields = {name: entry.state.get(name) for name in STORED[1:]}
                    department = Department(key=key, parent=parent, **fields)
                    service.session.add(department)
                    service.session.flush()
                    detail = {"key": key, "name": department.name, "row": entry.number}
                    service.audit("department.create", "department", department.id, detail)
                    outcome = "created"
                else:
                    department = entry.target
                    changes = service._apply(department, entry.values, parent, entry.parent_given)
                    outcome = "updated" if changes else "unchanged"
                    if changes:
                        service.session.flush()
                        detail = {"key": department.key, "changes": changes, "row": entry.number}
                        service.audit("department.update", "department", department.id, detail)
        except (IntegrityError, DataError, StaleDataError) as error:
            entry.errors = service._database_error(error)
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
        entry.department = department


def _resolve_parent(
    service: DepartmentService,
    entry: _Entry,
    by_key: Mapping[str, _Entry],
    by_name: Mapping[str, list[_Entry]],
    by_target: Mapping[int, _Entry],
    directory: _Directory,
) -> Department | _Entry | None:
    """Find a row's parent by key, then by name: among the rows first, then in the database."""
    ref = entry.values["parent"]
    if ref is None:
        return None

    def own(department: Department) -> Department | _Entry:
        # A row that updates a department stands for it, so its new values count.
        return by_target.get(department.id, department)

    if ref in by_key:
        found: list[Department | _Entry] = [by_key[ref]]
    elif ref in directory.by_key:
        found = [own(directory.by_key[ref])]
    else:
        found = []
        for candidate in [*by_name.get(ref, ()), *(own(d) for d in directory.by_name.get(ref, ()))]:
            if candidate not in found:
                found.append(candidate)
    if len(found) == 1:
        if found[0] is entry or found[0] is entry.target:
            entry.fail("parent", service._cycle_message())
            return None
        return found[0]
    if not found:
        entry.fail(
            "parent",
            message(
                "{label}: there is no department with the key or name {ref}.", label=LABELS["parent"], ref=ref
            ),
        )
    else:
        entry.fail(
            "parent",
            message(
                "{label}: several departments are named {ref}; give the key instead.",
                label=LABELS["parent"],
                ref=ref,
            ),
        )
    return None


def _map_columns(rows: list[Row]) -> tuple[dict[str, str], dict[str, list[Message]], list[str]]:
    headers: dict[str, None] = {}
    for row in rows:
        headers.update(dict.fromkeys(row.values))
    columns: dict[str, str] = {}
    ignored: list[str] = []
    errors: dict[str, list[Message]] = {}
    for header in headers:
        name = _ALIASES.get(_fold(header))
        if name is None:
            ignored.append(header)
        elif name in columns:
            errors.setdefault(name, []).append(
                message(
                    "{label}: the file has two columns for it, {first} and {second}.",
                    label=LABELS[name],
                    first=columns[name],
                    second=header,
                )
            )
        else:
            columns[name] = header
    if not columns:
        errors[_ROW] = [
            message(
                "The header row has no department columns; use the columns of the template, such as {columns}.",
                columns=", ".join(HEADERS[:4]),
            )
        ]
    return columns, errors, ignored


def _rejected(report: ImportReport, entries: list[_Entry]) -> ImportReport:
    report.errors = [RowError(entry.number, entry.errors) for entry in entries if entry.errors]
    report.rejected = True
    report.created = report.updated = report.unchanged = 0
    report.skipped = len(entries)
    return report


def _in_cycles(entries: list[_Entry], directory: _Directory) -> list[_Entry]:
    """The rows whose department would end up among its own ancestors."""
    by_node = {entry.node: entry for entry in entries}

    def parent_of(node: tuple[str, int]) -> tuple[str, int] | None:
        entry = by_node.get(node)
        if entry is not None:
            parent = entry.parent
            if isinstance(parent, _Entry):
                return parent.node
            return ("department", parent.id) if parent is not None else None
        department = directory.by_id.get(node[1]) if node[0] == "department" else None
        parent_id = department.parent_id if department is not None else None
        return ("department", parent_id) if parent_id is not None else None

    looping = []
    for entry in entries:
        seen = {entry.node}
        node = parent_of(entry.node)
        while node is not None and node not in seen:
            seen.add(node)
            node = parent_of(node)
        if node == entry.node:
            looping.append(entry)
    return looping


def _parents_first(entries: list[_Entry]) -> list[_Entry]:
    pending = set(map(id, entries))
    order: list[_Entry] = []
    for entry in entries:
        chain = []
        node: Any = entry
        while isinstance(node, _Entry) and id(node) in pending:
            chain.append(node)
            pending.discard(id(node))
            node = node.parent
        order.extend(reversed(chain))
    return order
