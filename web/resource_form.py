"""The resource form, generated from the metadata profile: field specs, form data ↔ resource input, pasted rows.

Nothing here is written per element: every non-system element of the profile (extensions included) becomes
an input chosen by its type. Names are the element paths (``title``, ``share.condition``); rows of a list
element are ``items-0-name`` … Errors of the service are keyed by the same paths (``items.1.length``), so
:func:`error_key` finds the input an error belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from catalog.profile import Element, Profile

TABLE_TYPES = ("items", "distributions")
BLANK_ROWS = 3  # empty rows offered under a table, so that rows can be added without JavaScript
_ROW = re.compile(r"^(items|distributions)-(\d+)-(\w+)$")
# Conditional fields of the guide: path → (the field it depends on, the values that show it, or that hide it).
# Server-side they are ordinary optional fields; the script only hides (and disables) them.
SHOW_WHEN = {
    "share.condition": ("share.type", ("conditional",), False),
    "share.basis": ("share.type", ("not_shared",), False),
    "share.method": ("share.type", ("not_shared",), True),
    "open.type": ("open.is_open", ("true",), False),
    "open.condition": ("open.is_open", ("true",), False),
}
PASTE_COLUMNS = ("name", "data_type", "length", "description")
_PASTE_HEADERS = {"名称", "信息项名称", "name", "item name", "字段名", "字段名称"}


@dataclass
class Option:
    value: str
    label: str
    group: str = ""  # the top concept a narrower one belongs to (format types by class)
    depth: int = 0
    aliases: tuple[str, ...] = ()  # every label in every language, for text pasted from a spreadsheet


@dataclass
class FieldSpec:
    """One input: ``widget`` is text, textarea, number, date, select, list, department or table."""

    path: str
    label: str
    widget: str
    required: bool = False
    recommended: bool = False
    help: str = ""
    options: list[Option] = field(default_factory=list)
    columns: list[FieldSpec] = field(default_factory=list)
    max_length: int | None = None
    extension: bool = False
    depends: tuple[str, tuple[str, ...], bool] | None = None
    filter_by: str = ""  # the select whose value filters this one's options (format.type by format.class)

    @property
    def id(self) -> str:
        return field_id(self.path)


def field_id(path: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", path)


def error_key(path: str) -> str:
    """The form name of an error path: ``items.1.length`` → ``items-1-length``; ``share.type`` stays."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] in TABLE_TYPES and parts[1].isdigit():
        return "-".join(parts)
    return path


def _options(element: Element, vocab, lang: str) -> list[Option]:
    if element.type == "boolean":
        return [Option("true", "是" if lang == "zh" else "Yes"), Option("false", "否" if lang == "zh" else "No")]
    if element.type == "choice":
        return [Option(key, text.render("zh_CN" if lang == "zh" else "en")) for key, text in element.choices.items()]
    scheme = vocab.get(element.vocabulary)
    concepts = list(scheme.top_concepts()) if element.top_level else list(scheme)
    result = []
    for concept in concepts:
        if element.values is not None and concept.code not in element.values:
            continue
        value = concept.properties.get(element.key_property, concept.code) if element.key_property else concept.code
        depth = len(scheme.ancestors(concept.code))
        aliases = (concept.code, concept.label("zh"), concept.label("en"), *concept.alt_labels)
        result.append(Option(str(value), concept.label(lang), group=concept.broader or "", depth=depth, aliases=aliases))
    return result


def _spec(element: Element, path: str, vocab, locale: str) -> FieldSpec:
    lang = "zh" if locale == "zh_CN" else "en"
    widget = {
        "text": "textarea", "integer": "number", "date": "date", "code": "select", "choice": "select",
        "boolean": "select", "string_list": "list", "resource_code_list": "list", "department": "department",
        "items": "table", "distributions": "table",
    }.get(element.type, "text")
    spec = FieldSpec(
        path=path, label=element.label.render(locale), widget=widget, required=element.obligation == "M",
        recommended=element.obligation == "R", help=element.help.render(locale) if element.help else "",
        max_length=element.max_length, extension=bool(element.extension), depends=SHOW_WHEN.get(path),
    )
    if widget == "select":
        spec.options = _options(element, vocab, lang)
    if path == "format.type":
        # Types only (the classes are the other picker), each tagged with its class for the script.
        spec.filter_by = "format.class"
        spec.options = [Option(o.value, o.label, o.group) for o in spec.options if o.group]
    if widget == "table":
        spec.columns = [_spec(child, child.name, vocab, locale) for child in element.children if not child.system]
    return spec


def form_specs(profile: Profile, vocab, locale: str) -> list[tuple[FieldSpec, list[FieldSpec]]]:
    """Every input element in profile order: ``(element, its sub-fields)`` (sub-fields only for groups)."""
    result = []
    for element in profile:
        if element.system:
            continue
        spec = _spec(element, element.name, vocab, locale)
        children = []
        if element.type == "object":
            spec.widget = "group"
            children = [_spec(child, f"{element.name}.{child.name}", vocab, locale)
                        for child in element.children if not child.system]
        result.append((spec, children))
    return result


# -- values -------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value)
    return str(value)


def values_from_json(profile: Profile, data: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, list[dict[str, str]]]]:
    """A stored resource (Resource JSON) as form values: ``({path: text}, {table: [row]})``."""
    values: dict[str, str] = {}
    rows: dict[str, list[dict[str, str]]] = {}
    for element in profile:
        if element.system:
            continue
        value = data.get(element.name)
        if element.type == "department":
            values[element.name] = _text((value or {}).get("id"))
        elif element.type == "object":
            for child in element.children:
                values[f"{element.name}.{child.name}"] = _text((value or {}).get(child.name))
        elif element.is_list:
            rows[element.name] = [{child.name: _text(row.get(child.name)) for child in element.children}
                                  for row in value or []]
        else:
            values[element.name] = _text(value)
    return values, rows


def values_from_form(profile: Profile, form: Mapping[str, str]) -> tuple[dict[str, str], dict[str, list[dict[str, str]]]]:
    """What the user typed, as it came: top-level paths, and the non-blank rows of each table in order."""
    values = {}
    for element in profile:
        if element.system or element.is_list:
            continue
        if element.type == "object":
            for child in element.children:
                path = f"{element.name}.{child.name}"
                if path in form:
                    values[path] = form.get(path, "")
        elif element.name in form:
            values[element.name] = form.get(element.name, "")
    found: dict[str, dict[int, dict[str, str]]] = {}
    for key in form:
        match = _ROW.match(key)
        if match:
            table, index, name = match.group(1), int(match.group(2)), match.group(3)
            found.setdefault(table, {}).setdefault(index, {})[name] = form.get(key, "")
    rows = {}
    for element in profile:
        if element.is_list:
            ordered = [found.get(element.name, {})[i] for i in sorted(found.get(element.name, {}))]
            rows[element.name] = [row for row in ordered if any(v.strip() for v in row.values())]
    return values, rows


def to_input(profile: Profile, values: Mapping[str, str], rows: Mapping[str, list[Mapping[str, str]]]) -> dict[str, Any]:
    """Form values → resource input for the service (blank text is "nothing"; the schema does the rest)."""
    data: dict[str, Any] = {}
    for element in profile:
        if element.system:
            continue
        if element.type == "object":
            group = {child.name: _blank(values.get(f"{element.name}.{child.name}"))
                     for child in element.children if f"{element.name}.{child.name}" in values}
            data[element.name] = group
        elif element.is_list:
            data[element.name] = [{name: _blank(text) for name, text in row.items()
                                   if name in {c.name for c in element.children}}
                                  for row in rows.get(element.name, [])]
        elif element.type == "department":
            text = (values.get(element.name) or "").strip()
            data[element.name] = {"id": text} if text else None
        elif element.name in values:
            data[element.name] = _blank(values[element.name])
    for group in ("format", "share", "open"):
        # A group left entirely blank is absent in a draft rather than a list of empty answers.
        if group in data and not any(v is not None for v in data[group].values()):
            data[group] = None
    return data


def _blank(text: str | None) -> str | None:
    if text is None:
        return None
    return text if text.strip() else None


# -- pasted rows --------------------------------------------------------------------------------


def parse_pasted(text: str, vocab=None, columns: Iterable[str] = PASTE_COLUMNS) -> list[dict[str, str]]:
    """Rows copied from Excel (tab-separated, one per line) as item rows: 名称, 数据类型, 长度, 说明.

    A heading line (名称 / 信息项名称 …) is skipped; a data type given as a label (字符型) becomes its
    code when the vocabulary knows it, and is kept as typed otherwise (the schema reports it).
    """
    columns = tuple(columns)
    scheme = vocab.get("item_data_type") if vocab is not None else None
    result = []
    first = True
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if first and cells[0].lower() in _PASTE_HEADERS:
            first = False
            continue
        first = False
        row = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(columns)}
        if scheme is not None and row.get("data_type"):
            concept = scheme.find(row["data_type"])
            if concept is not None:
                row["data_type"] = concept.code
        if row.get("length"):
            row["length"] = row["length"].replace(",", "")
        result.append(row)
    return result
