"""DCAT over HTTP: the catalog at /catalog (content negotiation, Hydra paging, modified_since) and RDF per resource."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from catalog.dcat import (
    DEFAULT_PAGE_SIZE,
    FORMATS,
    MAX_PAGE_SIZE,
    CatalogInfo,
    DcatWriter,
    RdfFormat,
    catalog_page,
    catalog_publisher,
    resource_graph,
    serialize,
)
from catalog.dcat.formats import BY_EXTENSION, BY_MEDIA_TYPE, TURTLE
from catalog.errors import NotFoundError
from web import deps

dcat = Blueprint("dcat", __name__)

#: How long a shared cache may keep the public catalog (signed-in answers are private to the user).
CACHE_SECONDS = 300
EXTENSIONS = ",".join(f.extension for f in FORMATS)
HTML_TYPES = ("text/html", "application/xhtml+xml")
_OFFSET_AS_SPACE = re.compile(r"^(.*T.*) (\d\d(?::?\d\d)?)$")  # "+08:00" sent unencoded arrives as " 08:00"


class ParameterError(Exception):
    """A query parameter with an unusable value: answered with 400 and a message naming the parameter."""

    def __init__(self, name: str, text: str):
        super().__init__(text)
        self.name = name
        self.text = text


# -- the catalog description --------------------------------------------------------------------


def _in_both(render) -> dict[str, str]:
    """A portal text in Chinese and English (``render`` calls gettext), for multilingual RDF literals."""
    texts = {}
    for lang, locale in (("zh", "zh_CN"), ("en", "en")):
        with force_locale(locale):
            texts[lang] = render()
    return texts


def catalog_info() -> CatalogInfo:
    """What describes this portal's catalog: URIs under the request's root URL, titles in both languages.

    The publisher is the top-level government of the department tree (e.g. 淮南市人民政府).
    """
    publisher = catalog_publisher(deps.session())
    container = deps.container()
    if publisher is not None:
        name = publisher.name
        title = _in_both(lambda: _("Government information resource catalog of %(publisher)s", publisher=name))
        description = _in_both(lambda: _(
            "The government information resources that the departments of %(publisher)s catalog and publish, "
            "described following the national guide to government information resource catalogs.",
            publisher=name))
    else:
        title = _in_both(lambda: _("Mulu government information resource catalog"))
        description = _in_both(lambda: _(
            "Government information resources cataloged and published by government departments, described "
            "following the national guide to government information resource catalogs."))
    return CatalogInfo(
        base_uri=request.url_root,
        title=title,
        description=description,
        publisher_name=publisher.name if publisher is not None else title,
        publisher_uscc=publisher.uscc if publisher is not None else None,
        homepage=url_for("portal.index", _external=True),
        timezone=container.timezone,
    )


# -- requests and responses ---------------------------------------------------------------------


def negotiate(*, html: bool = False) -> RdfFormat | str | None:
    """The serialisation the ``Accept`` header prefers: an :class:`RdfFormat`, ``"html"`` or ``None``.

    No ``Accept`` header gets the default (HTML on pages, Turtle elsewhere); ``None`` means nothing
    acceptable is offered.
    """
    offers = [*(HTML_TYPES if html else ()), *(f.media_type for f in FORMATS)]
    accept = request.accept_mimetypes
    if not accept:
        return "html" if html else TURTLE
    best = accept.best_match(offers)
    if best is None:
        return None
    return "html" if best in HTML_TYPES else BY_MEDIA_TYPE[best]


def error_response(status: int, code: str, text: str, fields: dict[str, list[str]] | None = None) -> Response:
    """The one JSON error shape, ``{"error": {"code", "message", "fields"}}``, in the request's language."""
    response = jsonify({"error": {"code": code, "message": text, "fields": fields or {}}})
    response.status_code = status
    response.access_control_allow_origin = "*"
    return response


def not_acceptable() -> Response:
    types = ", ".join(f.media_type for f in FORMATS)
    response = error_response(406, "not_acceptable", _(
        "None of the media types in the Accept header can be served. Ask for one of: %(types)s.", types=types))
    response.vary.add("Accept")
    return response


def rdf_response(graph, rdf_format: RdfFormat, *, negotiated: bool, filename: str | None = None) -> Response:
    """The graph serialised, with an ETag (``If-None-Match`` gets 304) and cache headers for the actor."""
    response = Response(serialize(graph, rdf_format), content_type=rdf_format.content_type)
    # Any web page may read the catalog; a cross-origin request carries no cookie, so it gets the public one.
    response.access_control_allow_origin = "*"
    if negotiated:
        response.vary.add("Accept")
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}.{rdf_format.extension}"'
    if deps.actor().is_anonymous:
        response.cache_control.public = True
        response.cache_control.max_age = CACHE_SECONDS
    else:
        response.cache_control.private = True
        response.cache_control.no_cache = True
    response.add_etag()
    return response.make_conditional(request)


def _whole_number(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ParameterError(name, _(
            "The parameter %(name)s must be a whole number of at least 1; got “%(value)s”.",
            name=name, value=raw[:100]))
    return int(text)


def parse_moment(raw: str, timezone) -> datetime:
    """An ISO 8601 date or date and time; without an offset it is in the catalog's time zone.

    :raises ValueError: when ``raw`` is neither, or is out of range once in UTC (year 1 or 9999 at the edge).
    """
    text = raw.strip()
    spaced = _OFFSET_AS_SPACE.match(text)
    if spaced:
        text = f"{spaced.group(1)}+{spaced.group(2)}"
    moment = datetime.fromisoformat(text)
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone)
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{raw!r} is out of range") from None
    return moment


def _modified_since() -> tuple[datetime | None, str | None]:
    raw = request.args.get("modified_since")
    if raw is None or raw.strip() == "":
        return None, None
    try:
        moment = parse_moment(raw, deps.container().timezone)
    except ValueError:
        raise ParameterError("modified_since", _(
            "The parameter %(name)s must be an ISO 8601 date or date and time, such as 2024-05-01 or "
            "2024-05-01T08:00:00+08:00; got “%(value)s”.", name="modified_since", value=raw[:100])) from None
    return moment, moment.isoformat()


# -- /catalog -----------------------------------------------------------------------------------


def _catalog(rdf_format: RdfFormat | None, *, negotiated: bool, **route: Any) -> Response:
    if rdf_format is None:
        return not_acceptable()
    try:
        page_number = _whole_number("page", 1)
        size = min(_whole_number("size", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
        modified_since, since_text = _modified_since()
    except ParameterError as error:
        return error_response(400, "bad_parameter", error.text, {error.name: [error.text]})
    page = catalog_page(deps.resources(), page=page_number, size=size, modified_since=modified_since)
    if page_number > page.last:
        text = _("Page %(page)s does not exist: at %(size)s resources per page the last page is %(last)s.",
                 page=page_number, last=page.last, size=size)
        return error_response(404, "not_found", text, {"page": [text]})

    def link(number: int | None) -> str | None:
        if number is None:
            return None
        args = {"page": number, "size": size, **({"modified_since": since_text} if since_text else {})}
        return url_for(request.endpoint, **route, **args, _external=True)

    service, container = deps.resources(), deps.container()
    writer = DcatWriter(catalog_info(), container.vocab, container.profile)
    writer.add_catalog()
    for resource in page.resources:
        writer.add_resource(service.to_json(resource))
    writer.add_page(link(page.page), total=page.total, first=link(1), last=link(page.last),
                    previous=link(page.previous), next=link(page.next))
    return rdf_response(writer.graph, rdf_format, negotiated=negotiated)


@dcat.get("/catalog")
def catalog():
    """The published catalog as DCAT, in the serialisation the ``Accept`` header asks for (Turtle by default)."""
    return _catalog(negotiate(), negotiated=True)


@dcat.get(f"/catalog.<any({EXTENSIONS}):ext>")
def catalog_file(ext: str):
    """The published catalog as DCAT in the serialisation the extension names."""
    return _catalog(BY_EXTENSION[ext], negotiated=False, ext=ext)


# -- one resource -------------------------------------------------------------------------------


def _resource(resource_id: int, rdf_format: RdfFormat, *, negotiated: bool) -> Response:
    service, container = deps.resources(), deps.container()
    try:
        resource = service.get(resource_id)
    except NotFoundError as error:
        return error_response(404, error.code, error.message.render(deps.locale()))
    graph = resource_graph(service.to_json(resource), catalog_info(), container.vocab, container.profile)
    name = (resource.code or resource.metadata_id).replace("/", "-")
    return rdf_response(graph, rdf_format, negotiated=negotiated, filename=name)


def negotiate_resource(resource_id: int) -> Response | None:
    """The resource as DCAT when the ``Accept`` header prefers RDF to HTML, else ``None`` (render the page).

    Called by the resource page (``web/resources.py``): the page URL is also the dataset URI.
    """
    chosen = negotiate(html=True)
    if not isinstance(chosen, RdfFormat):
        return None
    return _resource(resource_id, chosen, negotiated=True)


@dcat.get(f"/resources/<int:resource_id>.<any({EXTENSIONS}):ext>")
def resource_file(resource_id: int, ext: str):
    """One resource as DCAT (its ``dcat:Dataset`` within the catalog) in the serialisation the extension names."""
    return _resource(resource_id, BY_EXTENSION[ext], negotiated=False)


def alternates(resource_id: int) -> list[tuple[RdfFormat, str]]:
    """The RDF URLs of a resource, for ``<link rel="alternate">`` and the page's download links."""
    return [(f, url_for("dcat.resource_file", resource_id=resource_id, ext=f.extension)) for f in FORMATS]


@dcat.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"rdf_alternates": alternates}
