"""Tabular files (CSV, XLSX) read as numbered rows of named values and written back, for every importer."""

from __future__ import annotations

import csv
import io
import os
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from catalog.errors import MuluError
from catalog.i18n import Message, message

FORMATS = ("csv", "xlsx")

_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_ZIP_MAGIC = b"PK\x03\x04"
# Column widths are measured on the first rows only, so an export of any size streams.
_WIDTH_SAMPLE = 1000
_MIN_WIDTH, _MAX_WIDTH = 8, 60

Source = str | os.PathLike | IO[bytes] | IO[str]


class TabularError(MuluError):
    """A tabular file that cannot be read: the message names the file and the reason."""

    code = "unreadable_file"

    def __init__(self, file: str, reason: Message):
        super().__init__(message("Cannot read {file}: {reason}", file=file, reason=reason))
        self.file = file
        self.reason = reason


@dataclass(frozen=True)
class Row:
    """One data row: ``number`` is the row as the user sees it in a spreadsheet (the header is row 1).

    ``values`` maps every header to the cell's text, stripped; empty cells are ``None``.
    """

    number: int
    values: dict[str, str | None]

    def get(self, header: str, default: str | None = None) -> str | None:
        """The value under ``header``, or ``default`` when the column is absent or the cell empty."""
        value = self.values.get(header)
        return default if value is None else value


def read_rows(source: Source, *, format: str | None = None, sheet: str | int | None = None,
              is_header: Callable[[str], bool] | None = None) -> Iterator[Row]:
    """Read a CSV or XLSX file as rows keyed by its header row.

    The first non-blank row is the header, unless ``is_header`` tells which headings are expected:
    then the header is the row among the first ten with most known headings (real sheets put a
    title above the table), merged with the row beside it when the heading spans two rows (共享属性
    over 共享类型 / 共享条件 / 共享方式). Blank rows are skipped but still counted, so row
    numbers match what the user sees. Cells are text: numbers lose a trailing ``.0``, dates
    become ISO dates, booleans ``true``/``false``.

    :param source: a path, or a binary (or text, for CSV) stream, e.g. an uploaded file.
    :param format: ``csv`` or ``xlsx``; guessed from the file name, else from the content.
    :param sheet: the XLSX sheet, by name or 0-based index; the first sheet when omitted, or, with
        ``is_header``, the sheet whose header row holds most known headings (a department's workbook
        may put a cover or instructions sheet first).
    :param is_header: tells whether a cell is a known heading (finds the header row).
    :returns: an iterator of :class:`Row`.
    :raises TabularError: if the file is missing, not decodable, not a workbook, has no such
        sheet, or repeats a header.
    """
    name = _display_name(source)
    if isinstance(source, str | os.PathLike):
        try:
            with open(source, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            raise TabularError(name, message("the file does not exist.")) from None
        except OSError as error:
            raise TabularError(
                name, message("the file cannot be opened ({detail}).", detail=error.strerror)
            ) from None
        stream: IO = io.BytesIO(data)
    else:
        stream = source
    # Open and decode before returning, so an unreadable file fails at the call, not mid-import.
    if _resolve_format(name, format, stream) == "csv":
        records = _csv_records(name, stream)
    else:
        records = _xlsx_records(name, stream, sheet, is_header)
    if is_header is not None:
        records = _find_header(records, is_header)
    return _numbered(name, records)


HEADER_SEARCH_ROWS = 10
#: The fewest known headings a header row holds.
MIN_HEADINGS = 2


def _find_header(records: Iterator[list[str | None]], is_header: Callable[[str], bool]) -> Iterator[list[str | None]]:
    """Yield the records with the real header row first: rows above it become blank (still counted)."""
    head: list[list[str | None]] = []
    for cells in records:
        head.append(cells)
        if len(head) == HEADER_SEARCH_ROWS:
            break
    scores = [sum(1 for c in cells if c is not None and is_header(c)) for cells in head]
    # One known word is no header: a key/value sheet has "title" in a row of data (tenforce's DCAT sheet).
    scores = [score if score >= MIN_HEADINGS else 0 for score in scores]
    if not head or max(scores) == 0:
        yield from head
        yield from records
        return
    best = scores.index(max(scores))
    header = list(head[best])
    if best > 0 and scores[best - 1] > 0:
        # The lower row of a two-row heading has more known headings (共享类型, 共享条件, 共享方式 under
        # one 共享属性): the cells the upper row alone names (信息资源名称, merged down) come from it.
        above = head[best - 1]
        header += [None] * (max(len(header), len(above)) - len(header))
        for index, cell in enumerate(above):
            if cell is not None and header[index] is None:
                header[index] = cell
    below = head[best + 1] if best + 1 < len(head) else None
    spans = best + 1
    if below is not None and scores[best + 1] > 0:
        # A two-row heading: a known sub-heading wins over the group heading above it.
        width = max(len(header), len(below))
        header += [None] * (width - len(header))
        for index, cell in enumerate(below):
            if cell is not None and (is_header(cell) or header[index] is None):
                header[index] = cell
        spans = best + 2
    blank: list[str | None] = []
    for _ in range(best):
        yield blank
    yield header
    if spans == best + 2:
        yield blank
    yield from head[spans:]
    yield from records


def write_rows(
    target: Source,
    headers: list[str],
    rows: Iterable[list[Any]],
    *,
    format: str | None = None,
    sheet: str | None = None,
) -> None:
    """Write a header row and data rows as CSV or XLSX.

    CSV is UTF-8 with a byte-order mark, which Excel needs to show Chinese correctly. XLSX has a
    bold, frozen header row and columns sized to their content; text never becomes a formula.

    :param target: a path, or a binary stream (a text stream also works for CSV).
    :param headers: the column headers.
    :param rows: the data rows, each a list of values (``None`` is an empty cell).
    :param format: ``csv`` or ``xlsx``; guessed from the file name when omitted.
    :param sheet: the XLSX sheet title.
    :raises ValueError: if the format is unknown or cannot be guessed.
    """
    fmt = format or _EXTENSIONS.get(Path(_display_name(target)).suffix.lower())
    if fmt not in FORMATS:
        raise ValueError(f"unknown tabular format {format!r}; use one of {', '.join(FORMATS)}")
    if fmt == "csv":
        _write_csv(target, headers, rows)
    else:
        _write_xlsx(target, headers, rows, sheet)


def _display_name(source: Any) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    # Werkzeug's FileStorage carries the uploaded name as ``filename``.
    for attribute in ("filename", "name"):
        value = getattr(source, attribute, None)
        if isinstance(value, str) and value:
            return value
    return "<stream>"


def _resolve_format(name: str, format: str | None, stream: IO) -> str:
    if format is not None:
        if format not in FORMATS:
            raise ValueError(f"unknown tabular format {format!r}; use one of {', '.join(FORMATS)}")
        return format
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise TabularError(name, message("the old .xls format is not supported; save the workbook as .xlsx."))
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    head = _peek(stream, len(_ZIP_MAGIC))
    return "xlsx" if head == _ZIP_MAGIC else "csv"


def _peek(stream: IO, size: int) -> bytes | str:
    if not stream.seekable():
        return b""
    position = stream.tell()
    head = stream.read(size)
    stream.seek(position)
    return head


def _numbered(name: str, records: Iterator[list[str | None]]) -> Iterator[Row]:
    headers: list[str | None] | None = None
    for number, cells in enumerate(records, start=1):
        if all(cell is None for cell in cells):
            continue
        if headers is None:
            headers = _headers(name, cells)
            continue
        values = {header: None for header in headers if header is not None}
        for header, cell in zip(headers, cells, strict=False):
            if header is not None:
                values[header] = cell
        yield Row(number, values)


def _headers(name: str, cells: list[str | None]) -> list[str | None]:
    seen: set[str] = set()
    for cell in cells:
        if cell is None:
            continue
        if cell in seen:
            raise TabularError(
                name, message("the column {column} appears twice in the header row.", column=cell)
            )
        seen.add(cell)
    # Columns without a header (a stray note beside the table) are ignored.
    return list(cells)


def _clean(value: str) -> str | None:
    text = value.strip()
    return text or None


def _csv_records(name: str, stream: IO) -> Iterator[list[str | None]]:
    raw = stream.read()
    text = _decode(name, raw) if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    header_line = next((line for line in io.StringIO(text) if line.strip()), "")
    delimiter = _delimiter(header_line)
    return _csv_cells(name, csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _csv_cells(name: str, reader) -> Iterator[list[str | None]]:
    try:
        for record in reader:
            yield [_clean(cell) for cell in record]
    except csv.Error as error:
        raise TabularError(name, message("the CSV is malformed ({detail}).", detail=str(error))) from None


def _decode(name: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Excel on a Chinese Windows saves "CSV" in the ANSI code page (GBK), which GB18030 extends.
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise TabularError(name, message("the file is neither UTF-8 nor GB18030 text.")) from None


def _delimiter(header_line: str) -> str:
    # "Unicode text" exports of Excel are tab-separated; some European locales use semicolons.
    counts = {candidate: header_line.count(candidate) for candidate in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _xlsx_records(name: str, stream: IO, sheet: str | int | None,
                  is_header: Callable[[str], bool] | None = None) -> Iterator[list[str | None]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not stream.seekable():
        stream = io.BytesIO(stream.read())
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as error:
        detail = str(error) or type(error).__name__
        raise TabularError(
            name, message("the file is not a valid XLSX workbook ({detail}).", detail=detail)
        ) from None
    try:
        if sheet is None and is_header is not None and len(workbook.worksheets) > 1:
            sheet = _sheet_with_most_headings(workbook, is_header)
        worksheet = _worksheet(name, workbook, sheet)
    except TabularError:
        workbook.close()
        raise
    # Workbooks written by some tools declare a wrong sheet size, which read-only mode trusts
    # and so cuts off columns; forgetting the declared size makes openpyxl read every cell.
    worksheet.reset_dimensions()
    return _xlsx_cells(workbook, worksheet)


def _xlsx_cells(workbook, worksheet) -> Iterator[list[str | None]]:
    try:
        for cells in worksheet.iter_rows(values_only=True):
            yield [_cell_text(cell) for cell in cells]
    finally:
        workbook.close()


def _sheet_with_most_headings(workbook, is_header: Callable[[str], bool]) -> int:
    """The index of the sheet whose best row among its first rows holds most known headings (the first on a tie)."""
    best, best_score = 0, 0
    for index, worksheet in enumerate(workbook.worksheets):
        worksheet.reset_dimensions()
        score = 0
        for cells in worksheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True):
            score = max(score, sum(1 for cell in cells if cell is not None and is_header(_cell_text(cell) or "")))
        if score >= MIN_HEADINGS and score > best_score:
            best, best_score = index, score
    return best


def _worksheet(name: str, workbook, sheet: str | int | None):
    if sheet is None:
        return workbook.worksheets[0]
    if isinstance(sheet, int):
        if 0 <= sheet < len(workbook.worksheets):
            return workbook.worksheets[sheet]
    elif sheet in workbook.sheetnames:
        return workbook[sheet]
    raise TabularError(
        name,
        message(
            "there is no sheet {sheet}; the sheets are {sheets}.",
            sheet=sheet,
            sheets=", ".join(workbook.sheetnames),
        ),
    )


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return _clean(str(value))


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _write_csv(target: Source, headers: list[str], rows: Iterable[list[Any]]) -> None:
    if isinstance(target, str | os.PathLike):
        with open(target, "w", encoding="utf-8-sig", newline="") as handle:
            _write_csv_text(handle, headers, rows)
        return
    if isinstance(target, io.TextIOBase):
        target.write("\ufeff")
        _write_csv_text(target, headers, rows)
        return
    wrapper = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    try:
        _write_csv_text(wrapper, headers, rows)
        wrapper.flush()
    finally:
        # Detach so that closing the wrapper does not close the caller's stream.
        wrapper.detach()


def _write_csv_text(handle: IO[str], headers: list[str], rows: Iterable[list[Any]]) -> None:
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])


def _display_width(value: Any) -> int:
    text = _csv_text(value)
    # East Asian wide characters take two columns in Excel's default fonts.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _write_xlsx(target: Source, headers: list[str], rows: Iterable[list[Any]], sheet: str | None) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    iterator = iter(rows)
    sample = list(islice(iterator, _WIDTH_SAMPLE))
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet or "Sheet1")
    for index, header in enumerate(headers, start=1):
        widest = max(
            [_display_width(header), *(_display_width(row[index - 1]) for row in sample if len(row) >= index)]
        )
        worksheet.column_dimensions[get_column_letter(index)].width = min(
            max(widest + 2, _MIN_WIDTH), _MAX_WIDTH
        )
    worksheet.freeze_panes = "A2"

    def cell(value: Any, bold: bool = False) -> Any:
        if isinstance(value, str):
            written = WriteOnlyCell(worksheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            # Text that starts with "=" must stay text: a department name is never a formula.
            written.data_type = "s"
        else:
            written = WriteOnlyCell(worksheet, value=value)
        if bold:
            written.font = Font(bold=True)
        return written

    worksheet.append([cell(header, bold=True) for header in headers])
    for row in chain(sample, iterator):
        worksheet.append([cell(value) for value in row])
    workbook.save(target)
