"""Reading API requests and writing API responses: JSON bodies, query parameters, ETags and JSON output.

Bodies must be JSON objects (``415`` for another content type, ``400`` when the JSON does not parse,
``413`` above :data:`MAX_BODY`); query parameters and small bodies are checked with marshmallow
schemas whose unknown keys are refused (``422`` naming the key).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Response, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, RAISE, Schema
from marshmallow import ValidationError as MarshmallowError

from web.api.errors import ApiError

MAX_BODY = 1024 * 1024  # 1 MiB: a resource with a thousand information items is far below it
JSON_TYPES = ("application/json", "application/merge-patch+json")
# Parameters every API address accepts besides its own: the language switch of the portal.
COMMON_PARAMS = frozenset({"lang"})

# marshmallow's English messages, translated; anything else is passed through as written.
MARSHMALLOW_MESSAGES = {
    "Unknown field.": _l("Unknown field."),
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field may not be null."),
    "Not a valid string.": _l("Must be a string."),
    "Not a valid integer.": _l("Must be a whole number."),
    "Not a valid boolean.": _l("Must be true or false."),
    "Not a valid datetime.": _l("Must be a date and time such as 2030-12-31T00:00:00+08:00."),
    "Not a valid list.": _l("Must be a list."),
    "Invalid input type.": _l("The value has the wrong type."),
    "Invalid value.": _l("The value is not allowed."),
    "Not a valid aware datetime.": _l("Must be a date and time such as 2030-12-31T00:00:00+08:00."),
    "Not a valid mapping type.": _l("Must be an object."),
}
# marshmallow's validator messages with numbers or choices in them: pattern → translated message.
MARSHMALLOW_PATTERNS = (
    (re.compile(r"Length must be between (?P<min>\d+) and (?P<max>\d+)\."),
     _l("Must be %(min)s to %(max)s characters long.")),
    (re.compile(r"Longer than maximum length (?P<max>\d+)\."), _l("At most %(max)s characters.")),
    (re.compile(r"Must be one of: (?P<choices>.*)\."), _l("Must be one of %(choices)s.")),
    (re.compile(r"Must be greater than or equal to (?P<min>-?\d+) and less than or equal to (?P<max>-?\d+)\."),
     _l("Must be between %(min)s and %(max)s.")),
    (re.compile(r"Must be greater than or equal to (?P<min>-?\d+)\."), _l("Must be at least %(min)s.")),
)


def translate(messages: Any) -> list[str]:
    """marshmallow messages of one field as translated strings."""
    if isinstance(messages, Mapping):
        return [text for value in messages.values() for text in translate(value)]
    if isinstance(messages, list | tuple):
        return [text for value in messages for text in translate(value)]
    text = str(messages)
    known = MARSHMALLOW_MESSAGES.get(text)
    if known is not None:
        return [str(known)]
    for pattern, translated in MARSHMALLOW_PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return [str(translated) % found.groupdict()]
    return [text]


def flatten(messages: Mapping[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors as ``{"field.sub": [messages]}``."""
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(flatten(value, path))
        else:
            flat.setdefault(path, []).extend(translate(value))
    return flat


def invalid(fields: Mapping[str, list[str]], message: str | None = None) -> ApiError:
    return ApiError(422, "validation_error", message or _("The input is not valid."), fields=fields)


def json_body(*, merge_patch: bool = False) -> dict[str, Any]:
    """The request's JSON object.

    :param merge_patch: also accept ``application/merge-patch+json`` (RFC 7396).
    :raises ApiError: 415, 413, 400 or 422 (not an object).
    """
    mimetype = request.mimetype or ""
    accepted = JSON_TYPES if merge_patch else JSON_TYPES[:1]
    if mimetype not in accepted and not (mimetype.startswith("application/") and mimetype.endswith("+json")):
        raise ApiError(415, message=_("Send the body as JSON (Content-Type: %(types)s).", types=" or ".join(accepted)))
    raw = request.get_data(cache=True)  # beyond MAX_BODY werkzeug raises 413 here
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant) if raw else None
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        position = f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        raise ApiError(400, "malformed_json", _("The body is not valid JSON%(where)s.", where=position)) from None
    if not isinstance(data, dict):
        raise invalid({"_body": [_("The body must be a JSON object.")]})
    bad = _bad_text(data, "")
    if bad is not None:
        raise invalid({bad or "_body": [_("Text must not contain NUL characters or unpaired surrogates.")]})
    return data


def _no_constant(name: str):
    raise ValueError(name)  # NaN and Infinity are not JSON, and no database stores them in JSON


def _bad_text(value: Any, path: str) -> str | None:
    """The path of the first string no database can store (NUL, lone surrogates), or ``None``."""
    if isinstance(value, str):
        return path if not clean_text(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if not clean_text(key):
                return path
            found = _bad_text(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _bad_text(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def clean_text(text: str) -> bool:
    """Whether a string can be stored: no NUL character, no unpaired surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    """Load a small body with a marshmallow schema (unknown keys refused).

    :raises ApiError: 422 with a message per field.
    """
    try:
        return schema.load(data, unknown=RAISE)
    except MarshmallowError as error:
        raise invalid(flatten(error.normalized_messages())) from None


def query(schema: Schema) -> dict[str, Any]:
    """The query parameters, checked by a schema; unknown parameters are refused, naming them.

    List fields take repeated parameters (``?theme=R&theme=S``) or comma-separated values.
    """
    args = request.args
    names = {field.data_key or name: field for name, field in schema.fields.items()}
    unknown = sorted(set(args) - set(names) - COMMON_PARAMS)
    if unknown:
        raise invalid({name: [_("Unknown parameter.")] for name in unknown})
    dirty = sorted(name for name in args if not all(clean_text(v) for v in args.getlist(name)))
    if dirty:
        raise invalid({name: [_("Text must not contain NUL characters or unpaired surrogates.")] for name in dirty})
    data: dict[str, Any] = {}
    for name, field in names.items():
        if name not in args:
            continue
        if getattr(field, "inner", None) is not None:  # a List
            data[name] = [part.strip() for value in args.getlist(name) for part in value.split(",") if part.strip()]
        else:
            data[name] = args.get(name)
    try:
        return schema.load(data, unknown=EXCLUDE)
    except MarshmallowError as error:
        raise invalid(flatten(error.normalized_messages())) from None


def etag(version: int) -> str:
    return f'"{version}"'


def if_match(current: int, *, required: bool = True) -> int | None:
    """The version an If-Match header names: ``None`` for ``*`` (or no header, when not required).

    :raises ApiError: 428 when required and missing, 412 when it names another version.
    """
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        if required:
            raise ApiError(428, headers={"ETag": etag(current)})
        return None
    if header.strip() == "*":
        return None
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]
    if str(current) not in tags:
        raise stale(current)
    return current


def stale(current: int | None) -> ApiError:
    headers = {"ETag": etag(current)} if current is not None else {}
    message = (_("The resource has changed since you read it (it is now version %(current)s); nothing was written. "
                 "Fetch it again and re-apply your edit.", current=current)
               if current is not None else None)
    return ApiError(412, message=message, headers=headers)


def utc(value: Any) -> str | None:
    """An ISO 8601 time with its offset (SQLite hands back naive datetimes; Mulu stores UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return utc(moment)
    return str(value)


def respond(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response (UTF-8, Chinese unescaped)."""
    body = json.dumps(data, ensure_ascii=False, default=str)
    response = Response(body, status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
