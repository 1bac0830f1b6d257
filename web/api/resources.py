"""Resources in the API: search, read by id or code, create, replace (PUT), merge-patch (PATCH), delete drafts.

Reads carry an ``ETag`` (the resource's version); replacing and patching need it back in
``If-Match`` (``428`` without, ``412`` when stale). Everything goes through ``ResourceService``:
visibility and permissions are the portal's.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for
from flask_babel import lazy_gettext as _l

from catalog import permissions as perm
from catalog.errors import ConflictError
from catalog.i18n import message
from catalog.models import Resource, ResourceChange
from catalog.schemas.resource import READ_ONLY_KEYS
from catalog.search import FACETS, SearchQuery
from web import deps
from web.api import schemas
from web.api.blueprint import api
from web.api.openapi import operation
from web.api.pagination import link_header, page_links
from web.api.payload import etag, if_match, json_body, query, respond, stale, utc
from web.api.resource_schemas import EXAMPLE

VARY = "Authorization, Cookie, Accept-Language"


def represent(resource: Resource) -> dict[str, Any]:
    """The Resource JSON, times with their UTC offset."""
    data = deps.resources().to_json(resource)
    data["created_at"], data["updated_at"] = utc(resource.created_at), utc(resource.updated_at)
    return data


def resource_response(resource: Resource, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The resource with its ETag; ``304`` when a GET's If-None-Match names the current version."""
    tag = etag(resource.version)
    if request.method == "GET" and status == 200 and request.if_none_match.contains_weak(str(resource.version)):
        return Response(status=304, headers={"ETag": tag, "Vary": VARY})
    return respond(represent(resource), status, {"ETag": tag, "Vary": VARY, **(headers or {})})


def change_json(change: ResourceChange) -> dict[str, Any]:
    return {"id": change.id, "resource_id": change.resource_id, "status": change.status,
            "base_version": change.base_version, "comment": change.comment, "data": change.data,
            "created_at": utc(change.created_at)}


def _hit(hit, highlight: bool) -> dict[str, Any]:
    return {"id": hit.id, "title": hit.title, "code": hit.code, "status": hit.status, "department": hit.department,
            "updated_at": utc(hit.updated_at), "score": hit.score,
            "highlights": dict(hit.highlights) if highlight else {},
            "url": url_for("api.get_resource", resource_id=hit.id, _external=True)}


def _facet(value) -> dict[str, Any]:
    return {"value": value.value, "count": value.count, "label": value.label(deps.locale()),
            "labels": dict(value.labels), "parent": value.parent, "selected": value.selected}


@api.get("/resources")
@operation(tag="resources", summary=_l("Search resources"), query=schemas.SearchArgs, responses={200: "SearchPage"},
           errors=(422,), response_headers=("Link",),
           description=_l("The portal's search: free text, filters by facet field (department, classification, "
                          "theme …), sort, pages and facet counts. Only what the caller may read is found."))
def search_resources():
    args = query(schemas.SearchArgs())
    filters = {name: tuple(args[name]) for name in FACETS if args.get(name)}
    result = deps.search_backend().search(deps.session(), SearchQuery(
        text=args["q"].strip(), filters=filters, sort=args["sort"], page=args["page"], size=args["size"],
        facets=tuple(args["facets"]), highlight=args["highlight"]), deps.actor())
    links = page_links(result.page, result.pages)
    body = {
        "items": [_hit(hit, args["highlight"]) for hit in result.hits],
        "total": result.total, "page": result.page, "size": result.size, "pages": result.pages,
        "facets": {name: [_facet(v) for v in values] for name, values in result.facets.items()},
        "links": links,
    }
    return respond(body, headers={"Link": link_header(links), "Vary": VARY})


@api.get("/resources/<int(max=2147483647):resource_id>")
@operation(tag="resources", summary=_l("Read a resource"), responses={200: "Resource", 304: None}, errors=(404,),
           response_headers=("ETag",),
           description=_l("The Resource JSON. The ETag header is its version: send it in If-Match to change it, "
                          "or in If-None-Match to get 304 when nothing changed."))
def get_resource(resource_id: int):
    return resource_response(deps.resources().get(resource_id))


@api.get("/resources/by-code/<path:code>")
@operation(tag="resources", summary=_l("Read a resource by its resource code"), responses={200: "Resource"},
           errors=(404,), response_headers=("ETag",),
           description=_l("The 信息资源代码 (e.g. 30700801/000031) or the 元数据标识符."))
def get_resource_by_code(code: str):
    return resource_response(deps.resources().get_by_code(code))


@api.post("/resources")
@operation(tag="resources", summary=_l("Catalog a new resource (a draft)"), body="ResourceInput", example=EXAMPLE,
           auth="required", responses={201: "Resource"}, errors=(401, 403, 415, 422),
           response_headers=("ETag", "Location"),
           description=_l("Creates a draft (草稿). A draft needs only a title, the provider and the "
                          "classification; every rule applies when it is submitted. Without department, the "
                          "caller's own department is the provider."))
def create_resource():
    data = json_body()
    actor = deps.actor()
    if "department" not in data and actor.department_id is not None:
        data["department"] = {"id": actor.department_id}
    resource = deps.resources().create(data)
    deps.session().commit()
    location = url_for("api.get_resource", resource_id=resource.id, _external=True)
    return resource_response(resource, 201, {"Location": location})


def _update(resource_id: int, build) -> Response:
    service = deps.resources()
    resource = service.get(resource_id)
    perm.require(perm.can_edit_resource(deps.actor(), resource.department_id), message("edit this resource"))
    version = if_match(resource.version)
    data = build(resource)
    try:
        result = service.update(resource_id, data, expected_version=version)
    except ConflictError as error:
        if error.current is not None:
            raise stale(error.current) from None
        raise
    deps.session().commit()
    if isinstance(result, ResourceChange):
        return respond(change_json(result), 202, {"ETag": etag(resource.version),
                                                  "Location": url_for("api.pending_change", resource_id=resource_id,
                                                                      _external=True)})
    return resource_response(result)


_UPDATE_DOC = _l("A draft or returned resource changes at once (200). A published one is not touched: the edit "
                 "becomes a change (变更) awaiting a manager's review (202), and the published version stays.")


@api.put("/resources/<int(max=2147483647):resource_id>")
@operation(tag="resources", summary=_l("Replace a resource"), body="ResourceInput", example=EXAMPLE, auth="required",
           headers=("If-Match",), responses={200: "Resource", 202: "Change"},
           errors=(401, 403, 404, 409, 412, 415, 422, 428), response_headers=("ETag",), description=_UPDATE_DOC)
def replace_resource(resource_id: int):
    body = json_body()
    profile = deps.container().profile

    def full(_resource: Resource) -> dict[str, Any]:
        # PUT is the whole resource: what the body leaves out is cleared.
        blank = {element.name: None for element in profile.elements if not element.system}
        return {**blank, **body}

    return _update(resource_id, full)


@api.patch("/resources/<int(max=2147483647):resource_id>")
@operation(tag="resources", summary=_l("Change some fields of a resource (JSON Merge Patch)"), body="ResourceInput",
           example={"abstract": "全市城乡最低生活保障对象的基本信息。", "share": {"condition": "仅限核查使用"}},
           body_types=("application/merge-patch+json", "application/json"), auth="required", headers=("If-Match",),
           responses={200: "Resource", 202: "Change"}, errors=(401, 403, 404, 409, 412, 415, 422, 428),
           response_headers=("ETag",),
           description=_l("RFC 7396: objects merge, lists and values replace, null clears a field."))
def patch_resource(resource_id: int):
    patch = json_body(merge_patch=True)

    def merged(resource: Resource) -> dict[str, Any]:
        current = {k: v for k, v in deps.resources().to_json(resource).items() if k not in READ_ONLY_KEYS}
        current["department"] = {"id": resource.department_id}
        return merge_patch(current, patch)

    return _update(resource_id, merged)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 merge, except that ``null`` sets the field to ``None`` (the service then clears it)."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        result[key] = None if value is None else merge_patch(result.get(key), value)
    return result


@api.delete("/resources/<int(max=2147483647):resource_id>")
@operation(tag="resources", summary=_l("Delete a draft that was never submitted"), auth="required",
           responses={204: None}, errors=(401, 403, 404, 409, 412))
def delete_resource(resource_id: int):
    service = deps.resources()
    resource = service.get(resource_id)
    if_match(resource.version, required=False)
    service.delete_draft(resource_id)
    deps.session().commit()
    return Response(status=204)
