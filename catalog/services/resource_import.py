"""Bulk import of resources (JSON Lines, the spreadsheet template) through ResourceService, row by row."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import select

from catalog import permissions as perm
from catalog.errors import MuluError
from catalog.i18n import message
from catalog.importing import ImportRejectedError, ImportReport, RowError, row_error
from catalog.models import Department, Resource, ResourceChange
from catalog.services.resource import ResourceService


def import_resources(service: ResourceService, records: Iterable[tuple[int, Any]], *, skip_invalid: bool = False,
                     progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import resource input records, each in its own SAVEPOINT so one bad row rolls back alone.

    A record whose ``metadata_id`` (or else ``code``) is already in the catalog updates that resource:
    a draft or returned one in place, a published one as a change (变更) awaiting review while the
    published version stays as it is. A record that says what the resource already says is counted
    as unchanged and writes nothing, so an export imported again is a no-op even for resources under
    review. Any other record creates a draft. Every record that writes is checked against every rule
    of the profile, and the actor's permissions apply to each row.

    :param service: the ResourceService of the importing actor.
    :param records: ``(row number, record)`` pairs; a record may be an exception from the reader.
    :param skip_invalid: write the good rows and report the bad ones; otherwise any bad row rejects all.
    :param progress: called with the number of rows processed after each row.
    :returns: the report.
    :raises ImportRejectedError: when a row is bad and ``skip_invalid`` is false (the caller rolls back);
        its report counts every row as skipped.
    """
    report = ImportReport()
    session = service.session
    count = 0
    for count, (number, record) in enumerate(records, start=1):
        if isinstance(record, json.JSONDecodeError):
            # The decoder's own position says "line 1" of a single line: the column is what helps.
            error = f"{record.msg} (column {record.colno})"
            report.errors.append(RowError(number, {"_schema": [message("Not valid JSON: {error}", error=error)]}))
        elif not isinstance(record, dict):
            report.errors.append(RowError(number, {"_schema": [message("A resource must be a JSON object.")]}))
        else:
            savepoint = session.begin_nested()
            try:
                _import_one(service, record, report)
                savepoint.commit()
            except MuluError as exc:
                savepoint.rollback()
                report.errors.append(row_error(number, exc))
        if progress:
            progress(count)
    if report.errors and skip_invalid:
        report.skipped = len(report.errors)
    elif report.errors:
        report.created = report.updated = report.unchanged = report.changes = 0
        report.skipped = count
        raise ImportRejectedError(report)
    return report


def _import_one(service: ResourceService, record: dict, report: ImportReport) -> None:
    existing = _existing(service, record)
    if existing is None:
        service.create(record, draft=False)
        report.created += 1
        return
    resource = service.get(existing.id)  # a resource the actor may not read is "not found", as anywhere
    perm.require(perm.can_edit_resource(service.actor, resource.department_id), message("edit this resource"))
    if _same_content(service, resource, record):
        report.unchanged += 1
        return
    # Editing a draft checks only what a draft needs; an import promises every rule of the profile.
    service.schema.load(record)
    result = service.update(resource.id, record)
    report.updated += 1
    if isinstance(result, ResourceChange):
        report.changes += 1


def _existing(service: ResourceService, record: dict) -> Resource | None:
    for column, key in ((Resource.metadata_id, "metadata_id"), (Resource.code, "code")):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            found = service.session.scalars(select(Resource).where(column == value.strip())).first()
            if found is not None:
                return found
    return None


def _same_content(service: ResourceService, resource: Resource, record: dict) -> bool:
    """Whether the record, normalised by the schema, says exactly what the stored resource says."""
    try:
        new = service.schema.load(record, draft=True)
        old = service.schema.load(service.to_json(resource), draft=True)
    except MuluError:
        return False
    return _canonical(service, new) == _canonical(service, old)


def _canonical(service: ResourceService, data: Mapping[str, Any]) -> Any:
    result = dict(data)
    department, unit = _provider(service, result.pop("department", None))
    result["department"] = department.id if department is not None else None
    if unit and not result.get("provider_unit"):
        result["provider_unit"] = unit
    classification = result.get("classification_code")
    if department is not None and classification and len(classification) == 3 and department.catalog_segment:
        result["classification_code"] = classification + department.catalog_segment
    opening = dict(result.get("open") or {})
    # What _apply stores for an input without an open type: the type that follows from is_open.
    if opening.get("is_open") and not opening.get("type"):
        opening["type"] = "unconditional"
    if opening.get("is_open") is False and opening.get("type") in (None, "not_open"):
        opening["type"] = "not_open"
    if opening:
        result["open"] = opening
    return _without_blanks(result)


def _provider(service: ResourceService, ref: Mapping[str, Any] | None) -> tuple[Department | None, str | None]:
    # The provider as the service resolves it: an internal unit stands for its department and names the unit.
    if not ref:
        return None, None
    (key, value), = ref.items()
    column = {"id": Department.id, "uscc": Department.uscc, "key": Department.key, "name": Department.name}[key]
    department = service.session.scalars(select(Department).where(column == value)).first()
    unit = None
    while department is not None and department.kind == "internal_unit" and department.parent is not None:
        unit = unit or department.name
        department = department.parent
    return department, unit


def _without_blanks(value: Any) -> Any:
    # An empty cell, an empty list and a missing key all say "nothing" (a spreadsheet cannot tell them apart).
    if isinstance(value, Mapping):
        cleaned = {k: _without_blanks(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list | tuple):
        return [_without_blanks(v) for v in value]
    return value
