"""The shape and syntax of department input (DepartmentSchema), its field labels and its cross-field rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import marshmallow
from marshmallow import fields, pre_load, validates_schema
from marshmallow.exceptions import SCHEMA

from catalog import uscc
from catalog.errors import ValidationError
from catalog.i18n import N_, Message, Text, message
from catalog.models.department import DEPARTMENT_KINDS

LABELS: dict[str, Text] = {
    "key": Text({"zh": "标识", "en": "Key"}),
    "name": Text({"zh": "名称", "en": "Name"}),
    "short_name": Text({"zh": "简称", "en": "Short name"}),
    "uscc": Text({"zh": "统一社会信用代码", "en": "Unified social credit code"}),
    "local_code": Text({"zh": "机构代码", "en": "Local institution code"}),
    "division": Text({"zh": "行政区划", "en": "Administrative division"}),
    "catalog_segment": Text({"zh": "目录编码段 (目)", "en": "Catalog code segment"}),
    "kind": Text({"zh": "类型", "en": "Kind"}),
    "in_scope": Text({"zh": "纳入统计", "en": "In scope"}),
    "parent": Text({"zh": "上级部门", "en": "Parent"}),
}
"""The label of every department field, as errors, forms and spreadsheet headers name it."""

KIND_LABELS: dict[str, Text] = {
    "government": Text({"zh": "政府", "en": "government"}),
    "department": Text({"zh": "部门", "en": "department"}),
    "organ": Text({"zh": "机构", "en": "organ"}),
    "internal_unit": Text({"zh": "内设机构", "en": "internal unit"}),
}

#: Kinds whose resources carry their own 目 segment in the 信息资源代码, and so need a USCC too.
CODED_KINDS = ("government", "department", "organ")

KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
_DIVISION = re.compile(r"\d{6}")
_SEGMENT = re.compile(r"\d{3}")
_TRUE = {"true", "t", "yes", "y", "1", "on", "是", "√", "✓"}
_FALSE = {"false", "f", "no", "n", "0", "off", "否", "×", "✗"}


def _invalid(error: Message) -> marshmallow.ValidationError:
    # marshmallow carries the Message untouched; load_department hands it on as it is.
    return marshmallow.ValidationError([error])


def _field_errors(field: str) -> dict[str, Message]:
    required = message("{label}: this field is required.", label=LABELS[field])
    return {
        "required": required,
        "null": required,
        "invalid": message("{label}: must be text.", label=LABELS[field]),
    }


class _Text(fields.String):
    """Text that is stripped; blank text counts as absent (``None``), or as missing when required."""

    def __init__(self, field: str, *, max_length: int | None = None, **kwargs):
        kwargs.setdefault("allow_none", not kwargs.get("required", False))
        super().__init__(error_messages=_field_errors(field), **kwargs)
        self.field = field
        self.max_length = max_length

    def _deserialize(self, value, attr, data, **kwargs):
        # Spreadsheets and JSON clients send codes such as 340400 as numbers.
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            if self.required:
                raise self.make_error("required")
            return None
        if self.max_length is not None and len(text) > self.max_length:
            raise _invalid(
                message(
                    "{label}: at most {max} characters, got {count}.",
                    label=LABELS[self.field],
                    max=self.max_length,
                    count=len(text),
                )
            )
        return self._check(text)

    def _check(self, text: str) -> str:
        return text


class _Key(_Text):
    def _check(self, text: str) -> str:
        if not KEY_PATTERN.fullmatch(text) or not text.isascii():
            raise _invalid(
                message(
                    "{label}: use lower-case letters a-z, digits, '-' and '_', starting with a letter or digit.",
                    label=LABELS[self.field],
                )
            )
        return text


class _Uscc(_Text):
    def _check(self, text: str) -> str:
        code = uscc.normalise(text)
        if len(code) != 18:
            raise _invalid(
                message(
                    "{label}: must be 18 characters (GB 32100), got {count}.",
                    label=LABELS[self.field],
                    count=len(code),
                )
            )
        for position, char in enumerate(code, start=1):
            if char not in uscc.ALPHABET:
                raise _invalid(
                    message(
                        "{label}: the character {char} at position {position} is not allowed (GB 32100 uses digits "
                        "and upper-case letters except I, O, S, V and Z).",
                        label=LABELS[self.field],
                        char=char,
                        position=position,
                    )
                )
        try:
            return uscc.validate(code)
        except uscc.UsccError:
            raise _invalid(
                message(
                    "{label}: the check character is wrong (GB 32100); check the code for typos.",
                    label=LABELS[self.field],
                )
            ) from None


class _Digits(_Text):
    def __init__(self, field: str, pattern: re.Pattern, msgid: str, **kwargs):
        super().__init__(field, **kwargs)
        self.pattern = pattern
        self.msgid = msgid

    def _check(self, text: str) -> str:
        if not self.pattern.fullmatch(text) or not text.isascii():
            raise _invalid(message(self.msgid, label=LABELS[self.field]))
        return text


class _Kind(fields.Field):
    """A kind, given as its value (``internal_unit``) or its label in either language (内设机构)."""

    def __init__(self, **kwargs):
        super().__init__(error_messages=_field_errors("kind"), **kwargs)
        self.lookup = {_fold(value): value for value in DEPARTMENT_KINDS}
        for value, label in KIND_LABELS.items():
            for text in label.values.values():
                self.lookup[_fold(text)] = value

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and _fold(value) in self.lookup:
            return self.lookup[_fold(value)]
        choices = Text(
            {
                "zh": "、".join(f"{label.values['zh']} ({value})" for value, label in KIND_LABELS.items()),
                "en": ", ".join(DEPARTMENT_KINDS),
            }
        )
        raise _invalid(message("{label}: must be one of {choices}.", label=LABELS["kind"], choices=choices))


class _Flag(fields.Field):
    """A yes/no value as JSON, spreadsheets (TRUE) and Chinese forms (是/否) write it."""

    def __init__(self, **kwargs):
        super().__init__(error_messages=_field_errors("in_scope"), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            folded = _fold(value)
            if folded in _TRUE:
                return True
            if folded in _FALSE:
                return False
        raise _invalid(message("{label}: must be yes or no (true/false, 是/否).", label=LABELS["in_scope"]))


def _fold(text: str) -> str:
    return "".join(text.split()).casefold().replace("_", "")


class DepartmentSchema(marshmallow.Schema):
    """Department input: each field's syntax and, on full loads, the rules between fields.

    Uniqueness, the parent's existence, cycles and the division vocabulary are checked by
    :class:`catalog.services.department.DepartmentService`, which has the database.
    """

    key = _Key("key", max_length=64)
    name = _Text("name", required=True, max_length=200)
    short_name = _Text("short_name", max_length=100)
    uscc = _Uscc("uscc")
    local_code = _Text("local_code", max_length=64)
    division = _Digits("division", _DIVISION, N_("{label}: must be 6 digits (GB/T 2260), e.g. 340400."))
    catalog_segment = _Digits("catalog_segment", _SEGMENT, N_("{label}: must be exactly 3 digits, e.g. 015."))
    kind = _Kind(load_default="department")
    in_scope = _Flag(load_default=True)
    parent = _Text("parent", max_length=200)

    # Sentinels that load_department turns into translatable messages naming the field.
    error_messages = {"unknown": "unknown", "type": "type"}

    @pre_load
    def _drop_blank_defaults(self, data, **kwargs):
        # An empty kind or in-scope cell means "not given": the default (or the current value) applies.
        if not isinstance(data, Mapping):
            return data
        return {
            name: value
            for name, value in data.items()
            if not (
                name in ("kind", "in_scope", "key")
                and (value is None or (isinstance(value, str) and not value.strip()))
            )
        }

    @validates_schema
    def _cross_field(self, data, partial=None, **kwargs):
        # A partial update cannot be judged alone; the service checks the merged department.
        if partial:
            return
        errors = department_rules(data)
        if errors:
            raise marshmallow.ValidationError(errors)


def department_rules(values: Mapping[str, Any]) -> dict[str, list[Message]]:
    """Check the rules between fields of a whole department (after its fields are valid).

    :param values: the department's fields; ``kind`` defaults to ``department``.
    :returns: ``{field: [messages]}``, empty when the department keeps every rule.
    """
    kind = values.get("kind") or "department"
    errors: dict[str, list[Message]] = {}
    if kind in CODED_KINDS:
        if not values.get("uscc"):
            errors["uscc"] = [
                message("{label}: required unless the kind is internal unit.", label=LABELS["uscc"])
            ]
        if not values.get("catalog_segment"):
            errors["catalog_segment"] = [
                message(
                    "{label}: required for a government, department or organ; it is the 目 segment of their "
                    "resource codes.",
                    label=LABELS["catalog_segment"],
                )
            ]
    else:
        if values.get("uscc"):
            errors["uscc"] = [
                message(
                    "{label}: an internal unit has none; it uses the code of its department.",
                    label=LABELS["uscc"],
                )
            ]
        if values.get("catalog_segment"):
            errors["catalog_segment"] = [
                message(
                    "{label}: an internal unit has none; its resources use the segment of its department.",
                    label=LABELS["catalog_segment"],
                )
            ]
    return errors


def load_department(data: Mapping[str, Any], partial: bool = False) -> dict[str, Any]:
    """Load department input into clean values: stripped, USCC upper-case, kind and flag normalised.

    Blank optional fields become ``None``; a blank or absent ``key`` is left out (the service
    generates one).

    :param data: the input, from JSON, a form or a spreadsheet row.
    :param partial: load only the fields given (an update); cross-field rules are then left to
        the service, which knows the rest of the department.
    :returns: the loaded values.
    :raises catalog.errors.ValidationError: naming each bad field by its label and the rule.
    """
    try:
        return DepartmentSchema().load(data, partial=partial)
    except marshmallow.ValidationError as error:
        raise ValidationError(_translate(error.messages)) from None


def _translate(errors: Any) -> dict[str, list[Message]]:
    if not isinstance(errors, Mapping):
        errors = {SCHEMA: errors}
    translated: dict[str, list[Message]] = {}
    for name, found in errors.items():
        translated[name] = [_as_message(name, item) for item in _flatten(found)]
    return translated


def _flatten(found: Any) -> list[Any]:
    if isinstance(found, list | tuple):
        return [item for part in found for item in _flatten(part)]
    if isinstance(found, Mapping):
        return [item for part in found.values() for item in _flatten(part)]
    return [found]


def _as_message(name: str, item: Any) -> Message:
    if isinstance(item, Message):
        return item
    if item == "unknown":
        return message("Unknown field {field}.", field=name)
    if item == "type":
        return message("The input must be an object of department fields.")
    if name in LABELS:
        return message("{label}: {detail}", label=LABELS[name], detail=str(item))
    return message("{field}: {detail}", field=name, detail=str(item))
