"""The CKAN harvester: the Action API's ``package_search`` paged with rows/start, ``package_show`` where needed.

The first run (and any run after the source's settings changed) lists everything. Later runs ask
only for packages modified since the last successful run (``fq=metadata_modified:[… TO *]``) and
then list the ids of all packages (``fl=id``, small pages), so records deleted upstream are still
noticed. A source may also name its datasets (``datasets``), fetched one by one with ``package_show``.

Quirks seen in the wild:

- DKAN's CKAN-compatible API answers ``package_show`` with a *list* of one package, and dates such
  as ``"metadata_created": "mar, 10/12/2019 - 09:23"``;
- EnviDat reports ``count: 858`` while a page holds 2 — a server that ignores ``start`` would page
  forever: a page that brings no new id stops the listing (reported, and the listing is treated
  as incomplete so nothing is withdrawn);
- ckanext-scheming/fluent portals carry ``title_translated`` / ``notes_translated`` / ``tags_translated``;
  opendata.swiss puts the language dicts in ``title``, ``description``, ``keywords`` and the resources'
  ``name`` themselves (``notes`` then holds the JSON *text* of a dict, often of empty strings);
  open.canada.ca adds ``keywords`` as a dict of lists;
- the frequency hides under many keys: ``update_freq`` (data.gov.au), ``accrualPeriodicity`` (data.gov
  extras), HDX's ``data_update_frequency`` in days (``"90"``), ``freq:daily`` (opentransportdata.swiss);
- geodata portals (data.gov.au, data.wa.gov.au) describe resources as ``WMS``, ``WFS``, ``GeoJSON``…;
- a package stored or relayed without the Action API envelope (no ``result``) is still a package.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from marshmallow import fields, validate

from catalog.i18n import Text, message
from harvesters import normalize as n
from harvesters.base import BaseConfigSchema, Harvester, HarvestError, RemoteRecord, SkipRecord

_METADATA_ID = re.compile(r"^metadata_[0-9a-f]{32}$")
_FREQUENCY_KEYS = ("frequency", "accrual_periodicity", "accrualPeriodicity", "update_frequency", "update_freq",
                   "data_update_frequency", "更新频率", "更新周期")
# HDX counts data_update_frequency in days; -2 is "as needed", -1 "never" (left to 其他), 0 "live".
_HDX_DAYS = {"-2": "asneeded", "0": "continuous", "1": "daily", "7": "weekly", "30": "monthly", "90": "quarterly",
             "180": "semiannual", "365": "annual"}
# A prefixed name such as "freq:daily" (not a URI: no "//" after the colon).
_CURIE = re.compile(r"^[A-Za-z][\w.-]*:(?!//)([A-Za-z][\w-]*)$")
# A language key of a ckanext-fluent dict: "zh", "en", "de", "zh_CN", "zh-Hant", "fr-CA".
_LANG_KEY = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
# Geodata and service format names outside the national format table, with the name the table knows:
# OGC and ArcGIS services are 服务接口; GeoJSON is JSON; KML and GML are XML.
_FORMAT_ALIASES = {"wms": "api", "wfs": "api", "wmts": "api", "wcs": "api", "ogc:wms": "api", "ogc:wfs": "api",
                   "ogc:wmts": "api", "esri rest": "api", "arcgis geoservices rest api": "api", "sparql": "api",
                   "geojson": "json", "kml": "xml", "gml": "xml"}
NOT_DATASETS = frozenset({"harvest"})
MAX_DISTRIBUTIONS = 100


class CkanConfigSchema(BaseConfigSchema):
    """Settings of a CKAN source."""

    organization = fields.String(load_default=None)
    fq = fields.String(load_default=None)
    rows = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    incremental = fields.Boolean(load_default=True)
    datasets = fields.List(fields.String(), load_default=None)
    max_pages = fields.Integer(load_default=10000, validate=validate.Range(1, 1000000))


def api_base(url: str) -> str:
    """The Action API base of a CKAN site URL (``…/api/3/action``), however the URL was given."""
    url = url.rstrip("/")
    for suffix in ("/package_search", "/package_show", "/api/3/action", "/api/3", "/api/action", "/api"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url + "/api/3/action"


class CkanHarvester(Harvester):
    """Harvest the datasets (packages) of a CKAN portal."""

    name = "ckan"
    title = Text({"zh": "CKAN 门户", "en": "CKAN portal"})
    config_schema = CkanConfigSchema

    @property
    def site(self) -> str:
        return api_base(self.context.url)[: -len("/api/3/action")]

    def _call(self, action: str, **params: Any) -> Any:
        url = f"{api_base(self.context.url)}/{action}"
        response = self.http.get(url, params=params, headers=self.context.auth_headers(),
                                 max_bytes=self.config.get("max_bytes"), read_timeout=self.config.get("read_timeout"))
        body = response.json()
        if _unwrapped(action, body):
            # A package (or a page of them) stored or relayed without the envelope: the answer itself.
            return body
        if not isinstance(body, dict) or "result" not in body:
            raise HarvestError(message("{url} is not a CKAN API answer (no result).", url=response.url), url=response.url,
                               hint=message("Check that the source URL is the CKAN site (its /api/3/action must answer)."))
        if body.get("success") is False:
            error = body.get("error") or {}
            detail = error.get("message") if isinstance(error, dict) else str(error)
            raise HarvestError(message("The CKAN API refused {action}: {detail}", action=action, detail=detail or "?"),
                               url=response.url)
        return body["result"]

    # -- gather --------------------------------------------------------------------------------

    def gather(self) -> Iterator[RemoteRecord]:
        if self.config.get("datasets"):
            for name in self.config["datasets"]:
                yield RemoteRecord(name, {"_listing": True, "id": name}, url=f"{self.site}/dataset/{name}")
            return
        since = self.context.since if self.config.get("incremental", True) else None
        query = " ".join(part for part in (self._filter(), _since_filter(since)) if part)
        yield from self._search(query, full=True, announce=since is None)
        if since is not None:
            # The changed packages came first; now every id, so deleted ones can be told from unchanged.
            yield from self._search(self._filter(), full=False, announce=True)

    def _filter(self) -> str:
        parts = []
        if self.config.get("organization"):
            parts.append(f"organization:{self.config['organization']}")
        if self.config.get("fq"):
            parts.append(self.config["fq"])
        return " ".join(parts)

    def _search(self, fq: str, *, full: bool, announce: bool) -> Iterator[RemoteRecord]:
        rows = self.config.get("rows", 100) if full else 1000
        seen: set[str] = set()
        start, pages = 0, 0
        while True:
            if pages >= self.config.get("max_pages", 10000):
                self._incomplete(message("Paging stopped after {count} pages.", count=pages))
                return
            params: dict[str, Any] = {"q": "*:*", "rows": rows, "start": start, "sort": "id asc"}
            if fq:
                params["fq"] = fq
            if not full:
                params["fl"] = "id,name,metadata_modified"
            result = self._call("package_search", **params)
            pages += 1
            packages = result.get("results") if isinstance(result, dict) else None
            if not isinstance(packages, list):
                raise HarvestError(message("package_search answered without a results list."), url=self.context.url)
            count = result.get("count")
            if announce and pages == 1 and isinstance(count, int):
                self.context.announce_total(count)
            new = 0
            for package in packages:
                if not isinstance(package, dict) or not package.get("id"):
                    continue
                if package["id"] in seen:
                    continue
                seen.add(package["id"])
                new += 1
                yield self._record(package, full)
            start += len(packages)
            if not packages or (isinstance(count, int) and start >= count):
                return
            if new == 0:
                # The server ignores "start" (or pages overlap completely): it would page forever.
                self._incomplete(message("The CKAN API returned the same packages again at start={start}; paging stopped.",
                                         start=start))
                return

    def _incomplete(self, reason) -> None:
        self.context.listing_complete = False
        self.context.warnings.append(HarvestError(reason, url=self.context.url,
                                                  hint=message("Records not listed are kept; the next run tries again.")))

    def _record(self, package: dict, full: bool) -> RemoteRecord:
        url = f"{self.site}/dataset/{package.get('name') or package['id']}"
        modified = n.parse_datetime(package.get("metadata_modified"))
        # str(): remote ids are stored as text; a CKAN-compatible API may number its packages.
        return RemoteRecord(str(package["id"]), package if full else None, url=url, modified=modified)

    # -- fetch ---------------------------------------------------------------------------------

    def fetch(self, record: RemoteRecord) -> RemoteRecord:
        if not (isinstance(record.payload, dict) and record.payload.get("_listing")):
            return record
        package = self._call("package_show", id=record.remote_id)
        if isinstance(package, list):  # DKAN
            package = package[0] if package else None
        if not isinstance(package, dict):
            raise HarvestError(message("package_show of {id} answered no package.", id=record.remote_id), url=record.url)
        return RemoteRecord(str(package.get("id") or record.remote_id), package, url=record.url,
                            modified=n.parse_datetime(package.get("metadata_modified")))

    # -- map -----------------------------------------------------------------------------------

    def map(self, record: RemoteRecord) -> dict[str, Any]:
        package = record.payload
        # ckanext-harvest keeps its sources as packages of type "harvest" (data.gov lists them when the
        # query asks for every type): they describe another catalog, not a dataset.
        if package.get("type") in NOT_DATASETS:
            raise SkipRecord(message("{name} is a {type} record of the remote CKAN, not a dataset.",
                                     name=_text(package.get("name")) or record.remote_id, type=package["type"]))
        vocab, profile = self.vocab, self.profile
        extras = _extras(package)
        data: dict[str, Any] = {}
        title = _pick(package.get("title_translated"), package.get("title"))
        data["title"] = n.plain_text(title, n.max_length(profile, "title", 200))
        # opendata.swiss leaves notes empty and describes the dataset in "description".
        notes = _pick(package.get("notes_translated"), package.get("notes")) or _pick(package.get("description"))
        data["abstract"] = n.plain_text(notes, n.max_length(profile, "abstract", 4000))
        data["keywords"] = n.keywords(_tags(package), profile)
        data["update_cycle"] = n.update_cycle(vocab, _frequency(package, extras))
        data["open"] = _open(vocab, package, extras)
        resources = [r for r in package.get("resources") or [] if isinstance(r, dict)]
        formats = [_format_name(v) for r in resources for v in (r.get("format"), r.get("mimetype")) if isinstance(v, str)]
        data["format"] = n.format_of(vocab, formats)
        rows = (n.distribution(profile, title=_pick(r.get("name_translated"), r.get("name")) or _pick(r.get("title")),
                               url=r.get("url"), media_type=_text(r.get("mimetype")) or _text(r.get("format")),
                               description=_pick(r.get("description_translated"), r.get("description")))
                for r in resources[:MAX_DISTRIBUTIONS])
        data["distributions"] = [row for row in rows if row]
        groups = [_pick(g.get(key)) for g in package.get("groups") or [] if isinstance(g, dict) for key in ("title", "name")]
        data["theme"] = n.theme(vocab, [*groups, extras.get("theme")])
        for key in ("metadata_id", "code"):
            value = package.get(key) or extras.get(key)
            if isinstance(value, str) and (key == "code" or _METADATA_ID.match(value)):
                data[key] = value
        return {key: value for key, value in data.items() if value not in (None, [], {})}


def _since_filter(since) -> str | None:
    if since is None:
        return None
    moment = since.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    return f"metadata_modified:[{moment}Z TO *]"


def _extras(package: dict) -> dict[str, Any]:
    extras = package.get("extras") or []
    if isinstance(extras, dict):
        return extras
    return {e.get("key"): e.get("value") for e in extras if isinstance(e, dict) and e.get("key")}


def _unwrapped(action: str, body: Any) -> bool:
    """Whether ``body`` is the answer of ``action`` without the ``{"success", "result"}`` envelope."""
    if not isinstance(body, dict) or any(key in body for key in ("result", "success", "error")):
        return False
    if action == "package_search":
        return isinstance(body.get("results"), list) and "count" in body
    return action == "package_show" and bool(body.get("id")) and ("resources" in body or "name" in body)


def _variants(value: Any) -> list[tuple[str, str | None]]:
    """The ``(text, language)`` variants of a CKAN text value for :func:`normalize.pick_language`.

    :param value: plain text, a ckanext-fluent dict (``{"de": …, "fr": …}``), or such a dict written as
        JSON text (opentransportdata.swiss's ``notes``); anything else has no variant.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{") and text.endswith("}"):
            try:
                decoded = json.loads(text)
            except ValueError:
                decoded = None
            # Only a dict keyed by languages: "{x}" may just be text in braces.
            if isinstance(decoded, dict) and decoded and all(_LANG_KEY.match(str(key)) for key in decoded):
                return _variants(decoded)
        return [(value, None)]
    if isinstance(value, dict):
        return [(text, str(lang)) for lang, text in value.items() if isinstance(text, str)]
    return []


def _pick(*values: Any) -> str | None:
    """One text among the language variants of ``values`` (Chinese first, then English)."""
    return n.pick_language([variant for value in values for variant in _variants(value)])


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _format_name(value: str) -> str:
    low = value.strip().lower()
    # data.wa.gov.au: "API ArcGIS Server Map Service".
    return _FORMAT_ALIASES.get(low) or ("api" if low.startswith("api ") else value)


def _frequency(package: dict, extras: dict) -> str | None:
    """The first stated frequency, spelled so that :func:`normalize.update_cycle` knows it."""
    for key in _FREQUENCY_KEYS:
        for value in (package.get(key), extras.get(key)):
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not value.strip():
                continue
            text = value.strip()
            if key == "data_update_frequency":
                return _HDX_DAYS.get(text, text)
            curie = _CURIE.match(text)
            return curie.group(1) if curie else text
    return None


def _tags(package: dict) -> list[str]:
    # tags_translated (ckanext-fluent), then keywords as a dict of lists (opendata.swiss, open.canada.ca).
    for translated in (package.get("tags_translated"), package.get("keywords")):
        if isinstance(translated, dict):
            for lang in sorted(translated, key=lambda tag: (not str(tag).lower().startswith("zh"),
                                                            not str(tag).startswith("en"))):
                if isinstance(translated[lang], list) and translated[lang]:
                    return [str(t) for t in translated[lang] if t]
    tags = []
    for tag in package.get("tags") or []:
        if isinstance(tag, dict):
            tags.append(_pick(tag.get("display_name")) or _pick(tag.get("name")))
        elif isinstance(tag, str):
            tags.append(tag)
    if not any(tags) and isinstance(package.get("keywords"), list):
        tags = [t for t in package["keywords"] if isinstance(t, str)]
    return [t for t in tags if t]


def _open(vocab, package: dict, extras: dict) -> dict[str, Any] | None:
    if package.get("private") is True:
        return {"is_open": False}
    rights = package.get("access_rights") or extras.get("access_rights")
    stated = n.open_attributes(vocab, rights) if isinstance(rights, str) else None
    if stated:
        return stated
    if package.get("isopen") is True and package.get("private") is False:
        # A public package under an open licence on an open-data portal: 无条件开放.
        return {"is_open": True, "type": "unconditional"}
    return None
