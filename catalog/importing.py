"""Bulk import reports: every bad row with its number and reasons, all-or-nothing unless told otherwise."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from catalog.errors import MuluError
from catalog.i18n import Message, message


@dataclass
class RowError:
    """The problems of one input row (spreadsheet row or JSON Lines line number)."""

    number: int
    fields: dict[str, list[Message]]

    def render(self, locale: str | None = None) -> list[str]:
        return [f"{path}: {m.render(locale)}" if path != "_schema" else m.render(locale)
                for path, messages in self.fields.items() for m in messages]


@dataclass
class ImportReport:
    """What an import did: counts and the rows it could not take.

    ``unchanged`` rows matched a stored record that already said the same; ``changes`` counts the
    updates of published resources, which became changes (变更) awaiting review.
    """

    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    unchanged: int = 0
    changes: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def render(self, locale: str | None = None, *, lines_of_text: bool = False) -> str:
        """A terminal-friendly summary: counts, then each bad row with its reasons.

        :param lines_of_text: number the errors as lines (JSON Lines) rather than spreadsheet rows.
        """
        lines = [message("{created} created, {updated} updated, {skipped} skipped, {errors} with errors.",
                         created=self.created, updated=self.updated, skipped=self.skipped,
                         errors=len(self.errors)).render(locale)]
        if self.unchanged:
            lines.append(message("{count} unchanged.", count=self.unchanged).render(locale))
        if self.changes:
            lines.append(message("{count} of the updates are changes to published resources; they await review "
                                 "and the published versions stay as they are until approved.",
                                 count=self.changes).render(locale))
        for error in self.errors:
            heading = message("line {number}:", number=error.number) if lines_of_text else \
                message("row {number}:", number=error.number)
            lines.append(heading.render(locale))
            lines.extend(f"  {line}" for line in error.render(locale))
        return "\n".join(lines)

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "unchanged": self.unchanged,
            "changes": self.changes,
            "errors": [{"row": e.number, "messages": e.render(locale)} for e in self.errors],
        }


class ImportRejectedError(MuluError):
    """Some rows are bad and ``skip_invalid`` was not given: nothing was written."""

    code = "import_rejected"

    def __init__(self, report: ImportReport):
        super().__init__(message("{count} rows have errors; nothing was imported.", count=len(report.errors)))
        self.report = report


def row_error(number: int, error: MuluError) -> RowError:
    """A RowError from any domain error (field errors, or the error's own message)."""
    return RowError(number, dict(error.fields) if error.fields else {"_schema": [error.message]})


def read_jsonl(stream: IO[str]) -> Iterator[tuple[int, Any]]:
    """Read JSON Lines: ``(line number, object)``; a broken line yields ``(line number, JSONDecodeError)``."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            # Without its line break, so that a broken line is described as itself ("unterminated string").
            yield number, json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            yield number, exc
