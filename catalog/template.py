"""The guide's spreadsheet fill-in template (填报模板), derived from the profile: columns, rows ↔ resource input.

One resource spans one row per information item: the first row carries the resource's fields and its
first item, the following rows only further items — the layout of the 1272 template that departments
already fill in. Sheets that repeat the resource's cells on every item row read the same way.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from catalog import template_cells as cells
from catalog.display import value_label
from catalog.i18n import Text
from catalog.profile import Element, Profile
from catalog.tabular import read_rows
from catalog.template_headings import (
    CLASSIFICATION_LEVEL,
    COMBINED_FORMAT,
    PUBLISHED_ON,
    SEQUENCE_HEADER,
    HeadingIndex,
    fold,
)

LIST_SEPARATOR = "、"
DISTRIBUTION_PARTS = ("kind", "title", "url", "service_type", "media_type", "description")
# Headings of the 1272 template that carry two of our fields, and its other spellings of our columns
# (catalog.template_headings knows the spellings of other sheets and platforms).
ALIASES = {
    "共享条件/不予共享依据": "share.condition_or_basis",
    "部门类信息资源分类": "classification_code",
    "信息资源分类代码": "classification_code",
    "共享方式分类": "share.method_class",
    "共享方式类型": "share.method",
    "信息资源提供方": "department.name",
    "提供方": "department.name",
}
# Fields the reader fills from two columns, resolved once the whole record is known (finish_record).
_CONDITION_OR_BASIS = "_condition_or_basis"
_NOT_SHARED = frozenset({"不予共享", "not_shared", "3"})
_CLASSIFICATION = "_classification"
# Values that name a code or a number: a full-width ０-９ or Ａ-Ｚ typed with a Chinese input method is folded.
_FOLDED_PATHS = frozenset({"department.uscc", "code", "metadata_id", "related_codes", "record_count", "items.length"})


@dataclass(frozen=True)
class Column:
    """One template column: the field path it fills, its headings and whether it is per item."""

    path: str
    header: str
    label: Text
    element: Element | None
    per_item: bool = False

    @property
    def headers(self) -> set[str]:
        """Every heading that names this column: the template's, the field path, the labels."""
        own = set(self.element.label.values.values()) if self.element is not None else set()
        return {self.header, self.path, self.label.render("en"), f"{self.header} ({self.path})", *own}


def template_columns(profile: Profile) -> list[Column]:
    """Every column of the template, in profile order: resource fields, then information-item fields.

    The last column, 元数据标识符, is filled by exports so that an exported sheet imported again
    updates the same resources; people leave it empty for new resources.
    """
    columns = [
        Column("department.name", "信息资源提供方", profile.label("department"), profile.get("department")),
        Column("department.uscc", "信息资源提供方代码", profile.label("provider_code"), profile.get("provider_code")),
    ]
    item_columns: list[Column] = []
    for element in profile.elements:
        if element.type == "department":
            continue
        if element.system and element.name != "code":
            continue
        if element.type == "object":
            for child in element.children:
                header = child.template_column or child.label.values["zh"]
                columns.append(Column(f"{element.name}.{child.name}", header, profile.label(f"{element.name}.{child.name}"), child))
        elif element.type == "items":
            for child in element.children:
                header = child.template_column or child.label.values["zh"]
                item_columns.append(Column(f"items.{child.name}", header, profile.label(f"items.{child.name}"), child, per_item=True))
        else:
            header = element.template_column or element.label.values["zh"]
            columns.append(Column(element.name, header, profile.label(element.name), element))
    identifier = profile.get("metadata_id")
    tail = [Column("metadata_id", identifier.template_column or identifier.label.values["zh"],
                   profile.label("metadata_id"), identifier)]
    return columns + item_columns + tail


def _cell(value: Any, element: Element | None, vocab) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or (element is not None and element.type == "code"):
        return value_label(element, value, vocab, "zh_CN")
    if element is not None and element.type == "distributions":
        return "\n".join(_distribution_line(d, element) for d in value) or None
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value) or None
    return value


def _distribution_line(distribution: Mapping[str, Any], element: Element) -> str:
    kind = element.child("kind")
    parts = [str(value_label(kind, distribution.get("kind"), None, "zh_CN") or "")]
    parts += [str(distribution.get(name) or "") for name in DISTRIBUTION_PARTS[1:]]
    while parts and not parts[-1]:
        parts.pop()  # trailing empty parts are noise in a cell people read
    return " | ".join(parts)


def _get(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def resource_to_rows(data: Mapping[str, Any], columns: list[Column], vocab) -> list[list[Any]]:
    """Render one resource JSON as template rows (one per information item, at least one)."""
    items = data.get("items") or [{}]
    rows = []
    for index, item in enumerate(items):
        row = []
        for column in columns:
            if column.per_item:
                row.append(_cell(item.get(column.path.split(".", 1)[1]), column.element, vocab))
            elif index == 0:
                row.append(_cell(_get(data, column.path), column.element, vocab))
            else:
                row.append(None)
        rows.append(row)
    return rows


def _distributions(text: str) -> list[dict[str, Any]]:
    rows = []
    for line in str(text).splitlines():
        parts = [p.strip() or None for p in line.split("|")]
        if not any(parts):
            continue
        if len(parts) == 1:
            rows.append({"kind": "link", "url": parts[0]})
            continue
        parts += [None] * (len(DISTRIBUTION_PARTS) - len(parts))
        row = dict(zip(DISTRIBUTION_PARTS, parts, strict=False))
        row["kind"] = row["kind"] or "link"
        # A description that contains "|" keeps all its text.
        if len(parts) > len(DISTRIBUTION_PARTS):
            row["description"] = " | ".join(p or "" for p in parts[len(DISTRIBUTION_PARTS) - 1:])
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def _fold(header: str) -> str:
    """A heading as typed in any sheet: full-width characters, line breaks and spaces do not matter."""
    return fold(header)


def heading_index(columns: list[Column]) -> HeadingIndex:
    """The headings of the template's columns and of real sheets (:mod:`catalog.template_headings`)."""
    own = {header: column.path for column in columns for header in column.headers}
    own.update(ALIASES)
    return HeadingIndex(own)


def _resolve_headers(headers: Iterable[str], columns: list[Column]) -> dict[str, str]:
    return heading_index(columns).resolve(headers)


def header_matcher(columns: list[Column]) -> Callable[[str], bool]:
    """A test for template headings, for :func:`catalog.tabular.read_rows` to find the header row.

    Group headings of two-row headers (共享属性, 信息项信息, 信息资源格式) count as headings too, so
    that the row above the sub-headings is taken as the header row and merged with them.
    """
    return heading_index(columns).is_heading


def template_rows(source, columns: list[Column], *, format: str | None = None, sheet: str | int | None = None) -> list:
    """The rows of a filled-in template (XLSX or CSV), for :func:`rows_to_records`.

    The sheet (when not named) and the header row are found by the template's headings: Mulu's own
    workbook, the guide's 1272 template and departments' sheets alike, whichever sheet holds the table
    and whatever title or two-row heading it has.

    :param source: a path or a binary stream, as for :func:`catalog.tabular.read_rows`.
    :raises TabularError: if the file cannot be read.
    """
    return list(read_rows(source, format=format, sheet=sheet, is_header=header_matcher(columns)))


def rows_to_records(rows: Iterable, columns: list[Column]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Group template rows into resource input dicts.

    A row continues the resource above it when all its resource cells are empty or repeat that
    resource's first row; any other row starts a resource, so a row that lacks its 信息资源名称 is
    reported on its own instead of merging into its neighbour. Cells under unknown headings do not
    decide that, and neither does 序号 when the sheet numbers every row rather than every resource
    (its item rows carry numbers of their own). Rows that hold nothing but a 序号 (a template numbered
    in advance) and a row of instructions right under the heading (必填，最多128字符) are skipped.
    Several information items listed in one 信息项名称 cell (姓名、身份证号码, or one per line) are
    several items.

    :param rows: objects with ``number`` (the spreadsheet row number) and ``values`` (header → cell).
    :returns: ``(row number of the resource's first row, input dict)`` pairs; unknown headings are
        kept as fields so the schema reports them as unknown fields.
    :raises TemplateError: when a row lists items in one cell and another item cell cannot be paired with them.
    """
    rows = list(rows)
    if not rows:
        return
    mapping = heading_index(columns).resolve(rows[0].values.keys())
    per_item = {c.path for c in columns if c.per_item}
    sequence = {h for h, path in mapping.items() if path == SEQUENCE_HEADER}
    data: list[tuple[int, dict[str, Any]]] = []
    for row in rows:
        values = {k: v for k, v in row.values.items() if k and v not in (None, "")}
        if not values or values.keys() <= sequence:
            continue
        if not data and cells.is_instruction_row({h: v for h, v in values.items() if h in mapping}):
            continue
        data.append((row.number, values))
    resource = {h for h, path in mapping.items() if path not in per_item}
    numbered_rows = bool(sequence) and _numbers_rows(data, resource, sequence)
    deciding = resource - sequence if numbered_rows else resource
    name = next((h for h, path in mapping.items() if path == "items.name"), None)
    current: dict[str, Any] | None = None
    first_row = 0
    first_cells: dict[str, Any] = {}
    for number, values in data:
        known = {h: v for h, v in values.items() if h in deciding}
        if current is None or any(first_cells.get(h) != v for h, v in known.items()):
            if current is not None:
                yield first_row, current
            current, first_row, first_cells = {"items": []}, number, known
            _fill(current, {h: v for h, v in values.items() if h in resource}, mapping)
        for header, value in values.items():
            if header not in mapping:
                current.setdefault(header, value)
        item_cells = {h: (mapping[h].split(".", 1)[1], v) for h, v in values.items() if mapping.get(h) in per_item}
        if name in item_cells and len(cells.split_items(item_cells[name][1], numbered=True)) > 1:
            current["items"] += [{key: _folded(f"items.{key}", v) for key, v in item.items()}
                                 for item in cells.item_rows(number, item_cells, name)]
        elif item_cells:
            current["items"].append({key: _folded(f"items.{key}", v) for key, v in item_cells.values()})
    if current is not None:
        yield first_row, current


def _numbers_rows(data: list[tuple[int, dict[str, Any]]], resource: set[str], sequence: set[str]) -> bool:
    """Whether 序号 numbers the rows (item rows numbered too) rather than the resources.

    Grouped without 序号, the rows that continue a resource carry a 序号 of their own in a sheet that
    numbers its rows, and none (or the resource's) in a sheet that numbers its resources; one such row
    is a resource whose other cells were forgotten, so it takes two.
    """
    continuing = numbered = 0
    first: dict[str, Any] | None = None
    for _number, values in data:
        known = {h: v for h, v in values.items() if h in resource and h not in sequence}
        if first is None or any(first.get(h) != v for h, v in known.items()):
            first, first_numbers = known, {h: values.get(h) for h in sequence}
            continue
        continuing += 1
        numbered += any(values.get(h) not in (None, first_numbers[h]) for h in sequence)
    return numbered >= 2 and numbered * 2 > continuing


def _folded(path: str, value: Any) -> Any:
    return unicodedata.normalize("NFKC", value).strip() if path in _FOLDED_PATHS and isinstance(value, str) else value


def _fill(record: dict[str, Any], cells_: Mapping[str, Any], mapping: Mapping[str, str]) -> None:
    for header, value in cells_.items():
        path = mapping[header]
        value = _folded(path, value)
        if path == SEQUENCE_HEADER:
            continue
        if path == "distributions":
            record["distributions"] = _distributions(value)
        elif path == "share.condition_or_basis":
            record.setdefault("share", {})[_CONDITION_OR_BASIS] = value
        elif path == "share.method_class":
            # 共享方式类型 is more precise than 共享方式分类: the class only fills an empty method.
            record.setdefault("share", {}).setdefault("method", value)
        elif path == COMBINED_FORMAT:
            record[COMBINED_FORMAT] = value
        elif path.startswith(CLASSIFICATION_LEVEL):
            record.setdefault(_CLASSIFICATION, {})[int(path.removeprefix(CLASSIFICATION_LEVEL))] = value
        elif path == PUBLISHED_ON:
            record[PUBLISHED_ON] = cells.date_text(value)  # read, never stored: Mulu records it at publication
        elif "." in path:
            group, key = path.split(".", 1)
            record.setdefault(group, {})[key] = value
        else:
            record[path] = value


def _is_not_shared(share_type: Any, vocab) -> bool:
    text = str(share_type or "").strip()
    if text in _NOT_SHARED:
        return True
    if vocab is None or not text:
        return False
    scheme = vocab.get("share_type")
    concept = scheme.find(text) or next(iter(scheme.by_property("key", text)), None)
    return concept is not None and concept.properties.get("key") == "not_shared"


def finish_record(record: dict[str, Any], vocab=None) -> dict[str, Any]:
    """Resolve the template's combined cells once the whole record is known.

    The combined 共享条件/不予共享依据 cell, and a 共享条件 given for a 不予共享 resource, are the
    basis; the classification given per level (类/项/目/细目) becomes one code; the format class and
    type are sorted out of one column (电子表格/xlsx); 是否向社会开放 follows from an open type
    given alone; a data type written with its code (字符型C) is the code.

    :param record: a record of :func:`rows_to_records`.
    :param vocab: the vocabulary registry, so that any spelling of 不予共享 sends the combined
        共享条件/不予共享依据 cell to the basis; without it only the label, key and code are known.
    :returns: the record, changed in place.
    """
    for group, key in (("share", _CONDITION_OR_BASIS), ("share", "condition"), ("share", "basis"), ("open", "condition")):
        part = record.get(group)
        if isinstance(part, dict) and str(part.get(key, "")).strip().casefold() in cells.PLACEHOLDERS:
            part.pop(key)  # 无 or / written for "no condition" says nothing (and cites no basis)
    share = record.get("share")
    if isinstance(share, dict) and _CONDITION_OR_BASIS in share:
        text = share.pop(_CONDITION_OR_BASIS)
        share.setdefault("basis" if _is_not_shared(share.get("type"), vocab) else "condition", text)
    if isinstance(share, dict) and share.get("condition") and not share.get("basis") \
            and _is_not_shared(share.get("type"), vocab):
        # The guide's 共享条件 of a 不予共享 resource is its basis (法律、行政法规或党中央、国务院政策依据).
        share["basis"] = share.pop("condition")
    levels = record.pop(_CLASSIFICATION, None)
    if levels and not record.get("classification_code"):
        code = cells.classification(levels, vocab)
        if code:
            record["classification_code"] = code
    cells.finish_format(record, vocab)
    cells.finish_open(record, vocab)
    data_types = vocab.get("item_data_type") if vocab is not None else None
    for item in record.get("items") or []:
        if isinstance(item, dict) and "data_type" in item:
            item["data_type"] = cells.labelled_code(data_types, item["data_type"])
    if not record.get("items"):
        record.pop("items", None)
    department = record.pop("department", None)
    if isinstance(department, dict):
        record["department"] = {"uscc": department["uscc"]} if department.get("uscc") else department
    return record
