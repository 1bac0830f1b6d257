"""The guide's cross-field rules for a resource (有条件共享 needs a condition, structured formats need items …)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.i18n import Message

NEEDS_DESCRIPTION = frozenset({"6", "9"})  # 自描述格式, 其他


def _add(errors: dict[str, list[Message]], path: str, msgid: str, **params: Any) -> None:
    errors.setdefault(path, []).append(Message(msgid, params))


def check_rules(data: Mapping[str, Any], vocab) -> dict[str, list[Message]]:
    """Check the rules that relate several fields of normalised resource input.

    Each rule looks only at fields that passed their own checks, so a missing field is reported once.

    :param data: normalised input as :class:`catalog.schemas.resource.ResourceSchema` produces it.
    :param vocab: the vocabulary registry (format classes, item data types).
    :returns: ``{field path: [Message]}``; messages carry ``{label}`` for the caller to fill in.
    """
    errors: dict[str, list[Message]] = {}
    share = data.get("share") or {}
    share_type = share.get("type")
    if share_type == "conditional" and not share.get("condition"):
        _add(errors, "share.condition", "{label}: required when the share type is 有条件共享 (conditional).")
    if share_type == "not_shared" and not share.get("basis"):
        _add(errors, "share.basis", "{label}: required when the share type is 不予共享 — cite the law, regulation or policy.")
    if share_type in ("unconditional", "conditional") and not share.get("method"):
        _add(errors, "share.method", "{label}: required unless the share type is 不予共享.")

    opening = data.get("open") or {}
    if opening:
        is_open, open_type = opening.get("is_open"), opening.get("type")
        if is_open is False and open_type not in (None, "not_open"):
            _add(errors, "open.type", "{label}: contradicts “not open to the public”.")
        if is_open is True and open_type == "not_open":
            _add(errors, "open.type", "{label}: contradicts “open to the public”.")
        if is_open and open_type == "conditional" and not opening.get("condition"):
            _add(errors, "open.condition", "{label}: required when the resource is conditionally open (有条件开放).")

    formats = vocab.get("format")
    fmt = data.get("format") or {}
    format_class, format_type = fmt.get("class"), fmt.get("type")
    if format_class and format_type:
        concept = formats.get(format_type)
        if concept is not None and format_type != format_class and concept.broader != format_class:
            _add(errors, "format.type", "{label}: {type} is not a type of the chosen format class.", type=concept.label("zh"))
    if format_class in NEEDS_DESCRIPTION and not fmt.get("description"):
        _add(errors, "format.description", "{label}: required for this format class.")
    items = data.get("items") or []
    structured = format_class is not None and bool(formats.get(format_class) and formats.get(format_class).properties.get("structured"))
    if structured and not items and "items" not in errors:
        _add(errors, "items", "{label}: a database or spreadsheet resource needs at least one information item.")

    data_types = vocab.get("item_data_type")
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        concept = data_types.get(item.get("data_type") or "")
        if concept is not None and concept.properties.get("lengthRequired") and item.get("length") is None:
            _add(errors, f"items.{index}.length", "{label}: required for {type} items.", type=concept.label("zh"))
        if item.get("share_type") == "conditional" and not item.get("share_condition"):
            _add(errors, f"items.{index}.share_condition", "{label}: required when the item is conditionally shared.")
        name = item.get("name")
        if name:
            if name in seen:
                _add(errors, f"items.{index}.name", "{label}: {name} already appears in row {row}.", name=name, row=seen[name] + 1)
            else:
                seen[name] = index
    return errors
