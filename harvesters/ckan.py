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
- ckanext-scheming/fluent portals carry ``title_translated`` / ``notes_translated`` / ``tags_translated``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from marshmallow import fields, validate

from catalog.i18n import Text, message
from harvesters import normalize as n
from harvesters.base import BaseConfigSchema, Harvester, HarvestError, RemoteRecord

_METADATA_ID = re.compile(r"^metadata_[0-9a-f]{32}$")
_FREQUENCY_KEYS = ("frequency", "accrual_periodicity", "update_frequency", "更新频率", "更新周期")
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
        return RemoteRecord(package["id"], package if full else None, url=url, modified=modified)

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
        vocab, profile = self.vocab, self.profile
        extras = _extras(package)
        data: dict[str, Any] = {}
        title = n.pick_language([*_translated(package.get("title_translated")), (package.get("title"), None)])
        data["title"] = n.plain_text(title, n.max_length(profile, "title", 200))
        notes = n.pick_language([*_translated(package.get("notes_translated")), (package.get("notes"), None)])
        data["abstract"] = n.plain_text(notes, n.max_length(profile, "abstract", 4000))
        data["keywords"] = n.keywords(_tags(package), profile)
        frequency = next((v for k in _FREQUENCY_KEYS for v in (package.get(k), extras.get(k)) if v), None)
        data["update_cycle"] = n.update_cycle(vocab, frequency)
        data["open"] = _open(vocab, package, extras)
        resources = [r for r in package.get("resources") or [] if isinstance(r, dict)]
        data["format"] = n.format_of(vocab, [v for r in resources for v in (r.get("format"), r.get("mimetype"))])
        rows = (n.distribution(profile, title=r.get("name"), url=r.get("url"),
                               media_type=r.get("mimetype") or r.get("format"), description=r.get("description"))
                for r in resources[:MAX_DISTRIBUTIONS])
        data["distributions"] = [row for row in rows if row]
        groups = [g.get(key) for g in package.get("groups") or [] if isinstance(g, dict) for key in ("title", "name")]
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


def _translated(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [(text, lang) for lang, text in value.items() if isinstance(text, str)]
    return []


def _tags(package: dict) -> list[str]:
    translated = package.get("tags_translated")
    if isinstance(translated, dict):
        for lang in sorted(translated, key=lambda tag: (not tag.lower().startswith("zh"), not tag.startswith("en"))):
            if isinstance(translated[lang], list) and translated[lang]:
                return [str(t) for t in translated[lang]]
    tags = []
    for tag in package.get("tags") or []:
        if isinstance(tag, dict):
            tags.append(tag.get("display_name") or tag.get("name"))
        elif isinstance(tag, str):
            tags.append(tag)
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
