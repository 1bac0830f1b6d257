"""Cells of real fill-in sheets read as the template means them.

Information items listed in one cell (姓名、身份证号码 or one per line), dates as Excel serial numbers or
as 2019年6月30日, the classification split over 类/项/目/细目 columns, the format class and type in one
column (电子表格/xlsx) and the open type (不予开放) given instead of 是否向社会开放. What cannot be
read without guessing is refused with a :class:`TemplateError` that names the row, the column and the rule.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from catalog.errors import MuluError
from catalog.i18n import message
from catalog.template_headings import COMBINED_FORMAT

# Separators of several information items in one cell; commas are left alone (they occur in names).
_ITEM_SPLIT = re.compile(r"[\r\n、；;]+")
# "1." "2、" "(3)" "（4）" "⑤" numbering in front of a listed item.
_ENUMERATION = re.compile(r"^\s*(?:[(（]\s*\d+\s*[)）]|\d+\s*[.．、)）:：]|[①-⑳])\s*")
_EXCEL_EPOCH = date(1899, 12, 30)
# Serial numbers of 1950-01-01 … 2100-12-31: smaller or larger numbers are no dates a catalog means.
_SERIAL_RANGE = (18264, 73415)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
# Cells a row of instructions under the heading is made of (必填，最多128字符 / 多个用;分隔).
_INSTRUCTION = re.compile(r"必填|选填|非必填|请填写|填写|请选择|请输入|示例|例如|多个.{0,6}分隔")
#: Text that says "nothing here" (暂无: none yet), compared case-folded: in a template cell that must otherwise
#: cite something (a 不予共享 basis), and in any cell of a portal export (harvesters.portal_values).
PLACEHOLDERS = frozenset({"无", "暂无", "暂无数据", "无数据", "空", "未知", "/", "-", "--", "—", "——", "n/a", "na",
                          "null", "none", "nan"})
_FORMAT_SPLIT = re.compile(r"\s*[/／\\|｜：:]\s*")


class TemplateError(MuluError):
    """A sheet that cannot be read as the template without guessing: the message names row, column and rule."""

    code = "template_error"


def split_items(text: Any, *, numbered: bool = False) -> list[str]:
    """The values listed in one cell, in order; ``numbered``: names that may carry numbering (1.姓名) lose it."""
    parts = []
    for line in re.split(r"[\r\n]+", str(text)):
        if numbered:
            line = _ENUMERATION.sub("", line)
        parts += [(_ENUMERATION.sub("", part) if numbered else part).strip() for part in _ITEM_SPLIT.split(line)]
    return [part for part in parts if part]


def item_rows(number: int, cells: Mapping[str, Any], name_heading: str) -> list[dict[str, Any]]:
    """One item dict per item listed in the name cell; the other cells give one value each or one for all.

    :param number: the spreadsheet row, for the error message.
    :param cells: ``{heading: (item key, value)}`` of the row's item cells.
    :param name_heading: the heading of the 信息项名称 column.
    :raises TemplateError: when a cell lists another number of values than there are items.
    """
    names = split_items(cells[name_heading][1], numbered=True)
    items: list[dict[str, Any]] = [{} for _ in names]
    for heading, (key, value) in cells.items():
        values = names if heading == name_heading else split_items(value)
        if len(values) == len(names):
            for item, part in zip(items, values, strict=True):
                item[key] = part
        elif len(values) == 1 or (not values and value not in (None, "")):
            for item in items:
                item[key] = value if not values else values[0]
        else:
            raise TemplateError(message(
                "Row {row}: {column} lists {count} values but {names} lists {items} information items; give one "
                "value for all of them, one value per item in the same order, or one row per item.",
                row=number, column=heading, count=len(values), names=name_heading, items=len(names)))
    return items


def is_instruction_row(values: Mapping[str, Any]) -> bool:
    """Whether a row right under the heading explains how to fill in the columns instead of holding data."""
    texts = [str(v) for v in values.values() if v not in (None, "")]
    told = sum(1 for text in texts if _INSTRUCTION.search(text))
    # Some cells of such a row only list the choices (共享平台方式、邮件方式、介质方式).
    return told >= 2 and told * 3 >= len(texts) * 2


def date_text(value: Any) -> Any:
    """A date cell as ``YYYY-MM-DD``: Excel serial numbers and 2019年6月30日 / 2019/6/30 spellings; else as is."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.isdigit() and _SERIAL_RANGE[0] <= int(text) <= _SERIAL_RANGE[1]:
        return (_EXCEL_EPOCH + timedelta(days=int(text))).isoformat()
    match = _DATE.match(text)
    if match:
        try:
            return date(*(int(part) for part in match.groups())).isoformat()
        except ValueError:
            return value
    return value


def classification(levels: Mapping[int, Any], vocab) -> str | None:
    """The 分类码 of a classification given one level per column, by codes (3, 07, 015) or by names.

    A level may also repeat the levels above it (3, 307, 307015). Class and item given by name are
    looked up in the classification code list; a 目 or 细目 given by name cannot be (the 目 is the
    provider's segment, which the service appends to 类+项 itself), so the code stops before it.
    Levels that do not fit together are returned as written, for the schema to refuse.
    """
    code = ""
    scheme = vocab.get("resource_classification") if vocab is not None else None
    written = "/".join(str(levels[level]) for level in sorted(levels) if levels[level] not in (None, ""))
    for level in sorted(levels):
        text = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(levels[level])))
        if not text:
            continue
        start, end = _LEVEL_DIGITS.get(level, (len(code), None))
        if text.isascii() and text.isdigit():
            if code and text.startswith(code) and len(text) > len(code):
                code = text
            elif end is not None and len(code) >= end:
                if code[start:end] != text.zfill(end - start):
                    return written
            elif len(code) != start:
                return written  # a level left out above this one
            else:
                code += text.zfill(end - start) if end is not None else text
            continue
        concept = scheme.find(text) if scheme is not None and level <= 2 else None
        if concept is not None and (concept.broader or "") == code:
            code = concept.code
        elif level >= 3 and len(code) >= 3:
            break  # a 目 or 细目 by name: the provider's segment is appended by the service
        else:
            return written
    return code or None


# Where each level's digits sit in the 分类码: 类 1 digit, 项 2, 目 3, then the 细目.
_LEVEL_DIGITS = {1: (0, 1), 2: (1, 3), 3: (3, 6)}


def finish_format(record: dict[str, Any], vocab) -> None:
    """Sort the format cells into class and type: 电子表格/xlsx in one column, or a type in the class column.

    A value the format list does not know is left where it was written, for the schema to refuse.
    """
    combined = record.pop(COMBINED_FORMAT, None)
    fmt = record.get("format") if isinstance(record.get("format"), dict) else {}
    if combined in (None, "") and not fmt:
        return
    scheme = vocab.get("format") if vocab is not None else None
    classes: list[str] = []
    types: list[str] = []
    for text in (fmt.get("class"), combined):
        if text in (None, ""):
            continue
        concepts = _format_concepts(scheme, str(text))
        if concepts is None:
            classes.append(text)
            continue
        for concept in concepts:
            if concept.broader is None:
                classes.append(concept.code)
            else:
                types.append(concept.code)
                classes.append(concept.broader)
    if classes:
        fmt["class"] = classes[0]
    if types and fmt.get("type") in (None, ""):
        fmt["type"] = types[0]
    record["format"] = fmt


def _format_concepts(scheme, text: str) -> list | None:
    if scheme is None:
        return None
    concept = scheme.find(text)
    if concept is not None:
        return [concept]
    parts = [scheme.find(part) for part in _FORMAT_SPLIT.split(text) if part]
    return parts if parts and all(parts) else None


def finish_open(record: dict[str, Any], vocab) -> None:
    """是否向社会开放 follows from the open type (不予开放 → 否) when the sheet gives only the type."""
    opening = record.get("open")
    if not isinstance(opening, dict) or opening.get("is_open") not in (None, "") or not opening.get("type"):
        return
    scheme = vocab.get("open_type") if vocab is not None else None
    concept = scheme.find(str(opening["type"])) if scheme is not None else None
    if concept is not None and "open" in concept.properties:
        opening["is_open"] = bool(concept.properties["open"])



_CODE_AFTER = re.compile(r"^(?P<label>.*?[^\sA-Za-z])[\s\-_(（]*(?P<code>[A-Za-z])[)）]?$")
_CODE_BEFORE = re.compile(r"^(?P<code>[A-Za-z])[\s\-_.、:：]+(?P<label>.+)$")
# 01-字符型: another platform's own number in front of the label.
_NUMBER_BEFORE = re.compile(r"^\d{1,3}\s*[-_.、:：]\s*(?P<label>\D.*)$")


def labelled_code(scheme, text: Any) -> Any:
    """字符型C, C-字符型, 字符型(C): a label written with its code reads as the code when both name one concept.

    A label behind another platform's number (01-字符型) reads as the label.
    """
    if scheme is None or not isinstance(text, str) or scheme.find(text) is not None:
        return text
    for pattern in (_CODE_AFTER, _CODE_BEFORE):
        match = pattern.match(text.strip())
        if match:
            by_label, by_code = scheme.find(match["label"]), scheme.get(match["code"].upper())
            if by_label is not None and by_label is by_code:
                return by_label.code
    match = _NUMBER_BEFORE.match(text.strip())
    found = scheme.find(match["label"]) if match else None
    return found.code if found is not None else text
