"""Departments (政务部门): create, update, look up, the tree and subtrees, and spreadsheet import/export."""

from __future__ import annotations

import builtins
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from catalog import importing
from catalog import uscc as uscc_codes
from catalog.errors import ConflictError, NotFoundError, ValidationError
from catalog.i18n import Message, message, render_all
from catalog.importing import RowError
from catalog.models.department import Department
from catalog.permissions import can_manage_departments, require
from catalog.schemas.department import LABELS, department_rules, load_department
from catalog.services.base import Service
from catalog.tabular import Row

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


class _Directory:
    """Departments in memory (all, or those one write may clash with), with the lookups checks need."""

    def __init__(self, departments: Iterable[Department]):
        self.by_id: dict[int, Department] = {}
        self.by_key: dict[str, Department] = {}
        self.by_uscc: dict[str, Department] = {}
        self.by_segment: dict[str, Department] = {}
        self.by_name: dict[str, list[Department]] = defaultdict(list)
        for department in departments:
            self.by_id[department.id] = department
            self.by_key[department.key] = department
            if department.uscc:
                self.by_uscc[department.uscc] = department
            if department.catalog_segment:
                self.by_segment[department.catalog_segment] = department
            self.by_name[department.name].append(department)

    def holder(self, name: str, value: Any) -> Department | None:
        index = {"key": self.by_key, "uscc": self.by_uscc, "catalog_segment": self.by_segment}[name]
        return index.get(value)


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


def _sibling_order(department: Department) -> tuple:
    # Siblings follow their 目 segment (the order of the official department list); units without one follow.
    return (department.catalog_segment is None, department.catalog_segment or "", department.id)


def subtree_ids(session, department_id: int | None) -> frozenset[int]:
    """The ids of a department and all its descendants, in one recursive query (empty for ``None``).

    :param session: any session.
    :param department_id: the department's id.
    :returns: its id and the ids of every unit below it, at any depth; empty if there is no such department.
    """
    if department_id is None:
        return frozenset()
    subtree = select(Department.id).where(Department.id == department_id).cte("subtree", recursive=True)
    # UNION, not UNION ALL: a cycle, were one ever stored, would end instead of looping.
    subtree = subtree.union(select(Department.id).where(Department.parent_id == subtree.c.id))
    return frozenset(session.scalars(select(subtree.c.id)))


class DepartmentService(Service):
    """Departments as a tree: every write checks permission, validates, flushes and audits."""

    def create(self, data: Mapping[str, Any]) -> Department:
        """Create a department.

        :param data: the fields of :class:`~catalog.schemas.department.DepartmentSchema`; ``parent``
            is the parent's key; ``key`` is generated when absent.
        :returns: the new department, flushed (it has an id).
        :raises PermissionDeniedError: unless the actor may manage departments.
        :raises ValidationError: naming each bad field by its label and the broken rule.
        :raises ConflictError: if a concurrent write took the same key, code or segment.
        """
        require(can_manage_departments(self.actor), message("manage departments"))
        values = load_department(data)
        directory = self._directory(values, values.get("parent"))
        errors: dict[str, list[Message]] = {}
        parent = self._parent_by_key(values.get("parent"), directory, errors)
        self._check(values, None, parent, directory, errors)
        if errors:
            raise ValidationError(errors)
        key = values.get("key") or self._free_key(values.get("uscc"), parent.key if parent else None)
        try:
            with self.session.begin_nested():
                department = Department(
                    key=key, parent=parent, **{name: values.get(name) for name in STORED[1:]}
                )
                self.session.add(department)
        except IntegrityError as error:
            raise ConflictError(
                message("The department was not saved."), fields=_database_error(error)
            ) from None
        self.audit(
            "department.create", "department", department.id, {"key": department.key, "name": department.name}
        )
        self.session.flush()
        return department

    def update(
        self, department_id: int, data: Mapping[str, Any], expected_version: int | None = None
    ) -> Department:
        """Change some fields of a department.

        :param department_id: the department's id.
        :param data: the fields to change; ``parent`` is the new parent's key, ``None`` for none.
        :param expected_version: the version the user edited; a different current version means
            someone else changed the department meanwhile.
        :returns: the department, flushed.
        :raises PermissionDeniedError: unless the actor may manage departments.
        :raises NotFoundError: if there is no such department.
        :raises ValidationError: naming each bad field by its label and the broken rule.
        :raises ConflictError: if the department was changed since ``expected_version`` (or
            concurrently), or a concurrent write took the same key, code or segment.
        """
        require(can_manage_departments(self.actor), message("manage departments"))
        department = self.get(department_id)
        if expected_version is not None and expected_version != department.version:
            raise self._stale(department, expected_version)
        values = load_department(data, partial=True)
        state = _state(department) | {name: value for name, value in values.items() if name != "parent"}
        directory = self._directory(state, values.get("parent"))
        errors = department_rules(state)
        if "parent" in values:
            parent = self._parent_by_key(values["parent"], directory, errors)
            if parent is not None and parent.id in self.subtree_ids(department.id):
                errors.setdefault("parent", []).append(_cycle_message())
        else:
            parent = department.parent
        self._check(state, department, parent, directory, errors)
        if errors:
            raise ValidationError(errors)
        version = department.version
        try:
            with self.session.begin_nested():
                changes = _apply(department, values, parent, "parent" in values)
        except StaleDataError:
            self.session.expire(department)
            raise self._stale(department, version) from None
        except IntegrityError as error:
            raise ConflictError(
                message("The department was not saved."), fields=_database_error(error)
            ) from None
        if changes:
            self.audit(
                "department.update", "department", department.id, {"key": department.key, "changes": changes}
            )
            self.session.flush()
        return department

    def get(self, department_id: int) -> Department:
        """The department with this id.

        :param department_id: the department's id.
        :returns: the department.
        :raises NotFoundError: if there is none.
        """
        department = self.session.get(Department, department_id)
        if department is None:
            raise NotFoundError(message("There is no department with the id {id}.", id=department_id))
        return department

    def get_by_key(self, key: str) -> Department:
        """The department with this key.

        :param key: the department's key, e.g. ``mzj``.
        :returns: the department.
        :raises NotFoundError: if there is none.
        """
        department = self.session.scalar(select(Department).where(Department.key == key))
        if department is None:
            raise NotFoundError(message("There is no department with the key {key}.", key=key))
        return department

    def get_by_uscc(self, code: str) -> Department:
        """The department with this unified social credit code.

        :param code: the code; blanks and case are ignored.
        :returns: the department.
        :raises NotFoundError: if there is none.
        """
        normalised = uscc_codes.normalise(code)
        department = self.session.scalar(select(Department).where(Department.uscc == normalised))
        if department is None:
            raise NotFoundError(
                message("There is no department with the unified social credit code {uscc}.", uscc=normalised)
            )
        return department

    def list(
        self, in_scope: bool | None = None, kind: str | None = None, division: str | None = None
    ) -> list[Department]:
        """Departments, filtered, ordered by 目 segment (those without one last), then id.

        :param in_scope: only departments counted (or not counted) in coverage statistics.
        :param kind: only departments of this kind.
        :param division: only departments of this exact administrative division code.
        :returns: the departments.
        """
        query = select(Department)
        if in_scope is not None:
            query = query.where(Department.in_scope == in_scope)
        if kind is not None:
            query = query.where(Department.kind == kind)
        if division is not None:
            query = query.where(Department.division == division)
        query = query.order_by(
            Department.catalog_segment.is_(None), Department.catalog_segment, Department.id
        )
        return builtins.list(self.session.scalars(query))

    def tree(self) -> builtins.list[dict[str, Any]]:
        """The whole tree: roots with nested ``children``, siblings in 目 segment order.

        :returns: a list of :meth:`to_dict` dictionaries, each with a ``children`` list.
        """
        departments = self.session.scalars(select(Department)).all()
        children: dict[int | None, builtins.list[Department]] = defaultdict(builtins.list)
        for department in departments:
            children[department.parent_id].append(department)

        def node(department: Department) -> dict[str, Any]:
            result = self.to_dict(department)
            result["children"] = [
                node(child) for child in sorted(children[department.id], key=_sibling_order)
            ]
            return result

        return [node(root) for root in sorted(children[None], key=_sibling_order)]

    def subtree_ids(self, department_id: int) -> frozenset[int]:
        """The ids of a department and all its descendants (what an actor of it may act for).

        :param department_id: the department's id.
        :returns: its id and the ids of every unit below it, at any depth.
        :raises NotFoundError: if there is no such department.
        """
        ids = subtree_ids(self.session, department_id)
        if not ids:
            raise NotFoundError(message("There is no department with the id {id}.", id=department_id))
        return ids

    @staticmethod
    def to_dict(department: Department) -> dict[str, Any]:
        """A department as JSON-friendly values.

        :param department: the department.
        :returns: ``id``, the :data:`STORED` fields, ``parent`` (the parent's key) and ``version``.
        """
        result = {"id": department.id, **{name: getattr(department, name) for name in STORED}}
        result["parent"] = department.parent.key if department.parent is not None else None
        result["version"] = department.version
        return result

    def export_rows(self) -> tuple[builtins.list[str], builtins.list[builtins.list[Any]]]:
        """Every department as spreadsheet rows in tree order (a parent before its children).

        :returns: the headers (:data:`HEADERS`) and one row per department, in :data:`COLUMNS` order.
        """
        rows: builtins.list[builtins.list[Any]] = []

        def walk(nodes: builtins.list[dict[str, Any]]) -> None:
            for node in nodes:
                rows.append([node[name] for name in COLUMNS])
                walk(node["children"])

        walk(self.tree())
        return builtins.list(HEADERS), rows

    def import_rows(self, rows: Iterable[Row], *, skip_invalid: bool = False) -> ImportReport:
        """Create or update departments from spreadsheet rows (see :func:`catalog.tabular.read_rows`).

        A row updates the department with its key, else the one with its USCC, else creates one.
        Columns are named by label (名称), field (name) or both (名称 (name)); a column present in
        the file is authoritative, so an empty cell clears the value, while absent columns leave
        values alone. ``parent`` names the parent by key or by name, and may refer to a row further
        down. Departments missing from the file are left as they are.

        Swapping a code or segment between two departments takes two imports: each row is checked
        against the database as it was before the import.

        :param rows: the rows, numbered as the user sees them.
        :param skip_invalid: write the good rows and skip the bad ones; otherwise nothing is
            written when any row is bad.
        :returns: the report, listing every bad row with its number and messages.
        :raises PermissionDeniedError: unless the actor may manage departments.
        """
        require(can_manage_departments(self.actor), message("manage departments"))
        rows = builtins.list(rows)
        report = ImportReport()
        if not rows:
            return report
        columns, header_errors, report.ignored_columns = _map_columns(rows)
        if header_errors:
            report.errors = [RowError(1, header_errors)]
            report.rejected, report.skipped = True, len(rows)
            return report
        directory = self._directory()
        entries = [self._read(row, columns, directory) for row in rows]
        self._check_entries(entries, directory)
        if any(entry.errors for entry in entries):
            if not skip_invalid:
                return _rejected(report, entries)
            self._drop_dependents(entries, directory)
        outer = self.session.begin_nested()
        self._write_entries(entries, directory, report)
        report.errors = [RowError(entry.number, entry.errors) for entry in entries if entry.errors]
        if report.errors and not skip_invalid:
            outer.rollback()
            return _rejected(ImportReport(ignored_columns=report.ignored_columns), entries)
        outer.commit()
        report.skipped = len(report.errors)
        counts = {name: getattr(report, name) for name in ("created", "updated", "unchanged", "skipped")}
        self.audit("department.import", "department", None, counts)
        self.session.flush()
        return report

    def _directory(self, state: Mapping[str, Any] | None = None, parent_ref: str | None = None) -> _Directory:
        """Every department, or only those a single write could clash with or refer to."""
        if state is None:
            return _Directory(self.session.scalars(select(Department)))
        conditions = [Department.key == value for value in (state.get("key"), parent_ref) if value]
        for name in ("uscc", "catalog_segment"):
            if state.get(name):
                conditions.append(getattr(Department, name) == state[name])
        if not conditions:
            return _Directory([])
        return _Directory(self.session.scalars(select(Department).where(or_(*conditions))))

    def _free_key(self, code: str | None, parent_key: str | None) -> str:
        stem = _key_stem(parent_key)
        clash = Department.key.startswith(f"{stem}-", autoescape=True)
        if code:
            clash = or_(clash, Department.key == code.lower())
        return self._new_key(code, parent_key, set(self.session.scalars(select(Department.key).where(clash))))

    def _stale(self, department: Department, expected: int) -> ConflictError:
        return ConflictError(
            message(
                "{name} was changed by someone else after you opened it (you edited version {expected}, it is "
                "now version {current}); reload it and make your changes again.",
                name=department.name,
                expected=expected,
                current=department.version,
            ),
            current=self.to_dict(department),
        )

    def _parent_by_key(
        self, ref: str | None, directory: _Directory, errors: dict[str, builtins.list[Message]]
    ) -> Department | None:
        if ref is None:
            return None
        parent = directory.by_key.get(ref)
        if parent is None:
            errors.setdefault("parent", []).append(
                message(
                    "{label}: there is no department with the key {ref}.", label=LABELS["parent"], ref=ref
                )
            )
        return parent

    def _check(
        self,
        state: Mapping[str, Any],
        own: Department | None,
        parent: Department | _Entry | None,
        directory: _Directory,
        errors: dict[str, builtins.list[Message]],
    ) -> None:
        """The checks that need the database or the vocabulary, added to ``errors``."""
        for name in ("key", "uscc", "catalog_segment"):
            value = state.get(name)
            holder = directory.holder(name, value) if value else None
            if holder is not None and holder is not own:
                errors.setdefault(name, []).append(
                    message(
                        "{label}: already used by {name} ({key}).",
                        label=LABELS[name],
                        name=holder.name,
                        key=holder.key,
                    )
                )
        division = state.get("division")
        if division and not self._division_known(division):
            errors.setdefault("division", []).append(
                message(
                    "{label}: {code} is not a known administrative division code.",
                    label=LABELS["division"],
                    code=division,
                )
            )
        if state.get("kind") == "internal_unit" and parent is None and "parent" not in errors:
            errors.setdefault("parent", []).append(
                message(
                    "{label}: an internal unit needs the department it belongs to.", label=LABELS["parent"]
                )
            )

    def _division_known(self, code: str) -> bool:
        return self._divisions is None or self._divisions.get(code) is not None

    @functools.cached_property
    def _divisions(self):
        return _division_vocabulary(self.container)

    def _new_key(self, code: str | None, parent_key: str | None, taken: set[str]) -> str:
        # The lower-cased USCC is unique and stable; internal units are numbered under their parent.
        if code and code.lower() not in taken:
            key = code.lower()
        else:
            stem = _key_stem(parent_key)
            number = 1
            while f"{stem}-{number}" in taken:
                number += 1
            key = f"{stem}-{number}"
        taken.add(key)
        return key

    def _read(self, row: Row, columns: Mapping[str, str], directory: _Directory) -> _Entry:
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
        base = _state(target) if target is not None else {}
        entry.state = base | {name: value for name, value in entry.values.items() if name != "parent"}
        entry.parent_given = "parent" in entry.values
        if target is not None:
            for name, errors in department_rules(entry.state).items():
                entry.errors.setdefault(name, []).extend(errors)
        return entry

    def _check_entries(self, entries: builtins.list[_Entry], directory: _Directory) -> None:
        by_key: dict[str, _Entry] = {}
        by_name: dict[str, builtins.list[_Entry]] = defaultdict(builtins.list)
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
                            message(
                                "{label}: same as row {number}.", label=LABELS[name], number=first.number
                            ),
                        )
        for entry in entries:
            if not entry.loaded:
                continue
            if entry.parent_given:
                entry.parent = _resolve_parent(entry, by_key, by_name, by_target, directory)
            elif entry.target is not None:
                entry.parent = entry.target.parent
            self._check(entry.state, entry.target, entry.parent, directory, entry.errors)
        for entry in _in_cycles([entry for entry in entries if entry.loaded], directory):
            entry.fail("parent", _cycle_message())

    def _drop_dependents(self, entries: builtins.list[_Entry], directory: _Directory) -> None:
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
                entry.fail("parent", _cycle_message())
                changed = True

    def _write_entries(
        self, entries: builtins.list[_Entry], directory: _Directory, report: ImportReport
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
                with self.session.begin_nested():
                    if entry.target is None:
                        key = entry.key or self._new_key(
                            entry.state.get("uscc"), parent.key if parent else None, taken
                        )
                        fields = {name: entry.state.get(name) for name in STORED[1:]}
                        department = Department(key=key, parent=parent, **fields)
                        self.session.add(department)
                        self.session.flush()
                        detail = {"key": key, "name": department.name, "row": entry.number}
                        self.audit("department.create", "department", department.id, detail)
                        outcome = "created"
                    else:
                        department = entry.target
                        changes = _apply(department, entry.values, parent, entry.parent_given)
                        outcome = "updated" if changes else "unchanged"
                        if changes:
                            self.session.flush()
                            detail = {"key": department.key, "changes": changes, "row": entry.number}
                            self.audit("department.update", "department", department.id, detail)
            except (IntegrityError, DataError, StaleDataError) as error:
                entry.errors = _database_error(error)
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
            entry.department = department


def _division_vocabulary(container):
    """The ``division`` concept scheme of the container's vocabularies, or ``None`` without one."""
    try:
        registry = container.vocab
    except ImportError:
        # The vocab package is optional for the department rules: the code's syntax is still checked.
        return None
    try:
        return registry.get("division")
    except (LookupError, ValueError):
        # A registry without the division scheme cannot judge the code (VocabularyError is a ValueError).
        return None


def _resolve_parent(
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
            entry.fail("parent", _cycle_message())
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


def _key_stem(parent_key: str | None) -> str:
    # Leaves room for "-" and a number within the 64 characters of a key.
    return (parent_key or "dept")[:56]


def _state(department: Department) -> dict[str, Any]:
    return {name: getattr(department, name) for name in STORED}


def _apply(
    department: Department, values: Mapping[str, Any], parent: Department | None, parent_given: bool
) -> dict:
    changes: dict[str, list[Any]] = {}
    for name in STORED:
        if name in values and getattr(department, name) != values[name]:
            changes[name] = [getattr(department, name), values[name]]
            setattr(department, name, values[name])
    if parent_given and department.parent is not parent:
        old = department.parent.key if department.parent is not None else None
        changes["parent"] = [old, parent.key if parent is not None else None]
        department.parent = parent
    return changes


def _cycle_message() -> Message:
    return message(
        "{label}: a department cannot be placed under itself or under one of its own units.",
        label=LABELS["parent"],
    )


def _database_error(error: Exception) -> dict[str, list[Message]]:
    text = str(getattr(error, "orig", error))
    if isinstance(error, StaleDataError):
        return {
            _ROW: [message("Someone else changed this department during the import; import the row again.")]
        }
    for name in ("catalog_segment", "uscc", "key"):
        # PostgreSQL names the constraint, SQLite the column.
        if f"uq_departments_{name}" in text or f"departments.{name}" in text:
            return {name: [message("{label}: already used by another department.", label=LABELS[name])]}
    return {
        _ROW: [
            message("The database refused this row: {detail}", detail=text.splitlines()[0] if text else "")
        ]
    }


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
