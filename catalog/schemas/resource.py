"""ResourceSchema: the shape and syntax of resource input, derived from the metadata profile.

The schema never touches the database. It normalises code-list values typed as labels or codes
(“无条件开发” → open type ``unconditional``) and reports every problem at once, each message naming
the field by its profile label and the rule broken.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, fields, pre_load
from marshmallow import ValidationError as MarshmallowError

from catalog import codes
from catalog.errors import ValidationError
from catalog.i18n import Message, message
from catalog.profile import Element, Profile

# Keys of the resource JSON that the registry sets; accepted in input (an export read back) and ignored.
READ_ONLY_KEYS = frozenset(
    {"id", "metadata_id", "code", "status", "version", "created_at", "updated_at", "provider_code",
     "published_on", "metadata_updated", "registered_at", "published_at", "pending_change"}
)
# True and False also stand for 1 and 0 (equal values are one set member).
TRUTHY = {"true", "1", "yes", "y", "是", "开放", "t", "on", True}
FALSY = {"false", "0", "no", "n", "否", "不开放", "f", "off", "", False}
_URL = re.compile(r"^(https?|ftp)://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_LIST_SPLIT = re.compile(r"[,，;；、\n]+")

REQUIRED = "{label}: this field is required."
DRAFT_KEEPS = frozenset({"title", "department", "classification_code"})


def _fail(msgid: str, **params: Any) -> MarshmallowError:
    return MarshmallowError(Message(msgid, params))  # type: ignore[arg-type]


def _clean_text(value: Any) -> Any:
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value).strip()
        return value or None
    return value


class _Text(fields.String):
    def __init__(self, element: Element, **kwargs):
        super().__init__(**kwargs)
        self.element = element

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        value = super()._deserialize(value, attr, data, **kwargs)
        value = _clean_text(value)
        if value is not None and self.element.max_length and len(value) > self.element.max_length:
            raise _fail("{label}: at most {max} characters (got {count}).", max=self.element.max_length, count=len(value))
        if value is not None and self.element.type == "url" and not _URL.match(value):
            raise _fail("{label}: must be an http, https or ftp address.")
        return value


class _Integer(fields.Integer):
    def __init__(self, element: Element, **kwargs):
        super().__init__(**kwargs)
        self.element = element

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip().replace(",", "")
            if value == "":
                return None
        if isinstance(value, float):
            # 50.0 from a spreadsheet is 50; 3.5 is no whole number (int() would silently make it 3).
            if not value.is_integer():
                raise _fail("{label}: must be a whole number.")
            value = int(value)
        result = super()._deserialize(value, attr, data, **kwargs)
        if self.element.min is not None and result < self.element.min:
            raise _fail("{label}: must be at least {min}.", min=self.element.min)
        if self.element.max is not None and result > self.element.max:
            raise _fail("{label}: must be at most {max}.", max=self.element.max)
        return result


class _Boolean(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        probe = value.strip().lower() if isinstance(value, str) else value
        # Only text, numbers and booleans can say yes or no; a list or object (unhashable) cannot.
        if isinstance(probe, str | int | float):
            if probe in TRUTHY:
                return True
            if probe in FALSY:
                return False
        raise _fail("{label}: must be yes or no (是/否).")


class _Code(fields.Field):
    """A value of a vocabulary: accepts the code, a label or an alternative label (or the key)."""

    def __init__(self, element: Element, vocab, **kwargs):
        super().__init__(**kwargs)
        self.element = element
        self.scheme = vocab.get(element.vocabulary)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise _fail("{label}: must be a code or label of the {vocabulary} list.", vocabulary=self.scheme.label("en"))
        text = value.strip()
        if not text:
            return None
        concept = None
        if self.element.key_property:
            matches = self.scheme.by_property(self.element.key_property, text)
            concept = matches[0] if matches else None
        concept = concept or self.scheme.find(text)
        if concept is None or (self.element.top_level and concept.broader is not None):
            raise _fail(
                "{label}: {value!r} is not in the code list {vocabulary}.",
                value=text,
                vocabulary=self.scheme.label("zh"),
            )
        if self.element.values is not None and concept.code not in self.element.values:
            allowed = "、".join(self.scheme.get(c).label("zh") for c in self.element.values if self.scheme.get(c))
            raise _fail("{label}: only {allowed} is allowed in this catalog.", allowed=allowed)
        if self.element.key_property:
            return concept.properties.get(self.element.key_property, concept.code)
        return concept.code


class _Choice(fields.Field):
    def __init__(self, element: Element, **kwargs):
        super().__init__(**kwargs)
        self.element = element

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip()
        for key, label in self.element.choices.items():
            if text == key or text in label.values.values():
                return key
        raise _fail("{label}: must be one of {choices}.", choices=", ".join(self.element.choices))


class _StringList(fields.Field):
    def __init__(self, element: Element, item_check=None, **kwargs):
        super().__init__(**kwargs)
        self.element = element
        self.item_check = item_check

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = _LIST_SPLIT.split(value)
        if not isinstance(value, list | tuple):
            raise _fail("{label}: must be a list.")
        result: list[str] = []
        for entry in value:
            if not isinstance(entry, str | int):
                raise _fail("{label}: every entry must be text.")
            text = _clean_text(str(entry))
            if text is None or text in result:
                continue
            if self.element.max_length and len(text) > self.element.max_length:
                raise _fail("{label}: each entry at most {max} characters.", max=self.element.max_length)
            if self.item_check:
                self.item_check(text)
            result.append(text)
        if self.element.max_occurs and len(result) > self.element.max_occurs:
            raise _fail("{label}: at most {max} entries.", max=self.element.max_occurs)
        # An empty list (or "、、") is present but says nothing: it does not satisfy a mandatory element.
        if not result and self.required:
            raise _fail(REQUIRED)
        return result


def _check_resource_code(text: str) -> None:
    try:
        codes.parse(text)
    except codes.CodeError:
        raise _fail("{label}: {value!r} is not a resource code of the form 分类码/顺序码 (e.g. 30701502/000031).", value=text) from None


class _Classification(fields.Field):
    """A 分类码; 类+项 alone (``307``) is allowed: the service appends the provider's 目 segment."""

    def __init__(self, vocab, **kwargs):
        super().__init__(**kwargs)
        self.scheme = vocab.get("resource_classification")

    def _deserialize(self, value, attr, data, **kwargs):
        # NFKC turns full-width digits typed with a Chinese input method into ASCII ones; any other
        # Unicode digit is refused (isdigit alone would accept it, and the code could never be built).
        text = re.sub(r"[\s/.\-]", "", unicodedata.normalize("NFKC", str(value)))
        digits = text.isascii() and text.isdigit()
        if not digits or not (len(text) == 3 or 6 <= len(text) <= 6 + codes.MAX_SUBCATEGORY_DIGITS):
            raise _fail("{label}: must be 类+项 (3 digits) or 类+项+目[+细目] (6–16 digits), e.g. 30701502.")
        if text[0] not in self.scheme:
            raise _fail("{label}: class {cls} is not one of 1 基础, 2 主题, 3 部门.", cls=text[0])
        if text[:3] not in self.scheme:
            raise _fail("{label}: item {item} is not defined under class {cls}.", item=text[:3], cls=text[0])
        return text


class _DepartmentRef(fields.Field):
    """A reference to the provider: an id, a key, a USCC, or an object with one of them."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise _fail("{label}: must name a department by id, key or unified social credit code.")
        if isinstance(value, int):
            return {"id": self._id(value)}
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if text.isdigit() and len(text) < 18:
                return {"id": self._id(text)}
            return {"uscc": text.upper()} if len(text) == 18 else {"key": text}
        if isinstance(value, Mapping):
            # The USCC first: an export read into another installation keeps its provider, not a local id.
            for key in ("uscc", "key", "id", "name"):
                inner = value.get(key)
                if inner in (None, ""):
                    continue
                if key == "id":
                    # Only a number may reach the query: PostgreSQL fails on "abc" for an integer column.
                    return {"id": self._id(inner)}
                text = str(inner).strip()
                return {key: text.upper() if key == "uscc" else text}
        raise _fail("{label}: must name a department by id, key or unified social credit code.")

    @staticmethod
    def _id(value: Any) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
            raise _fail("{label}: must name a department by id, key or unified social credit code.")
        return value


def _field(element: Element, vocab, *, draft: bool) -> fields.Field:
    required = element.required and not (draft and element.name not in DRAFT_KEEPS)
    common: dict[str, Any] = {
        "required": required,
        "allow_none": not required,
        "error_messages": {
            "required": Message(REQUIRED),
            "null": Message(REQUIRED),
            "invalid": Message("{label}: the value has the wrong type."),
            "type": Message("{label}: must be an object."),
        },
    }
    kind = element.type
    if kind in ("string", "text", "url", "resource_code"):
        return _Text(element, **common)
    if kind == "integer":
        common["error_messages"]["invalid"] = Message("{label}: must be a whole number.")
        return _Integer(element, strict=False, **common)
    if kind == "date":
        common["error_messages"]["invalid"] = Message("{label}: must be a date written YYYY-MM-DD.")
        return fields.Date(**common)
    if kind == "boolean":
        return _Boolean(**common)
    if kind == "code":
        return _Code(element, vocab, **common)
    if kind == "choice":
        return _Choice(element, **common)
    if kind == "string_list":
        return _StringList(element, **common)
    if kind == "resource_code_list":
        return _StringList(element, item_check=_check_resource_code, **common)
    if kind == "classification":
        return _Classification(vocab, **common)
    if kind == "department":
        return _DepartmentRef(**common)
    # A list row is stored as a row of its own table, even in a draft: it keeps its mandatory columns
    # (an item without name or data type could not be saved at all).
    child_schema = _schema_class(element.name, element.children, vocab, draft=draft and not element.is_list)
    if kind == "object":
        return fields.Nested(child_schema, unknown=RAISE, **common)
    common["error_messages"]["invalid"] = Message("{label}: must be a list of rows.")
    return fields.List(fields.Nested(child_schema, unknown=RAISE), **common)


class _Base(Schema):
    @pre_load
    def _blank_to_none(self, data, **kwargs):
        if isinstance(data, Mapping):
            return {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in data.items()}
        return data


def _schema_class(name: str, elements, vocab, *, draft: bool) -> type[Schema]:
    declared = {e.name: _field(e, vocab, draft=draft) for e in elements if not e.system}
    return _Base.from_dict(declared, name=f"{name.title().replace('_', '')}Schema")


def build_resource_schema(profile: Profile, vocab, *, draft: bool = False) -> Schema:
    """Build the marshmallow schema of resource input for a profile.

    :param profile: the composed metadata profile.
    :param vocab: the vocabulary registry the code lists come from.
    :param draft: relax obligations for a draft (only title, provider and classification are required).
    """
    schema_class = _schema_class("Resource", profile.elements, vocab, draft=draft)
    return schema_class(unknown=RAISE)


def flatten_errors(errors: Any, profile: Profile, prefix: str = "") -> dict[str, list[Message]]:
    """Turn marshmallow's nested errors into ``{"items.1.length": [Message]}`` with labels filled in."""
    flat: dict[str, list[Message]] = {}
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "_schema"
            for sub_path, messages in flatten_errors(value, profile, path).items():
                flat.setdefault(sub_path, []).extend(messages)
        return flat
    for entry in errors if isinstance(errors, list) else [errors]:
        if isinstance(entry, Mapping):
            for sub_path, messages in flatten_errors(entry, profile, prefix).items():
                flat.setdefault(sub_path, []).extend(messages)
            continue
        flat.setdefault(prefix, []).append(with_label(entry, profile, prefix))
    return flat


def with_label(entry: Any, profile: Profile, path: str) -> Message:
    """Attach the field's profile label to a message (unknown fields get their own message)."""
    label = profile.label(path)
    if isinstance(entry, Message):
        return Message(entry.msgid, {**entry.params, "label": label})
    if entry == "Unknown field.":
        return message("{label}: unknown field; it is not in the metadata profile.", label=label)
    return message("{label}: {problem}", label=label, problem=str(entry))


class ResourceSchema:
    """Load resource input against the profile: shape, syntax, code lists and the guide's cross-field rules."""

    def __init__(self, profile: Profile, vocab):
        self.profile = profile
        self.vocab = vocab
        self._full = build_resource_schema(profile, vocab)
        self._draft = build_resource_schema(profile, vocab, draft=True)

    def load(self, data: Mapping[str, Any], *, draft: bool = False) -> dict[str, Any]:
        """Validate and normalise resource input.

        :param data: the input, e.g. a line of ``mulu resource export --format jsonl`` or an API body.
        :param draft: a draft needs only title, provider and classification; the rules run at submit.
        :returns: the normalised input (codes instead of labels; extension defaults filled in).
        :raises catalog.errors.ValidationError: with every problem, keyed by field path.
        """
        if not isinstance(data, Mapping):
            raise ValidationError({"_schema": [message("A resource must be a JSON object.")]})
        payload = {k: v for k, v in data.items() if k not in READ_ONLY_KEYS}
        for element in self.profile.extension_elements:
            value = payload.get(element.name)
            if (value is None or (isinstance(value, str) and not value.strip())) and element.default is not None:
                payload[element.name] = element.default
        schema = self._draft if draft else self._full
        errors: dict[str, list[Message]] = {}
        try:
            result = schema.load(payload)
        except MarshmallowError as exc:
            errors = flatten_errors(exc.messages, self.profile)
            result = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        if not draft:
            from catalog.rules import check_rules

            for path, messages in check_rules(result, self.vocab).items():
                if path not in errors:
                    errors[path] = [with_label(m, self.profile, path) for m in messages]
        if errors:
            raise ValidationError(errors)
        return result
