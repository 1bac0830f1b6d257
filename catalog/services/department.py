"""The department service (政务部门): create, update, look up, the tree and subtrees of departments."""

from __future__ import annotations

import builtins
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from catalog import uscc as uscc_codes
from catalog.errors import ConflictError, NotFoundError, ValidationError
from catalog.i18n import Message, message
from catalog.models.department import Department
from catalog.permissions import can_manage_departments, require
from catalog.schemas.department import LABELS, department_rules, load_department
from catalog.services import department_import
from catalog.services.base import Service
from catalog.services.department_import import _ROW, COLUMNS, HEADERS, STORED, ImportReport, _Entry
from catalog.tabular import Row

__all__ = ["COLUMNS", "HEADERS", "STORED", "DepartmentService", "ImportReport", "subtree_ids"]


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
                message("The department was not saved."), fields=self._database_error(error)
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
        state = self._state(department) | {name: value for name, value in values.items() if name != "parent"}
        directory = self._directory(state, values.get("parent"))
        errors = department_rules(state)
        if "parent" in values:
            parent = self._parent_by_key(values["parent"], directory, errors)
            if parent is not None and parent.id in self.subtree_ids(department.id):
                errors.setdefault("parent", []).append(self._cycle_message())
        else:
            parent = department.parent
        self._check(state, department, parent, directory, errors)
        if errors:
            raise ValidationError(errors)
        version = department.version
        try:
            with self.session.begin_nested():
                changes = self._apply(department, values, parent, "parent" in values)
        except StaleDataError:
            self.session.expire(department)
            raise self._stale(department, version) from None
        except IntegrityError as error:
            raise ConflictError(
                message("The department was not saved."), fields=self._database_error(error)
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
        """Every department as spreadsheet rows in tree order (see :func:`.department_import.export_rows`).

        :returns: the headers (:data:`HEADERS`) and one row per department, in :data:`COLUMNS` order.
        """
        return department_import.export_rows(self)

    def import_rows(self, rows: Iterable[Row], *, skip_invalid: bool = False) -> ImportReport:
        """Create or update departments from spreadsheet rows (see :func:`.department_import.import_rows`).

        :param rows: the rows, numbered as the user sees them.
        :param skip_invalid: write the good rows and skip the bad ones; otherwise nothing is
            written when any row is bad.
        :returns: the report, listing every bad row with its number and messages.
        :raises PermissionDeniedError: unless the actor may manage departments.
        """
        return department_import.import_rows(self, rows, skip_invalid=skip_invalid)

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

    @staticmethod
    def _state(department: Department) -> dict[str, Any]:
        return {name: getattr(department, name) for name in STORED}

    @staticmethod
    def _apply(
        department: Department, values: Mapping[str, Any], parent: Department | None, parent_given: bool
    ) -> dict:
        changes: dict[str, builtins.list[Any]] = {}
        for name in STORED:
            if name in values and getattr(department, name) != values[name]:
                changes[name] = [getattr(department, name), values[name]]
                setattr(department, name, values[name])
        if parent_given and department.parent is not parent:
            old = department.parent.key if department.parent is not None else None
            changes["parent"] = [old, parent.key if parent is not None else None]
            department.parent = parent
        return changes

    @staticmethod
    def _cycle_message() -> Message:
        return message(
            "{label}: a department cannot be placed under itself or under one of its own units.",
            label=LABELS["parent"],
        )

    @staticmethod
    def _database_error(error: Exception) -> dict[str, builtins.list[Message]]:
        text = str(getattr(error, "orig", error))
        if isinstance(error, StaleDataError):
            return {
                _ROW: [
                    message("Someone else changed this department during the import; import the row again.")
                ]
            }
        for name in ("catalog_segment", "uscc", "key"):
            # PostgreSQL names the constraint, SQLite the column.
            if f"uq_departments_{name}" in text or f"departments.{name}" in text:
                return {name: [message("{label}: already used by another department.", label=LABELS[name])]}
        return {
            _ROW: [
                message(
                    "The database refused this row: {detail}", detail=text.splitlines()[0] if text else ""
                )
            ]
        }


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


def _key_stem(parent_key: str | None) -> str:
    # Leaves room for "-" and a number within the 64 characters of a key.
    return (parent_key or "dept")[:56]
