"""Resource JSON laid out for people: profile labels beside values, code-list labels instead of codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalog.display import value_label
from catalog.profile import Element

# Separators between the parts of a grouped element (共享属性: 共享类型, 共享条件 …), per language.
_PAIR = {"zh_CN": "：", "en": ": "}
_JOIN = {"zh_CN": "；", "en": "; "}
TABLE_TYPES = ("items", "distributions")


@dataclass(frozen=True)
class Field:
    """One row of the resource page: ``kind`` is ``text``, ``code`` (the 信息资源代码) or ``related`` (a list of codes)."""

    name: str
    label: str
    value: Any
    help: str = ""
    kind: str = "text"


@dataclass(frozen=True)
class Table:
    """A list element (信息项, 在线资源) as column labels and rendered rows."""

    name: str
    label: str
    columns: list[str]
    rows: list[list[Any]]


def _value(element: Element, value: Any, vocab, locale: str) -> Any:
    if element.type == "department":
        return (value or {}).get("name", "")
    if element.type == "object":
        # Each part with its own label: "有条件共享 · 仅限…" would not say which text is the condition.
        parts = [(child.label.render(locale), value_label(child, (value or {}).get(child.name), vocab, locale))
                 for child in element.children]
        return _JOIN[locale].join(f"{label}{_PAIR[locale]}{text}" for label, text in parts if text not in ("", None))
    return value_label(element, value, vocab, locale)


def fields(container, data: dict[str, Any], locale: str) -> list[Field]:
    """Every element of the profile except the tables, in profile order, labelled in ``locale``."""
    rows = []
    for element in container.profile:
        if element.type in TABLE_TYPES:
            continue
        raw = data.get(element.name)
        kind = "related" if element.name == "related_codes" else "code" if element.name == "code" else "text"
        value = list(raw or []) if kind == "related" else _value(element, raw, container.vocab, locale)
        help_text = element.help.render(locale) if element.help else ""
        rows.append(Field(element.name, element.label.render(locale), value, help_text, kind))
    return rows


def tables(container, data: dict[str, Any], locale: str) -> list[Table]:
    """The information items and distributions, every column of the profile."""
    result = []
    for element in container.profile:
        if element.type not in TABLE_TYPES:
            continue
        rows = [[value_label(child, row.get(child.name), container.vocab, locale) for child in element.children]
                for row in data.get(element.name) or []]
        result.append(Table(element.name, element.label.render(locale),
                            [child.label.render(locale) for child in element.children], rows))
    return result


def plain(value: Any) -> str:
    """A snapshot value (diffs, changes) as one readable line."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, dict):
        return "；".join(f"{k}={plain(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, list | tuple):
        return "、".join(plain(v) for v in value)
    return str(value)
