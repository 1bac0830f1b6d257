"""The API documentation page at /api/docs: the OpenAPI document rendered on the server, no outside assets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, render_template, request

from web import deps
from web.api.blueprint import PREFIX
from web.api.openapi import spec_for
from web.api.resource_schemas import EXAMPLE

api_docs = Blueprint("api_docs", __name__)
METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}


@dataclass
class Row:
    """One property or parameter: name, type, whether required, what it means, allowed values."""

    name: str
    type: str
    ref: str | None
    required: bool
    description: str
    enum: list[str] = field(default_factory=list)
    where: str = ""


@dataclass
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    auth: str
    parameters: list[Row]
    body: str | None
    example: str | None
    responses: list[tuple[str, str, str | None]]


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else None


def type_of(schema: dict[str, Any]) -> tuple[str, str | None]:
    """A readable type and the schema it refers to (for a link)."""
    name = _ref_name(schema)
    if name:
        return name, name
    if "oneOf" in schema:
        return " | ".join(type_of(s)[0] for s in schema["oneOf"]), None
    if "anyOf" in schema:  # apispec's nullable nested object: [{$ref}, {type: object, nullable}]
        refs = [_ref_name(s) for s in schema["anyOf"] if _ref_name(s)]
        nullable = any(s.get("nullable") for s in schema["anyOf"])
        if refs:
            return " | ".join([*refs, *(["null"] if nullable else [])]), refs[0]
        return " | ".join(type_of(s)[0] for s in schema["anyOf"]), None
    kind = schema.get("type", "any")
    if kind == "array":
        inner, ref = type_of(schema.get("items", {}))
        return f"array of {inner}", ref
    if schema.get("format"):
        kind = f"{kind} ({schema['format']})"
    if schema.get("nullable"):
        kind += " | null"
    return kind, None


def _limits(schema: dict[str, Any]) -> str:
    parts = [f"{label} {schema[key]}" for key, label in (("maxLength", "≤"), ("minimum", "≥"), ("maximum", "≤"),
                                                        ("maxItems", "items ≤"), ("pattern", "pattern"))
             if key in schema]
    return "; ".join(parts)


def rows(schema: dict[str, Any]) -> list[Row]:
    """The properties of an object schema as rows."""
    required = set(schema.get("required", ()))
    found = []
    for name, prop in schema.get("properties", {}).items():
        kind, ref = type_of(prop)
        description = " ".join(p for p in (prop.get("description", ""), _limits(prop)) if p)
        enum = prop.get("enum") or prop.get("items", {}).get("enum") or []
        found.append(Row(name, kind, ref, name in required, description, [str(v) for v in enum]))
    return found


def _parameter(param: dict[str, Any], spec: dict[str, Any]) -> Row:
    name = _ref_name(param)
    if name:
        param = spec["components"]["parameters"][name]
    kind, ref = type_of(param.get("schema", {}))
    schema = param.get("schema", {})
    enum = schema.get("enum") or schema.get("items", {}).get("enum") or []
    return Row(param["name"], kind, ref, bool(param.get("required")), param.get("description", ""),
               [str(v) for v in enum], param["in"])


def operations(spec: dict[str, Any]) -> dict[str, list[Operation]]:
    """The operations grouped by tag, in the document's order of tags."""
    groups: dict[str, list[Operation]] = {tag["name"]: [] for tag in spec.get("tags", [])}
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, op in sorted(((m, o) for m, o in item.items() if m in METHOD_ORDER),
                                 key=lambda pair: METHOD_ORDER[pair[0]]):
            body, example = None, None
            if "requestBody" in op:
                media = next(iter(op["requestBody"]["content"].values()))
                body = _ref_name(media["schema"])
                if "example" in media:
                    example = json.dumps(media["example"], ensure_ascii=False, indent=2)
            responses = []
            for status, answer in op["responses"].items():
                ref = _ref_name(answer)
                if ref:
                    answer = spec["components"]["responses"][ref]
                content = answer.get("content", {})
                schema = next(iter(content.values()), {}).get("schema", {}) if content else {}
                responses.append((status, answer.get("description", ""), _ref_name(schema)))
            security = op.get("security", [])
            auth = "optional" if {} in security else ("session" if security == [{"sessionCookie": []}] else "required")
            groups.setdefault(op["tags"][0], []).append(Operation(
                method.upper(), PREFIX + path, op["operationId"], op.get("summary", ""), op.get("description", ""),
                auth, [_parameter(p, spec) for p in [*shared, *op.get("parameters", [])]], body, example, responses))
    return groups


def curl_example(base: str) -> dict[str, str]:
    """The getting-started commands, against this server."""
    # Without "department" the officer's own department is the provider: the command works in any catalog.
    body = json.dumps({k: v for k, v in EXAMPLE.items() if k != "department"}, ensure_ascii=False, indent=2)
    return {
        "me": f'curl -H "Authorization: Bearer $TOKEN" {base}/me',
        "search": f'curl "{base}/resources?q=低保&facets=department"',
        "create": f"curl -X POST {base}/resources \\\n  -H \"Authorization: Bearer $TOKEN\" \\\n"
                  f"  -H \"Content-Type: application/json\" \\\n  -d '{body}'",
        "submit": f"curl -X POST {base}/resources/$ID/transitions \\\n  -H \"Authorization: Bearer $TOKEN\" \\\n"
                  f"  -H \"Content-Type: application/json\" -d '{{\"action\": \"submit\"}}'",
        "register": f"curl -X POST {base}/resources/$ID/transitions \\\n  -H \"Authorization: Bearer $MANAGER_TOKEN\" \\\n"
                    f"  -H \"Content-Type: application/json\" -d '{{\"action\": \"register\"}}'",
        "patch": f"curl -X PATCH {base}/resources/$ID \\\n  -H \"Authorization: Bearer $TOKEN\" -H 'If-Match: \"3\"' \\\n"
                 f"  -H \"Content-Type: application/merge-patch+json\" -d '{{\"keywords\": [\"低保\"]}}'",
    }


@api_docs.get("/api/docs")
def page():
    spec = spec_for(deps.locale())
    schemas = {name: (rows(schema), schema.get("description", ""))
               for name, schema in sorted(spec["components"]["schemas"].items())}
    base = request.url_root.rstrip("/") + PREFIX
    return render_template("api/docs.html", spec=spec, groups=operations(spec), schemas=schemas,
                           curl=curl_example(base), base=base, error_codes=_error_codes())


def _error_codes() -> list[tuple[int, str, str]]:
    from web.api.errors import HTTP_ERRORS

    return [(status, code, str(text)) for status, (code, text) in sorted(HTTP_ERRORS.items())]
