"""Bulk import of resources (JSON Lines, the spreadsheet template) through ResourceService, row by row."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import or_, select

from catalog.errors import MuluError
from catalog.i18n import message
from catalog.importing import ImportRejectedError, ImportReport, RowError, row_error
from catalog.models import Resource
from catalog.services.resource import ResourceService


def import_resources(service: ResourceService, records: Iterable[tuple[int, Any]], *, skip_invalid: bool = False,
                     progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import resource input records, each in its own SAVEPOINT so one bad row rolls back alone.

    A record whose ``metadata_id`` or ``code`` is already in the catalog updates that resource (a
    draft in place, a published one as a change awaiting review); any other record creates a draft
    checked against every rule of the profile.

    :param service: the ResourceService of the importing actor (permissions apply per row).
    :param records: ``(row number, record)`` pairs; a record may be an exception from the reader.
    :param skip_invalid: write the good rows and report the bad ones; otherwise any bad row rejects all.
    :param progress: called with the number of rows processed after each row.
    :returns: the report.
    :raises ImportRejectedError: when a row is bad and ``skip_invalid`` is false (the caller rolls back).
    """
    report = ImportReport()
    session = service.session
    for count, (number, record) in enumerate(records, start=1):
        if isinstance(record, json.JSONDecodeError):
            report.errors.append(RowError(number, {"_schema": [message("Not valid JSON: {error}", error=str(record))]}))
        elif not isinstance(record, dict):
            report.errors.append(RowError(number, {"_schema": [message("A resource must be a JSON object.")]}))
        else:
            savepoint = session.begin_nested()
            try:
                existing = _existing(service, record)
                if existing is None:
                    service.create(record, draft=False)
                    report.created += 1
                else:
                    service.update(existing.id, record)
                    report.updated += 1
                savepoint.commit()
            except MuluError as exc:
                savepoint.rollback()
                report.errors.append(row_error(number, exc))
        if progress:
            progress(count)
    if report.errors and skip_invalid:
        report.skipped = len(report.errors)
    elif report.errors:
        raise ImportRejectedError(report)
    return report


def _existing(service: ResourceService, record: dict) -> Resource | None:
    keys = [Resource.metadata_id == record["metadata_id"]] if record.get("metadata_id") else []
    if record.get("code"):
        keys.append(Resource.code == record["code"])
    if not keys:
        return None
    return service.session.scalars(select(Resource).where(or_(*keys))).first()
