"""The CKAN-compatible Action API at ``/api/3/action/…`` (read-only), for CKAN clients and harvesters.

CKAN's envelope (``help``, ``success``, ``result``), its error shapes and status codes, GET with
URL parameters and POST with a JSON body, and the ``/api/action/…`` alias ``ckanapi`` uses. Packages
come from :mod:`catalog.ckan`; searching goes through the search backend contract. What the API lists
by default is what anonymous visitors see: published resources open to the public. See docs/ckan.md.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from flask import Blueprint, current_app, g, request, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from catalog import ckan
from catalog.actor import Actor
from catalog.errors import NotFoundError, PermissionDeniedError, ValidationError
from catalog.i18n import render_all
from catalog.models import Department, Distribution, Resource
from catalog.search import MAX_PAGE_SIZE, FacetValue, Hit, SearchQuery
from catalog.search import text as search_text
from catalog.services.resource import ResourceService
from catalog.services.token import TokenError, TokenService
from catalog.services.user import actor_for
from catalog.workflow import STATES
from web import deps

ckan_api = Blueprint("ckan_api", __name__)
log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # bytes of a POSTed body; a search request is a few hundred
MAX_TEXT = 200  # characters of q read, as on the search page
MAX_ID = 300
MAX_INT = 2**31 - 1  # larger numbers are read as this (ids beyond it do not exist; offsets beyond it are empty)
LIST_MAX = 1000  # organization_list / group_list: default and largest limit
DATASETS_MAX = 1000  # packages listed by organization_show / group_show with include_datasets
FACET_LIMIT = 50
FAST_FIELDS = frozenset({"id", "name", "title", "metadata_modified"})  # fl answered from search hits alone
# Known CKAN actions that write: refused with CKAN's 403 rather than "not known".
_WRITES = re.compile(r"(_create|_update|_patch|_delete|_purge|_revise|_reorder)$|^(bulk_update_|follow_|unfollow_)")

ACTIONS: dict[str, Callable[[Params], Any]] = {}


def _action(function: Callable[[Params], Any]) -> Callable[[Params], Any]:
    ACTIONS[function.__name__] = function
    return function


def presented_key() -> str | None:
    """The API token of the request as CKAN clients send it, or ``None``.

    ``ckanapi`` and CKAN's own clients send ``Authorization: <token>`` or ``X-CKAN-API-Key: <token>``;
    ``Authorization: Bearer <token>`` (Mulu's REST API) is accepted too.
    """
    header = (request.headers.get("X-CKAN-API-Key") or request.headers.get("Authorization") or "").strip()
    if not header:
        return None
    scheme, _sep, rest = header.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest.strip() else header


def api_actor() -> Actor:
    """The actor of an Action API call: the API token's user, else the signed-in session user, else anonymous.

    :raises PermissionDeniedError: for a token that is malformed, unknown, expired or revoked (CKAN answers
        a bad key with 403 too).
    """
    if "ckan_actor" not in g:
        presented = presented_key()
        if presented is None:
            g.ckan_actor = deps.actor()
        else:
            client = deps.client()
            try:
                token = TokenService(deps.container(), deps.session(), Actor.anonymous(client)).authenticate(presented)
            except TokenError as error:
                raise PermissionDeniedError(error.message) from None
            deps.session().commit()  # the token's last use, recorded before the action's reads
            g.ckan_actor = actor_for(deps.session(), token.user, f"ckan token {token.prefix} {client}".strip())
    return g.ckan_actor


def _service() -> ResourceService:
    return ResourceService(deps.container(), deps.session(), api_actor())


# -- request parameters ---------------------------------------------------------------------------


class _BadRequest(Exception):
    """The request body cannot be read (CKAN answers 400 "Bad request - JSON Error: …")."""


def _mixed(multi) -> dict[str, Any]:
    # CKAN's reading of URL and form parameters: a repeated key gives a list, a single one a string.
    return {key: values[0] if len(values) == 1 else values for key, values in multi.to_dict(flat=False).items()}


def _decode(body: bytes | str) -> dict[str, Any]:
    try:
        data = json.loads(body) if body else {}
    except (ValueError, RecursionError) as error:
        raise _BadRequest(f"Error decoding JSON data. Error: {str(error)[:200]}") from None
    if not isinstance(data, dict):
        raise _BadRequest(f"Request data JSON decoded to {repr(data)[:100]} but it needs to be a dictionary.")
    return data


def request_data() -> dict[str, Any]:
    """The action's parameters: a POSTed JSON object (or form), else the URL parameters.

    :raises _BadRequest: for a body that is too large, not JSON, or not a JSON object.
    """
    if request.method == "POST":
        if (request.content_length or 0) > MAX_BODY:
            raise _BadRequest(f"the request body is larger than {MAX_BODY} bytes.")
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = request.form
            values = list(form.values())
            if len(values) == 1 and values[0] in ("1", ""):
                return _decode(next(iter(form.keys())))  # a JSON object posted as the form's only key
            if form:
                return _mixed(form)
        else:
            body = request.stream.read(MAX_BODY + 1)
            if len(body) > MAX_BODY:
                raise _BadRequest(f"the request body is larger than {MAX_BODY} bytes.")
            if body.strip():
                return _decode(body)
    return _mixed(request.args)


@dataclass
class Params:
    """An action's parameters, read as CKAN's validators read them; every problem is collected, then raised."""

    data: Mapping[str, Any]
    errors: dict[str, list] = field(default_factory=dict)

    def _get(self, names: Iterable[str]) -> tuple[str, Any]:
        names = tuple(names)
        for name in names:
            if name in self.data:
                return name, self.data[name]
        return names[0], None

    def fail(self, name: str, zh: str, en: str) -> None:
        self.errors.setdefault(name, []).append(ckan.bilingual(zh, en))

    def check(self) -> None:
        """:raises ValidationError: naming every parameter that was not valid."""
        if self.errors:
            raise ValidationError(self.errors, ckan.bilingual("请求参数无效。", "The request is not valid."))

    def string(self, *names: str, limit: int | None = MAX_TEXT) -> str:
        """A text parameter (numbers are taken as text); ``""`` when absent; cut at ``limit`` characters."""
        name, value = self._get(names)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(name, "必须是字符串。", "Must be a string.")
            return ""
        text = str(value).replace("\x00", "")
        return text[:limit] if limit else text

    def integer(self, *names: str, default: int | None, minimum: int = 0) -> int | None:
        """A whole number ≥ ``minimum`` (numbers above :data:`MAX_INT` are read as it)."""
        name, value = self._get(names)
        if value is None or value == "":
            return default
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,40}\s*", value, re.ASCII):
            number = int(value)
        if number is None:
            self.fail(name, "必须是整数。", "Invalid integer")
            return default
        if number < minimum:
            self.fail(name, f"必须是不小于 {minimum} 的整数。",
                      "Must be a natural number" if minimum == 0 else f"Must be an integer of at least {minimum}")
            return default
        return min(number, MAX_INT)

    def boolean(self, *names: str, default: bool = False) -> bool:
        """A yes/no parameter as CKAN's ``asbool`` reads it (``true``/``false``, ``1``/``0``, ``yes``/``no`` …)."""
        name, value = self._get(names)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("true", "yes", "on", "y", "t", "1"):
                return True
            if lowered in ("false", "no", "off", "n", "f", "0"):
                return False
        self.fail(name, "必须是布尔值（true 或 false）。", "Must be a boolean (true or false)")
        return default

    def strings(self, *names: str, limit: int = 50) -> list[str]:
        """A list of texts: a JSON list, a JSON list in a string (CKAN's ``facet.field``), a repeated or a single value."""
        name, value = self._get(names)
        if value is None or value == "":
            return []
        if isinstance(value, str) and value.lstrip().startswith("["):
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                self.fail(name, "无法解析为 JSON 列表。", "Could not parse as valid JSON")
                return []
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
            self.fail(name, "必须是字符串列表。", "Must be a list of strings")
            return []
        if len(value) > limit:
            self.fail(name, f"最多 {limit} 项。", f"At most {limit} values")
            return []
        return list(dict.fromkeys(str(v).replace("\x00", "")[:MAX_ID] for v in value if str(v).strip()))

    def fields(self, name: str) -> list[str]:
        """CKAN's ``fl``: field names separated by commas or spaces (or a list)."""
        value = self.data.get(name)
        parts = value if isinstance(value, list) else [self.string(name, limit=1000)]
        return list(dict.fromkeys(p for part in parts if isinstance(part, str) for p in re.split(r"[,\s]+", part) if p))


# -- shared reads ---------------------------------------------------------------------------------


def _departments() -> tuple[list[Department], dict[int, str]]:
    """Every department (目 order) and its CKAN organization name, read once per request."""
    if "ckan_departments" not in g:
        departments = deps.departments().list()
        g.ckan_departments = (departments, ckan.organization_names(departments))
    return g.ckan_departments


def _organization(department: Department) -> dict[str, Any]:
    _, names = _departments()
    return ckan.organization_dict(department, names.get(department.id) or f"org-{department.id}")


def _packages(resources: Iterable[Resource]) -> list[dict[str, Any]]:
    container, locale = deps.container(), deps.locale()
    return [ckan.package_dict(resource, profile=container.profile, vocab=container.vocab,
                              organization=_organization(resource.department), locale=locale,
                              timezone=container.timezone,
                              url=url_for("resources.show", resource_id=resource.id, _external=True))
            for resource in resources]


def _load(ids: list[int]) -> list[Resource]:
    """The resources with these ids, in this order, that the actor may read (checked again, not trusted)."""
    service, found = _service(), {}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        query = (select(Resource).where(Resource.id.in_(chunk), service.visibility_filter())
                 .options(selectinload(Resource.items), selectinload(Resource.distributions)))
        found.update((r.id, r) for r in deps.session().scalars(query))
    return [found[i] for i in ids if i in found]


def _listed():
    """What lists show: resources the actor may read that are published and open to the public."""
    return and_(_service().visibility_filter(), Resource.status == "published", Resource.open_is_open.is_(True))


def _scope(filters: Mapping[str, tuple[str, ...]], *, private: bool = False, drafts: bool = False,
           deleted: bool = False) -> dict[str, tuple[str, ...]] | None:
    """The filters with CKAN's defaults added: published only, public only; ``None`` when nothing can match."""
    scoped = dict(filters)
    if "status" not in scoped:
        statuses = ["published"]
        if drafts:
            statuses += [s for s in STATES if s not in ("published", "withdrawn")]
        if deleted:
            statuses.append("withdrawn")
        scoped["status"] = tuple(statuses)
    if not private:
        public = ckan.public_open_types(deps.container().vocab)
        chosen = scoped.get("open_type")
        scoped["open_type"] = tuple(v for v in chosen if v in public) if chosen else public
        if not scoped["open_type"]:
            return None
    return scoped


@dataclass
class _Window:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)


def _search(text: str, filters: Mapping[str, tuple[str, ...]], sort: str, start: int, rows: int,
            facets: tuple[str, ...] = (), modified: ckan.ModifiedRange | None = None) -> _Window:
    """Hits ``start`` to ``start + rows`` of a search, read in backend pages of :data:`MAX_PAGE_SIZE`."""
    backend, session, actor = deps.search_backend(), deps.session(), api_actor()

    def run(page: int, size: int, counted: tuple[str, ...] = ()):
        query = SearchQuery(text=text, filters=filters, sort=sort, page=page, size=size, facets=counted,
                            highlight=False)
        return backend.search(session, query, actor)

    size = MAX_PAGE_SIZE
    if modified is not None:
        # Newest first, so the range is one run of hits: skip the newer ones, stop at the first older one.
        matched: list[Hit] = []
        page, result = 1, run(1, size)
        while True:
            older = False
            for hit in result.hits:
                if modified.before(hit.updated_at):
                    older = True
                    break
                if hit.updated_at in modified:
                    matched.append(hit)
            if older or len(result.hits) < size or page * size >= result.total:
                return _Window(len(matched), matched[start:start + rows])
            page += 1
            result = run(page, size)
    page, skip = start // size + 1, start % size
    result = run(page, size if rows else 0, facets)
    window = _Window(result.total, list(result.hits), result.facets)
    while rows and len(window.hits) - skip < rows and len(result.hits) == size and page * size < window.total:
        page += 1
        result = run(page, size)
        window.hits.extend(result.hits)
    window.hits = window.hits[skip:skip + rows]
    return window


def _count(facet: str) -> dict[str, int]:
    """Listed packages counted by a facet's values (tree values count what lies below them)."""
    filters = _scope({})
    window = _search("", filters, "relevance", 0, 0, (facet,)) if filters is not None else _Window(0, [])
    return {v.value: v.count for v in window.facets.get(facet, [])}


def _missing(name: str) -> ValidationError:
    return ValidationError({name: [ckan.bilingual("缺少此参数。", "Missing value")]},
                           ckan.bilingual("请求参数无效。", "The request is not valid."))


# -- packages -------------------------------------------------------------------------------------


@_action
def package_search(p: Params) -> dict[str, Any]:
    """Search the catalog's packages (published resources; others with include_private / include_drafts).

    :param q: free text (titles, keywords, abstracts, information items); ``*:*`` is everything.
    :param fq: filters on our facet fields (department, classification, theme, format_class, share_type,
        open_type, update_cycle, division; status when signed in), with ``organization`` and ``groups`` as
        aliases: ``theme:B organization:hn-mzj classification:(101 OR 102)``; also
        ``metadata_modified:[2024-01-01T00:00:00Z TO *]``.
    :param rows: packages to return (default 10, at most 1000).
    :param start: offset of the first package (default 0).
    :param sort: ``score desc, metadata_modified desc`` (default), ``metadata_modified desc``,
        ``title_string asc`` or ``name asc``.
    :param facet.field: a JSON list of fields to count by (same names as fq).
    :param facet.limit: values per facet (default 50, -1 for all); ``facet.mincount`` (default 1).
    :param include_private: add resources the caller may read that are not open to the public.
    :param include_drafts: add unpublished resources the caller may read; ``include_deleted`` withdrawn ones.
    :param fl: return only these fields of each package.
    :returns: ``count``, ``results``, ``facets``, ``search_facets`` and ``sort``.
    """
    actor = api_actor()
    allowed = ckan.filter_fields(not actor.is_anonymous)
    q = p.string("q", limit=MAX_TEXT)
    fq = p.string("fq", limit=None)
    fq_list = p.strings("fq_list")
    rows = p.integer("rows", default=ckan.ROWS_DEFAULT)
    start = p.integer("start", default=0)
    sort_text = p.string("sort") or ckan.DEFAULT_SORT
    want_facets = p.boolean("facet", default=True)
    facet_names = p.strings("facet.field", "facet_field")
    facet_limit = p.integer("facet.limit", "facet_limit", default=FACET_LIMIT, minimum=-1)
    mincount = p.integer("facet.mincount", "facet_mincount", default=1)
    private = p.boolean("include_private")
    drafts = p.boolean("include_drafts")
    deleted = p.boolean("include_deleted")
    fields = p.fields("fl")
    p.check()

    text = "" if q.strip() in ("*:*", "*") else q.strip()
    sort = ckan.search_sort(sort_text)
    departments, names = _departments()
    organizations = {names[d.id]: d.key for d in departments if names.get(d.id) != d.key}
    parsed = ckan.parse_fq(" ".join(part for part in (fq, *fq_list) if part.strip()), allowed,
                           organizations=organizations)
    requested = {name: ckan.facet_field(name, allowed) for name in facet_names} if want_facets else {}
    if parsed.modified is not None and requested:
        raise ValidationError({"facet.field": [ckan.bilingual(
            "按 metadata_modified 区间筛选时不能统计分面。",
            "Facets cannot be counted together with a metadata_modified range.")]})
    rows = min(rows, ckan.ROWS_MAX)
    filters = _scope(parsed.filters, private=private, drafts=drafts, deleted=deleted)
    if filters is None:
        window = _Window(0, [])
    else:
        window = _search(text, filters, "updated" if parsed.modified else sort, start, rows,
                         tuple(dict.fromkeys(requested.values())), parsed.modified)
    if fields and set(fields) <= FAST_FIELDS:
        results = [{key: value for key, value in (
            ("id", str(hit.id)), ("name", ckan.name_from(hit.id, hit.code)), ("title", hit.title),
            ("metadata_modified", ckan.timestamp(hit.updated_at))) if key in fields} for hit in window.hits]
    else:
        results = _packages(_load([hit.id for hit in window.hits]))
        if fields:
            results = [{key: package[key] for key in fields if key in package} for package in results]
    by_key = {d.key: names[d.id] for d in departments}
    search_facets, facets = {}, {}
    for name, ours in requested.items():
        items = []
        for value in window.facets.get(ours, []):
            if value.count < mincount:
                continue
            shown = by_key.get(value.value, value.value) if name == "organization" else value.value
            items.append({"name": shown, "display_name": value.label(deps.locale()), "count": value.count})
        if facet_limit >= 0:
            items = items[:facet_limit]
        search_facets[name] = {"title": name, "items": items}
        facets[name] = {item["name"]: item["count"] for item in items}
    return {"count": window.total, "facets": facets, "results": results, "sort": sort_text,
            "search_facets": search_facets}


def _resource(ident: str) -> Resource:
    reference = ckan.package_reference(ident)
    service = _service()
    if reference is None:
        raise _missing("id")
    kind, value = reference
    if kind == "id":
        if value > MAX_INT:
            raise NotFoundError(ckan.bilingual(f"没有数据集“{ident[:60]}”。", f"Dataset {ident[:60]!r} was not found."))
        return service.get(value)
    return service.get_by_code(value)


@_action
def package_show(p: Params) -> dict[str, Any]:
    """One package by id: our resource id (``12``), its name (``307015-000031``), code or metadata id.

    :param id: the id or name of the package.
    """
    ident = p.string("id", "name", limit=MAX_ID)
    p.check()
    if not ident.strip():
        raise _missing("id")
    return _packages([_resource(ident)])[0]


@_action
def resource_show(p: Params) -> dict[str, Any]:
    """One resource (a distribution of a package) by its id.

    :param id: the resource id.
    """
    ident = p.string("id", limit=MAX_ID).strip()
    p.check()
    if not ident:
        raise _missing("id")
    not_found = NotFoundError(ckan.bilingual(f"没有资源“{ident[:60]}”。", f"Resource {ident[:60]!r} was not found."))
    if not ident.isascii() or not ident.isdigit() or int(ident) > MAX_INT:
        raise not_found
    distribution = deps.session().get(Distribution, int(ident))
    if distribution is None:
        raise not_found
    try:
        resource = _service().get(distribution.resource_id)
    except NotFoundError:
        raise not_found from None
    package = _packages([resource])[0]
    return next(r for r in package["resources"] if r["id"] == ident)


@_action
def package_list(p: Params) -> list[str]:
    """The names of all listed packages (published, open to the public), in name order.

    :param limit: at most this many names (optional); :param offset: skip this many (optional).
    """
    limit = p.integer("limit", default=None)
    offset = p.integer("offset", default=0)
    p.check()
    rows = deps.session().execute(select(Resource.id, Resource.code).where(_listed())).all()
    names = sorted(ckan.name_from(row.id, row.code) for row in rows)
    return names[offset:offset + limit] if limit else names[offset:]


@_action
def current_package_list_with_resources(p: Params) -> list[dict[str, Any]]:
    """Listed packages with their resources, most recently modified first.

    :param limit: packages per call (default 10, at most 1000); :param offset: skip this many (``page`` is
        read too, as CKAN does).
    """
    limit = p.integer("limit", default=ckan.ROWS_DEFAULT)
    offset = p.integer("offset", default=None)
    page = p.integer("page", default=None, minimum=1)
    p.check()
    limit = min(limit, ckan.ROWS_MAX)
    if offset is None:
        offset = (page - 1) * limit if page else 0
    query = (select(Resource).where(_listed())
             .options(selectinload(Resource.items), selectinload(Resource.distributions))
             .order_by(Resource.updated_at.desc(), Resource.id.desc()).offset(offset).limit(limit))
    return _packages(deps.session().scalars(query))


# -- organizations and groups ---------------------------------------------------------------------


def _list_sort(text: str) -> tuple[str, bool]:
    parts = text.strip().lower().split()
    if parts == ["packages"]:
        parts = ["package_count", "desc"]
    key = {"packages": "package_count"}.get(parts[0], parts[0]) if parts else "title"
    direction = parts[1] if len(parts) > 1 else "asc"
    if key not in ("name", "title", "package_count") or direction not in ("asc", "desc") or len(parts) > 2:
        raise ValidationError({"sort": [ckan.bilingual(
            "排序只支持 name、title、package_count 加 asc 或 desc。",
            "sort takes name, title or package_count, then asc or desc.")]})
    return key, direction == "desc"


def _listing(p: Params, names_param: str) -> dict[str, Any]:
    options = {
        "all_fields": p.boolean("all_fields"),
        "sort": p.string("sort", "order_by") or "title asc",
        "limit": p.integer("limit", default=LIST_MAX),
        "offset": p.integer("offset", default=0),
        "names": p.strings(names_param, limit=LIST_MAX),
        "q": p.string("q").strip().casefold(),
        "counts": p.boolean("include_dataset_count", default=True),
    }
    p.check()
    options["sort_key"], options["reverse"] = _list_sort(options["sort"])
    options["limit"] = min(options["limit"], LIST_MAX)
    return options


def _arrange(rows: list[tuple[Any, str, str, int]], options: Mapping[str, Any]) -> list[tuple[Any, str, str, int]]:
    """Filter (names, q), sort and page rows of (object, name, title, package_count)."""
    if options["names"]:
        wanted = set(options["names"])
        rows = [row for row in rows if row[1] in wanted]
    if options["q"]:
        rows = [row for row in rows if options["q"] in row[1].casefold() or options["q"] in row[2].casefold()]
    key = {"name": lambda row: row[1], "title": lambda row: (search_text.sort_key(row[2]), row[1]),
           "package_count": lambda row: (row[3], row[1])}[options["sort_key"]]
    rows = sorted(rows, key=key, reverse=options["reverse"])
    return rows[options["offset"]:options["offset"] + options["limit"]]


@_action
def organization_list(p: Params) -> list:
    """The organizations: every department (including internal units), by CKAN name.

    :param all_fields: full organization dicts with ``package_count`` instead of names.
    :param sort: ``title asc`` (pinyin order; default), ``name``, ``package_count``, with ``asc``/``desc``.
    :param limit: at most this many (default and maximum 1000); :param offset: skip this many.
    :param organizations: only these names; :param q: only those whose name or title contains this.
    """
    options = _listing(p, "organizations")
    departments, names = _departments()
    counts = _count("department")
    rows = [(d, names[d.id], d.name, counts.get(d.key, 0)) for d in departments]
    rows = _arrange(rows, options)
    if not options["all_fields"]:
        return [row[1] for row in rows]
    return [ckan.organization_dict(d, name, package_count=count if options["counts"] else None)
            for d, name, _title, count in rows]


def _department(ident: str) -> Department:
    departments, names = _departments()
    wanted = ident.strip()
    for department in departments:
        if wanted in (str(department.id), names[department.id], department.key) or (
                department.uscc and wanted.upper() == department.uscc):
            return department
    raise NotFoundError(ckan.bilingual(f"没有组织“{wanted[:60]}”。", f"Organization {wanted[:60]!r} was not found."))


def _datasets(filters: Mapping[str, tuple[str, ...]], include: bool) -> tuple[int, list[dict[str, Any]] | None]:
    scoped = _scope(filters)
    if scoped is None:
        return 0, [] if include else None
    window = _search("", scoped, "relevance", 0, DATASETS_MAX if include else 0)
    return window.total, (_packages(_load([h.id for h in window.hits])) if include else None)


@_action
def organization_show(p: Params) -> dict[str, Any]:
    """One organization (department) by id, name, key or 统一社会信用代码.

    :param id: the organization; :param include_datasets: add ``packages`` (at most 1000 listed packages).
    """
    ident = p.string("id", limit=MAX_ID)
    include = p.boolean("include_datasets")
    p.check()
    if not ident.strip():
        raise _missing("id")
    department = _department(ident)
    _, names = _departments()
    count, packages = _datasets({"department": (department.key,)}, include)
    data = ckan.organization_dict(department, names[department.id], package_count=count,
                                  parent_name=names.get(department.parent_id), detail=True)
    if packages is not None:
        data["packages"] = packages
    return data


@_action
def group_list(p: Params) -> list:
    """The groups: the 资源分类 类 (``1`` …) and 项 (``101`` …), named by code.

    :param all_fields: full group dicts with ``package_count`` instead of names.
    :param sort: ``title asc`` (pinyin order; default), ``name`` (code order), ``package_count``, ``asc``/``desc``.
    :param limit: at most this many (default and maximum 1000); :param offset: skip this many.
    :param groups: only these names; :param q: only those whose name or title contains this.
    """
    options = _listing(p, "groups")
    locale = deps.locale()
    counts = _count("classification")
    concepts = ckan.classification_concepts(deps.container().vocab)
    rows = [(c, c.code, c.label("zh" if locale.startswith("zh") else "en"), counts.get(c.code, 0)) for c in concepts]
    rows = _arrange(rows, options)
    if not options["all_fields"]:
        return [row[1] for row in rows]
    return [ckan.group_dict(c, locale=locale, package_count=count if options["counts"] else None)
            for c, _name, _title, count in rows]


@_action
def group_show(p: Params) -> dict[str, Any]:
    """One group (a 资源分类 类 or 项) by its code.

    :param id: the group; :param include_datasets: add ``packages`` (at most 1000 listed packages).
    """
    ident = p.string("id", limit=MAX_ID).strip()
    include = p.boolean("include_datasets")
    p.check()
    if not ident:
        raise _missing("id")
    concept = next((c for c in ckan.classification_concepts(deps.container().vocab) if c.code == ident), None)
    if concept is None:
        raise NotFoundError(ckan.bilingual(f"没有分组“{ident[:60]}”。", f"Group {ident[:60]!r} was not found."))
    count, packages = _datasets({"classification": (concept.code,)}, include)
    data = ckan.group_dict(concept, locale=deps.locale(), package_count=count, detail=True)
    if packages is not None:
        data["packages"] = packages
    return data


@_action
def tag_list(p: Params) -> list:
    """The keywords of listed packages, sorted.

    :param query: only tags containing this (any case); :param all_fields: tag dicts instead of names.
    """
    query = p.string("query", "q")
    all_fields = p.boolean("all_fields")
    vocabulary = p.string("vocabulary_id")
    p.check()
    if vocabulary:
        raise NotFoundError(ckan.bilingual("没有标签词表。", "Could not find vocabulary"))
    keywords = deps.session().scalars(select(Resource.keywords).where(_listed()))
    names = ckan.tag_names(keywords, query)
    return [ckan.tag_dict(name) for name in names] if all_fields else names


# -- the site ------------------------------------------------------------------------------------


def _version() -> str | None:
    try:
        return metadata.version("mulu")
    except metadata.PackageNotFoundError:
        return None


@_action
def status_show(p: Params) -> dict[str, Any]:
    """The site: title, URL, default language and the CKAN API version answered."""
    return {
        "site_title": _("Mulu government information resource catalog"),
        "site_description": "",
        "site_url": request.url_root.rstrip("/"),
        "ckan_version": ckan.CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": deps.container().settings.default_locale,
        "extensions": [],
        "mulu_version": _version(),
    }


@_action
def help_show(p: Params) -> str:
    """The documentation of an action.

    :param name: the action's name.
    """
    name = p.string("name", limit=MAX_ID)
    p.check()
    if not name:
        raise _missing("name")
    function = ACTIONS.get(name)
    if function is None:
        raise NotFoundError(ckan.bilingual(f"没有操作“{name[:60]}”。", "Action function not found"))
    return inspect.getdoc(function) or ""


# -- the envelope --------------------------------------------------------------------------------


def _respond(status: int, body: Any):
    response = current_app.response_class(json.dumps(body, ensure_ascii=False, default=str), status=status)
    response.headers["Content-Type"] = "application/json;charset=utf-8"
    return response


def _bad_request(detail: str):
    # CKAN answers a bad request with a bare JSON string, not the envelope.
    return _respond(400, f"Bad request - {detail}")


def _error(status: int, body: dict[str, Any], help_url: str):
    return _respond(status, {"help": help_url, "success": False, "error": body})


def action(logic_function: str):
    """Run one action: read the parameters, call it, wrap the answer or the error as CKAN does."""
    name = logic_function[:100]
    help_url = url_for("ckan_api.action", logic_function="help_show", name=name, _external=True)
    if name not in ACTIONS:
        if _WRITES.search(name):
            return _error(403, {"__type": "Authorization Error", "message": (
                f"Access denied: Action not available: {name} (this CKAN-compatible API is read-only)")}, help_url)
        return _bad_request(f"Action name not known: {name}")
    try:
        data = request_data()
    except _BadRequest as error:
        return _bad_request(f"JSON Error: {error}")
    locale = deps.locale()
    try:
        result = ACTIONS[name](Params(data))
    except NotFoundError as error:
        return _error(404, {"__type": "Not Found Error", "message": f"Not found: {error.message.render(locale)}"},
                      help_url)
    except PermissionDeniedError as error:
        return _error(403, {"__type": "Authorization Error",
                            "message": f"Access denied: {error.message.render(locale)}"}, help_url)
    except ValidationError as error:
        fields = render_all(error.fields, locale) or {"message": [error.message.render(locale)]}
        return _error(409, {**fields, "__type": "Validation Error"}, help_url)
    except Exception:
        log.exception("CKAN API action %s failed", name)
        deps.session().rollback()
        return _error(500, {"__type": "Internal Server Error", "message": "Internal Server Error"}, help_url)
    return _respond(200, {"help": help_url, "success": True, "result": result})


ckan_api.add_url_rule("/api/3/action/<logic_function>", "action", action, methods=["GET", "POST"])
ckan_api.add_url_rule("/api/action/<logic_function>", "action", action, methods=["GET", "POST"])


@ckan_api.get("/api/3", strict_slashes=False)
def version():
    """The API's root, as CKAN answers it: the version number."""
    return _respond(200, {"version": 3})


def _http_error(error: HTTPException):
    # Errors raised before the action runs (a rate limit, a NUL byte in the address …) keep CKAN's shapes.
    if error.code == 400:
        return _bad_request(error.description or "Bad request")
    detail = error.description if isinstance(error.description, str) and error.description else error.name
    return _respond(error.code or 500, {"success": False, "error": {"__type": error.name, "message": detail}})


for _status in (400, 404, 405, 413, 429):
    ckan_api.register_error_handler(_status, _http_error)


@ckan_api.after_request
def _cors(response):
    """Any origin may read: the answers are public, and cookies are not sent cross-origin with ``*``."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization, X-CKAN-API-Key"
    return response
