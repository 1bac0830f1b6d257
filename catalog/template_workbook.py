"""Write the fill-in template as an XLSX workbook: the data sheet, code-list pickers and a 填写说明 sheet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from catalog.profile import Profile
from catalog.template import SEQUENCE_HEADER, resource_to_rows, template_columns

DATA_SHEET = "信息资源目录"
HELP_SHEET = "填写说明"
LISTS_SHEET = "代码表"
_REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E1")
_OBLIGATION = {"M": "必填", "R": "推荐", "O": "选填"}
_SYSTEM = "系统生成"


def write_workbook(target: str | Path | IO[bytes], profile: Profile, vocab,
                   resources: Iterable[Mapping[str, Any]] = (), *, max_rows: int = 2000) -> int:
    """Write the template, filled with ``resources`` (Resource JSON) if given.

    Code-list columns get drop-down pickers of the vocabulary's Chinese labels; mandatory columns are
    shaded; the 填写说明 sheet explains every column from the profile.

    :returns: the number of resources written.
    """
    columns = template_columns(profile)
    book = Workbook()
    sheet = book.active
    sheet.title = DATA_SHEET
    sheet.append([SEQUENCE_HEADER, *[c.header for c in columns]])
    for cell, column in zip(sheet[1][1:], columns, strict=True):
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if column.element is not None and column.element.required:
            cell.fill = _REQUIRED_FILL
    sheet[1][0].font = Font(bold=True)
    sheet.freeze_panes = "C2"
    count = 0
    for count, data in enumerate(resources, start=1):
        for index, row in enumerate(resource_to_rows(data, columns, vocab)):
            sheet.append([count if index == 0 else None, *(_text(value) for value in row)])
            _keep_text(sheet[sheet.max_row])
    for index, column in enumerate(columns, start=2):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(column.header) * 2 + 4))
    _add_pickers(book, sheet, columns, vocab, max(max_rows, sheet.max_row + 200))
    _add_help(book, columns, vocab)
    book.save(target)
    return count


def _text(value: Any) -> Any:
    # Control characters make openpyxl refuse the whole workbook; they carry nothing a reader needs.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _keep_text(cells) -> None:
    # openpyxl stores a string that starts with "=" as a formula: an abstract must never run in Excel.
    for cell in cells:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def _add_pickers(book, sheet, columns, vocab, last_row: int) -> None:
    lists = book.create_sheet(LISTS_SHEET)
    list_column = 0
    for index, column in enumerate(columns, start=2):
        element = column.element
        if element is None or element.type not in ("code", "boolean", "choice"):
            continue
        if element.type == "boolean":
            values = ["是", "否"]
        elif element.type == "choice":
            values = [label.values["zh"] for label in element.choices.values()]
        else:
            scheme = vocab.get(element.vocabulary)
            concepts = [c for c in scheme if element.values is None or c.code in element.values]
            if element.top_level:
                concepts = [c for c in concepts if c.broader is None]
            values = [c.label("zh") for c in concepts]
        list_column += 1
        letter = get_column_letter(list_column)
        lists.cell(row=1, column=list_column, value=column.header)
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=list_column, value=value)
        validation = DataValidation(type="list", formula1=f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}",
                                    allow_blank=True, showErrorMessage=False)
        target = get_column_letter(index)
        validation.add(f"{target}2:{target}{last_row}")
        sheet.add_data_validation(validation)


def _add_help(book, columns, vocab) -> None:
    sheet = book.create_sheet(HELP_SHEET)
    sheet.append(["列名", "字段", "约束", "说明", "代码表"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append([SEQUENCE_HEADER, "", "选填", "资源序号；一条资源的多个信息项占多行，后续行只填信息项列。", ""])
    sheet.append(["（系统生成的列）", "", _SYSTEM, "信息资源代码和元数据标识符由系统生成：导出时填写，导入时据此更新原资源；"
                  "新资源留空。", ""])
    for column in columns:
        element = column.element
        if element is None:
            obligation = ""
        elif element.system:
            obligation = _SYSTEM
        else:
            obligation = _OBLIGATION.get(element.obligation, "")
        help_text = element.help.render("zh_CN") if element is not None and element.help else ""
        vocabulary = vocab.get(element.vocabulary).label("zh") if element is not None and element.vocabulary else ""
        sheet.append([column.header, column.path, obligation, help_text, vocabulary])
    for letter, width in zip("ABCDE", (22, 26, 8, 70, 18), strict=True):
        sheet.column_dimensions[letter].width = width
