"""The auditors' Excel export: one workbook with a sheet per view (districts, departments, missing items, trend)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from catalog.coverage.export import MISSING_HEADERS, columns_for, missing_rows, rows, trend_rows
from catalog.coverage.report import CoverageReport

_MAX_WIDTH = 60


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its title, headers, rows and which columns hold ratios (shown as percentages)."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    ratio_columns: frozenset[int] = frozenset()


def write_sheets(target: str | IO[bytes], sheets: Iterable[Sheet]) -> None:
    """Write worksheets with bold frozen headers, sized columns, percentages; text never becomes a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=sheet.title[:31])
        for index, header in enumerate(sheet.headers, start=1):
            widest = max([len(str(header)), *(len(str(row[index - 1] or "")) for row in sheet.rows[:500])])
            # CJK characters are about two columns wide.
            worksheet.column_dimensions[get_column_letter(index)].width = min(_MAX_WIDTH, 2 * widest + 2)
        worksheet.freeze_panes = "A2"
        header_cells = []
        for header in sheet.headers:
            cell = WriteOnlyCell(worksheet, value=str(header))
            cell.font = Font(bold=True)
            header_cells.append(cell)
        worksheet.append(header_cells)
        for row in sheet.rows:
            cells = []
            for index, value in enumerate(row):
                cell = WriteOnlyCell(worksheet, value=ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str)
                                     else value)
                if isinstance(value, str):
                    cell.data_type = "s"
                if index in sheet.ratio_columns and isinstance(value, float | int):
                    cell.number_format = "0.0%"
                cells.append(cell)
            worksheet.append(cells)
    workbook.save(target)


def write_workbook(target: str | IO[bytes], report: CoverageReport, *, by: str = "division",
                   locale: str | None = None) -> None:
    """Write the coverage report as a workbook: the ``by`` grouping first, then the other, missing items, trend."""
    sheets = []
    for grouping, title in (("division", "按区划"), ("department", "按部门")):
        headers, data = rows(report, grouping, locale)
        ratios = frozenset(i for i, column in enumerate(columns_for(grouping)) if column.ratio)
        sheets.append(Sheet(title, headers, data, ratios))
    if by == "department":
        sheets.reverse()
    sheets.append(Sheet("缺项", MISSING_HEADERS, missing_rows(report, locale)))
    headers, data = trend_rows(report)
    sheets.append(Sheet("趋势", headers, data, frozenset({len(headers) - 1})))
    summary = [["统计日期 (as_of)", report.as_of.isoformat()], ["目标 (target)", report.target],
               ["目标日期 (target_date)", report.target_date.isoformat()],
               ["进度测算月数 (window_months)", report.window_months]]
    sheets.insert(0, Sheet("说明", ["项目 (item)", "值 (value)"], summary))
    write_sheets(target, sheets)
