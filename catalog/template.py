"""The guide's spreadsheet fill-in template (填报模板), derived from the profile: columns, rows ↔ resource input.

One resource spans one row per information item: the first row carries the resource's fields and its
first item, the following rows only further items — the layout of the 1272 template that departments
already fill in. A row with a 信息资源名称 starts a new resource.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from catalog.display import value_label
from catalog.i18n import Text
from catalog.profile import Element, Profile

SEQUENCE_HEADER = "序号"
LIST_SEPARATOR = "、"
# Headings of the 1272 template that carry two of our fields, and other spellings seen in real sheets.
ALIASES = {
    "共享条件/不予共享依据": "share.condition_or_basis",
    "部门类信息资源分类": "classification_code",
    "信息资源分类代码": "classification_code",
    "共享方式分类": "share.method",
    "共享方式类型": "share.method",
    "信息资源提供方": "department.name",
    "提供方": "department.name",
}


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
        return {self.header, self.path, self.label.render("en"), f"{self.header} ({self.path})"}


def template_columns(profile: Profile) -> list[Column]:
    """Every column of the template, in profile order: resource fields, then information-item fields."""
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
    return columns + item_columns


def _cell(value: Any, element: Element | None, vocab) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or (element is not None and element.type == "code"):
        return value_label(element, value, vocab, "zh_CN")
    if element is not None and element.type == "distributions":
        return "\n".join(
            " | ".join(str(d.get(k) or "") for k in ("kind", "title", "url", "service_type")) for d in value
        ) or None
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value) or None
    return value


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
        parts += [None] * (4 - len(parts))
        rows.append({"kind": parts[0] or "link", "title": parts[1], "url": parts[2], "service_type": parts[3]})
    return rows


def _resolve_headers(headers: Iterable[str], columns: list[Column]) -> dict[str, str]:
    by_header: dict[str, str] = {}
    for column in columns:
        for header in column.headers:
            by_header[header] = column.path
    by_header.update(ALIASES)
    return {h: by_header[h] for h in headers if h in by_header}


def rows_to_records(rows: Iterable, columns: list[Column]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Group template rows into resource input dicts.

    :param rows: objects with ``number`` (the spreadsheet row number) and ``values`` (header → cell).
    :returns: ``(row number of the resource's first row, input dict)`` pairs; unknown headings are
        kept as fields so the schema reports them as unknown fields.
    """
    per_item = {c.path for c in columns if c.per_item}
    current: dict[str, Any] | None = None
    first_row = 0
    mapping: dict[str, str] | None = None
    for row in rows:
        values = {k: v for k, v in row.values.items() if k and k != SEQUENCE_HEADER}
        if mapping is None:
            mapping = _resolve_headers(values.keys(), columns)
        title_given = any(mapping.get(h) == "title" and v not in (None, "") for h, v in values.items())
        if title_given or current is None:
            if current is not None:
                yield first_row, current
            current, first_row = {"items": []}, row.number
        item: dict[str, Any] = {}
        for header, value in values.items():
            if value in (None, ""):
                continue
            path = mapping.get(header, header)
            if path in per_item:
                item[path.split(".", 1)[1]] = value
            elif path == "distributions":
                current["distributions"] = _distributions(value)
            elif path == "share.condition_or_basis":
                current.setdefault("share", {})["_condition_or_basis"] = value
            elif "." in path:
                group, key = path.split(".", 1)
                target = current.setdefault(group, {})
                if key == "method" and target.get("method"):
                    continue  # 共享方式类型 is more precise than 共享方式分类 when both are given
                target[key] = value
            else:
                current[path] = value
        if item:
            current["items"].append(item)
    if current is not None:
        yield first_row, current


def finish_record(record: dict[str, Any]) -> dict[str, Any]:
    """Resolve the template's combined cells once the whole record is known."""
    share = record.get("share")
    if isinstance(share, dict) and "_condition_or_basis" in share:
        text = share.pop("_condition_or_basis")
        key = "basis" if str(share.get("type", "")).strip() in ("不予共享", "not_shared", "3") else "condition"
        share.setdefault(key, text)
    if not record.get("items"):
        record.pop("items", None)
    department = record.pop("department", None)
    if isinstance(department, dict):
        record["department"] = {"uscc": department["uscc"]} if department.get("uscc") else department
    return record
