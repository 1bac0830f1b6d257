"""The OpenAPI 3 document, built with apispec from the views' declarations and the marshmallow schemas.

Each API view carries an :func:`operation` declaration; :func:`build_spec` walks the app's URL map,
so every route of the blueprint is in the document (a test checks it). Summaries are translatable:
the document is built once per language and cached.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import Schema
from werkzeug.routing.converters import IntegerConverter

from web import deps
from web.api import resource_schemas, schemas
from web.api.blueprint import PREFIX, api
from web.api.payload import respond

TITLE = "Mulu API"
VERSION = "1.0.0"
SPEC_CACHE = "mulu_openapi"
TAGS = ("resources", "workflow", "history", "departments", "vocabularies", "profile", "tokens", "meta")
MAX_ID = 2**31 - 1  # ids are 32-bit integers; larger numbers in a path are a 404, not a database error
AUTH = {
    "optional": [{}, {"bearerAuth": []}, {"sessionCookie": []}],
    "required": [{"bearerAuth": []}, {"sessionCookie": []}],
    "session": [{"sessionCookie": []}],
}
ERRORS = {
    400: _l("Malformed JSON or request."), 401: _l("No valid API token or session."),
    403: _l("The caller may not do this (or the CSRF token is missing)."),
    404: _l("No such object, or it is not visible to the caller."), 406: _l("No acceptable format."),
    409: _l("Conflict with the current state (e.g. a workflow action not possible now)."),
    412: _l("If-Match names an old version."), 413: _l("The body is larger than 1 MiB."),
    415: _l("The body is not JSON."), 422: _l("Invalid input: the fields say what and where."),
    428: _l("If-Match is missing."), 429: _l("Rate limit exceeded; see Retry-After."),
}
HEADERS = {
    "ETag": {"description": "The resource's version, quoted; send it back in If-Match.", "schema": {"type": "string"}},
    "Link": {"description": "RFC 8288 links to the first, previous, next and last page.", "schema": {"type": "string"}},
    "Location": {"description": "Where the new object is.", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds until the limit resets.", "schema": {"type": "integer"}},
}


def operation(*, tag: str, summary, description=None, query: type[Schema] | None = None, body: str | None = None,
              responses: dict[int, Any], auth: str = "optional", errors: tuple[int, ...] = (),
              example: Any = None, body_types: tuple[str, ...] = ("application/json",),
              headers: tuple[str, ...] = (), response_headers: tuple[str, ...] = ()):
    """Declare a view's OpenAPI operation.

    :param responses: status → component schema name, ``None`` (no body), or a ``content`` mapping.
    :param auth: ``optional``, ``required`` (token or session) or ``session`` (portal session only).
    :param errors: error statuses worth listing besides the ``default`` error answer.
    :param headers: request headers the operation reads (``If-Match``).
    :param response_headers: headers of the success answers (``ETag``, ``Link``, ``Location``).
    """

    def decorate(view):
        view.__openapi__ = {"tag": tag, "summary": summary, "description": description, "query": query,
                            "body": body, "responses": responses, "auth": auth, "errors": errors,
                            "example": example, "body_types": body_types, "headers": headers,
                            "response_headers": response_headers}
        return view

    return decorate


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    if name.endswith("Schema"):  # the profile-derived input schemas: ItemsSchema → ResourceInputItems
        return "ResourceInput" + name[: -len("Schema")].replace("Resource", "")
    return name


def _path(rule) -> tuple[str, list[dict]]:
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)[len(PREFIX):] or "/"
    parameters = []
    for name, converter in rule._converters.items():
        schema = {"type": "string"}
        if isinstance(converter, IntegerConverter):
            schema = {"type": "integer", "minimum": 0, "maximum": converter.max or MAX_ID}
        parameters.append({"in": "path", "name": name, "required": True, "schema": schema})
    return path, parameters


def _responses(meta: dict) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for status, content in meta["responses"].items():
        entry: dict[str, Any] = {"description": str(_STATUS_TEXT.get(status, _STATUS_TEXT[200]))}
        if isinstance(content, dict):
            entry["content"] = content
        elif content is not None:
            entry["content"] = {"application/json": {"schema": content}}
        if status < 300 and meta["response_headers"]:
            entry["headers"] = {name: HEADERS[name] for name in meta["response_headers"]}
        answers[str(status)] = entry
    for status in meta["errors"]:
        answers[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    answers["default"] = {"$ref": "#/components/responses/Error"}
    return answers


_STATUS_TEXT = {200: _l("Success"), 201: _l("Created and returned"), 202: _l("Accepted: a change awaiting review"),
                204: _l("Done, no content"), 304: _l("Not modified since the ETag in If-None-Match")}


def build_spec(app: Flask, locale: str) -> dict[str, Any]:
    """The OpenAPI document (OpenAPI 3.0.3) of the app's API, in one language."""
    container = app.extensions["mulu"]
    spec = APISpec(
        title=TITLE, version=VERSION, openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={"description": str(_l("The REST API of the Mulu government information resource catalog (政务信息资源"
                                    "目录): search, read and register resources, browse departments, vocabularies and "
                                    "the metadata profile. Errors share one shape; send a token as Authorization: "
                                    "Bearer …"))},
        servers=[{"url": PREFIX}],
    )
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": str(_l("An API token from the portal (account menu → API tokens) or `mulu token create`."))})
    spec.components.security_scheme("sessionCookie", {
        "type": "apiKey", "in": "cookie", "name": "session",
        "description": str(_l("The portal's session; writes also need the X-CSRFToken header."))})
    for name in ("Error", "SearchPage", "AllowedActions", "Change", "RevisionList", "Revision", "Diff", "EventList",
                 "DepartmentTree", "Department", "VocabularyList", "Vocabulary", "Profile", "TokenList", "Token",
                 "TokenCreated", "Me", "ApiIndex", "TransitionIn", "ChangeDecisionIn", "TokenIn"):
        if name not in spec.components.schemas:  # nested ones are registered with their parents
            spec.components.schema(name, schema=getattr(schemas, name))
    spec.components.schema("ResourceInput", schema=resource_schemas.resource_input_schema(container), component={
        "description": str(_l("A resource as clients send it. “required” marks what a draft needs; the fields of "
                              "obligation M are needed to submit it. Codes may also be given by their labels; "
                              "read-only keys of the Resource JSON (id, code, status, version …) are ignored."))})
    spec.components.schema("Resource", schema=resource_schemas.resource_output_schema(container.profile), component={
        "description": str(_l("The Resource JSON: the same as the portal's metadata download and `mulu resource "
                              "export`."))})
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    spec.components.response("Error", {"description": str(_l("An error, in the one error shape.")), "content": error_ref})
    for status, text in ERRORS.items():
        spec.components.response(f"E{status}", {"description": str(text), "content": error_ref})
    spec.components.parameter("IfMatch", "header", {
        "name": "If-Match", "required": True, "schema": {"type": "string"},
        "description": str(_l("The ETag you read (the resource's version in quotes), or * to overwrite."))})

    used: set[str] = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith(f"{api.name}."):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "__openapi__", None)
        if meta is None:
            continue
        path, path_params = _path(rule)
        operations = {}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            used.add(meta["tag"])
            operations[method.lower()] = _operation(meta, rule.endpoint)
        spec.path(path=path, operations=operations, parameters=path_params)
    for tag in [*TAGS, *sorted(used - set(TAGS))]:
        if tag in used:
            spec.tag({"name": tag})
    return spec.to_dict()


def _operation(meta: dict, endpoint: str) -> dict[str, Any]:
    op: dict[str, Any] = {
        "tags": [meta["tag"]], "summary": str(meta["summary"]), "operationId": endpoint.split(".", 1)[1],
        "responses": _responses(meta), "security": AUTH[meta["auth"]],
    }
    if meta["description"]:
        op["description"] = str(meta["description"])
    parameters: list[Any] = []
    if meta["query"] is not None:
        parameters.append({"in": "query", "schema": meta["query"]})
    if "If-Match" in meta["headers"]:
        parameters.append("IfMatch")
    if parameters:
        op["parameters"] = parameters
    if meta["body"]:
        media = {"schema": meta["body"]}
        if meta["example"] is not None:
            media["example"] = meta["example"]
        op["requestBody"] = {"required": True, "content": {kind: media for kind in meta["body_types"]}}
    return op


def spec_for(locale: str) -> dict[str, Any]:
    """The cached document of the current app in ``locale``."""
    cache = current_app.extensions.setdefault(SPEC_CACHE, {})
    if locale not in cache:
        cache[locale] = build_spec(current_app, locale)
    return cache[locale]


@api.get("/openapi.json")
@operation(tag="meta", summary=_l("This OpenAPI document"), responses={200: {"application/json": {"schema": {
    "type": "object"}}}})
def openapi_json():
    return respond(spec_for(deps.locale()))


@api.get("/")
@operation(tag="meta", summary=_l("Where to start: links to the parts of the API"), responses={200: "ApiIndex"})
def index():
    links = {name: url_for(endpoint, _external=True) for name, endpoint in (
        ("resources", "api.search_resources"), ("departments", "api.department_tree"),
        ("vocabularies", "api.vocabulary_list"), ("profile", "api.metadata_profile"), ("tokens", "api.token_list"),
        ("me", "api.me"), ("openapi", "api.openapi_json"), ("docs", "api_docs.page"))}
    return respond({"name": TITLE, "version": VERSION, "links": links})
