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

from catalog.display import value_label
from catalog.i18n import Text
from catalog.profile import Element, Profile

SEQUENCE_HEADER = "序号"
LIST_SEPARATOR = "、"
DISTRIBUTION_PARTS = ("kind", "title", "url", "service_type", "media_type", "description")
# Headings of the 1272 template that carry two of our fields, and other spellings seen in real sheets.
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
    return "".join(unicodedata.normalize("NFKC", header).split()).casefold()


def _resolve_headers(headers: Iterable[str], columns: list[Column]) -> dict[str, str]:
    by_header: dict[str, str] = {}
    for column in columns:
        for header in column.headers:
            by_header[_fold(header)] = column.path
    by_header.update({_fold(header): path for header, path in ALIASES.items()})
    by_header[_fold(SEQUENCE_HEADER)] = SEQUENCE_HEADER
    return {h: by_header[_fold(h)] for h in headers if _fold(h) in by_header}


def header_matcher(columns: list[Column]) -> Callable[[str], bool]:
    """A test for template headings, for :func:`catalog.tabular.read_rows` to find the header row."""
    known = set(_resolve_headers([h for c in columns for h in c.headers] + list(ALIASES) + [SEQUENCE_HEADER], columns))
    folded = {_fold(h) for h in known}
    return lambda cell: _fold(str(cell)) in folded


def rows_to_records(rows: Iterable, columns: list[Column]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Group template rows into resource input dicts.

    A row continues the resource above it when all its resource cells (序号 included) are empty or
    repeat that resource's first row; any other row starts a resource, so a row that lacks its
    信息资源名称 is reported on its own instead of merging into its neighbour. Cells under unknown
    headings do not decide that.

    :param rows: objects with ``number`` (the spreadsheet row number) and ``values`` (header → cell).
    :returns: ``(row number of the resource's first row, input dict)`` pairs; unknown headings are
        kept as fields so the schema reports them as unknown fields.
    """
    per_item = {c.path for c in columns if c.per_item}
    current: dict[str, Any] | None = None
    first_row = 0
    first_cells: dict[str, Any] = {}
    mapping: dict[str, str] | None = None
    for row in rows:
        values = {k: v for k, v in row.values.items() if k and v not in (None, "")}
        if mapping is None:
            mapping = _resolve_headers(row.values.keys(), columns)
        known = {h: v for h, v in values.items() if h in mapping and mapping[h] not in per_item}
        if current is None or any(first_cells.get(h) != v for h, v in known.items()):
            if current is not None:
                yield first_row, current
            current, first_row, first_cells = {"items": []}, row.number, known
            _fill(current, known, mapping)
        for header, value in values.items():
            if header not in mapping:
                current.setdefault(header, value)
        item = {mapping[h].split(".", 1)[1]: v for h, v in values.items() if mapping.get(h) in per_item}
        if item:
            current["items"].append(item)
    if current is not None:
        yield first_row, current


def _fill(record: dict[str, Any], cells: Mapping[str, Any], mapping: Mapping[str, str]) -> None:
    for header, value in cells.items():
        path = mapping[header]
        if path == SEQUENCE_HEADER:
            continue
        if path == "distributions":
            record["distributions"] = _distributions(value)
        elif path == "share.condition_or_basis":
            record.setdefault("share", {})[_CONDITION_OR_BASIS] = value
        elif path == "share.method_class":
            # 共享方式类型 is more precise than 共享方式分类: the class only fills an empty method.
            record.setdefault("share", {}).setdefault("method", value)
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

    :param record: a record of :func:`rows_to_records`.
    :param vocab: the vocabulary registry, so that any spelling of 不予共享 sends the combined
        共享条件/不予共享依据 cell to the basis; without it only the label, key and code are known.
    :returns: the record, changed in place.
    """
    share = record.get("share")
    if isinstance(share, dict) and _CONDITION_OR_BASIS in share:
        text = share.pop(_CONDITION_OR_BASIS)
        share.setdefault("basis" if _is_not_shared(share.get("type"), vocab) else "condition", text)
    if not record.get("items"):
        record.pop("items", None)
    department = record.pop("department", None)
    if isinstance(department, dict):
        record["department"] = {"uscc": department["uscc"]} if department.get("uscc") else department
    return record
