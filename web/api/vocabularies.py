"""Vocabularies (code lists) in the API: the list, and one SKOS scheme as JSON, JSON-LD or Turtle."""

from __future__ import annotations

from flask import Response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalog.errors import NotFoundError
from catalog.i18n import message
from web import deps
from web.api import schemas
from web.api.blueprint import api
from web.api.errors import ApiError
from web.api.openapi import operation
from web.api.payload import query, respond

# ?format= value → media type; the Accept header chooses among the media types.
FORMATS = {"json": "application/json", "jsonld": "application/ld+json", "ttl": "text/turtle", "turtle": "text/turtle"}
MEDIA_TYPES = ("application/json", "application/ld+json", "text/turtle")


def _scheme(name: str):
    vocab = deps.container().vocab
    if name not in vocab:
        raise NotFoundError(message("There is no vocabulary {name}.", name=name))
    return vocab.get(name)


@api.get("/vocabularies")
@operation(tag="vocabularies", summary=_l("The vocabularies (code lists) of the catalog"),
           responses={200: "VocabularyList"})
def vocabulary_list():
    items = [{"name": s.name, "uri": s.uri, "labels": dict(s.labels), "concepts": len(s),
              "url": url_for("api.vocabulary", name=s.name, _external=True)} for s in deps.container().vocab]
    return respond({"items": sorted(items, key=lambda item: item["name"])})


@api.get("/vocabularies/<name>")
@operation(tag="vocabularies", summary=_l("One vocabulary as JSON, JSON-LD or Turtle (SKOS)"),
           query=schemas.VocabularyArgs, errors=(404, 406, 422), responses={200: {
               "application/json": {"schema": "Vocabulary"},
               "application/ld+json": {"schema": {"type": "array", "items": {"type": "object"}}},
               "text/turtle": {"schema": {"type": "string"}}}},
           description=_l("Choose the format with the Accept header or with format=json|jsonld|ttl."))
def vocabulary(name: str):
    args = query(schemas.VocabularyArgs())
    scheme = _scheme(name)
    if args.get("format"):
        media_type = FORMATS[args["format"]]
    else:
        media_type = request.accept_mimetypes.best_match(MEDIA_TYPES) if request.accept_mimetypes else MEDIA_TYPES[0]
        if media_type is None:
            raise ApiError(406, message=_("This vocabulary is available as %(types)s.", types=", ".join(MEDIA_TYPES)))
    if media_type == "application/json":
        response = respond(scheme.to_json())
    else:
        rdf_format = "json-ld" if media_type == "application/ld+json" else "turtle"
        body = scheme.to_graph().serialize(format=rdf_format)
        response = Response(body, mimetype=media_type, content_type=f"{media_type}; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response
