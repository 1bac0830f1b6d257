"""The spreadsheet harvester: the national fill-in template (XLSX/CSV), or any table with a column mapping.

Without ``columns`` the file is read as the guide's template, exactly as ``mulu resource import``
reads it (:mod:`catalog.template`): one resource per group of rows, information items included.
With ``columns`` each row (of a CSV/XLSX sheet, or each object of a JSON array) is one resource and
the mapping says which column fills which field. A target is a field path of the profile
(``title``, ``open.type``, ``record_count`` …) or one of the portal field names used by the
mapping files of Chinese portal crawls (``title``, ``description``, ``update_frequency``,
``is_open``, ``data_formats``, ``tags``, ``category``, ``department``, ``url``, ``update_time``,
``data_volume`` …), so such a mapping file can be used as it is. See docs/harvesting.md.

The remote id is the ``id_column``, else 元数据标识符 / 信息资源代码 (a Mulu export read back), else the
record's URL, else its title — a department's inventory sheet has no other stable key. Rows that share
an id but differ (a portal that gives every dataset its catalogue's landing page as "URL") are told
apart by their title, then by their order among themselves; identical rows stay one record.

Portal exports seen in the wild: JSON files that are several arrays written one after the other
(``[…][…]``, a crawler appending page by page) or JSON Lines; GB18030 text without a declared charset;
their cells' own quirks are read by :mod:`harvesters.portal_values`. Mapped columns that no row has (a
mapping file written for another export of the portal) are reported as a job warning.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

from marshmallow import fields, validate

from catalog.i18n import Text, message
from catalog.schemas.resource import READ_ONLY_KEYS
from catalog.tabular import TabularError, read_rows
from catalog.template import finish_record, rows_to_records, template_columns, template_rows
from catalog.template_cells import TemplateError
from harvesters import normalize as n
from harvesters.base import BaseConfigSchema, Harvester, HarvestError, RemoteRecord, SkipRecord
from harvesters.portal_values import (
    cell_text,
    cycle_of,
    format_of,
    is_blank,
    open_of,
    portal_datetime,
    portal_text,
    record_count,
    subject_terms,
    theme_of,
)

#: Field names of the Chinese portal mapping files and the resource field each one fills.
PORTAL_FIELDS = {
    "title": "title", "description": "abstract", "update_frequency": "update_cycle", "is_open": "open",
    "data_formats": "format", "tags": "keywords", "category": "theme", "industry": "keywords",
    "url": "_url", "update_time": "_modified", "department": "_department", "data_volume": "record_count",
    "publish_time": None, "telephone": None, "email": None,
}
_ZIP_RATIO = 20


class SpreadsheetConfigSchema(BaseConfigSchema):
    """Settings of a spreadsheet source."""

    format = fields.String(load_default=None, validate=validate.OneOf(["csv", "xlsx", "json"]))
    sheet = fields.Raw(load_default=None)
    columns = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), load_default=None)
    id_column = fields.String(load_default=None)
    only_departments = fields.List(fields.String(), load_default=None)


class SpreadsheetHarvester(Harvester):
    """Harvest the rows of a spreadsheet or JSON export published at a URL."""

    name = "spreadsheet"
    title = Text({"zh": "电子表格（填报模板或字段映射）", "en": "Spreadsheet (fill-in template or column mapping)"})
    config_schema = SpreadsheetConfigSchema

    def gather(self) -> Iterator[RemoteRecord]:
        response = self.http.get(self.context.url, headers=self.context.auth_headers(),
                                 max_bytes=self.config.get("max_bytes"), read_timeout=self.config.get("read_timeout"))
        fmt = self.config.get("format") or _detect(response)
        url = response.url
        if fmt == "json":
            rows = [(i, row) for i, row in enumerate(_json_rows(response), start=1)]
        else:
            rows = [(row.number, row.values) for row in self._tabular(response.content, fmt, url)]
        if self.config.get("columns"):
            records = [(number, {"_row": number, **values}) for number, values in rows]
            self._check_columns([values for _, values in rows], url)
        else:
            records = self._template(rows, url)
        self.context.announce_total(len(records))
        ids = _unique_ids([self._remote_id(record) or f"row:{number}" for number, record in records],
                          [record for _, record in records],
                          [_mapped(record, self.config, "title") or record.get("title") for _, record in records])
        for (number, record), remote_id in zip(records, ids, strict=True):
            yield RemoteRecord(remote_id, record, url=_row_url(record, self.config) or f"{url}#row={number}",
                               modified=portal_datetime(_mapped(record, self.config, "_modified")))

    def _tabular(self, data: bytes, fmt: str, url: str):
        if fmt == "xlsx":
            _check_zip(data, url, self.config.get("max_bytes") or self.http.policy.max_bytes)
        name = url.rsplit("/", 1)[-1].split("?")[0] or "download"
        try:
            if not self.config.get("columns"):  # the national template, found as `mulu resource import` finds it
                return template_rows(_Named(data, name), template_columns(self.profile), format=fmt,
                                     sheet=self.config.get("sheet"))
            return list(read_rows(_Named(data, name), format=fmt, sheet=self.config.get("sheet")))
        except TabularError as exc:
            raise HarvestError(exc.message, url=url, hint=message("Check the file and the source's format and sheet settings.")) from None

    def _template(self, rows: list[tuple[int, dict]], url: str) -> list[tuple[int, dict]]:
        columns = template_columns(self.profile)
        try:
            records = list(rows_to_records([_Row(number, values) for number, values in rows], columns))
        except TemplateError as exc:  # a sheet that cannot be read without guessing: the job says where
            raise HarvestError(exc.message, url=url, hint=message("Correct the sheet; nothing of it was harvested.")) from None
        known = {c.path.split(".")[0] for c in columns} - {"items"}
        if records and not any(key in known or (key == "items" and value) for _, record in records
                               for key, value in record.items()):
            headers = ", ".join(list(rows[0][1])[:8])
            raise HarvestError(message("{url} has none of the template's columns (found: {headers}).", url=url,
                                       headers=headers), url=url,
                               hint=message("Use the fill-in template, or give the source a column mapping (columns)."))
        return records

    def _check_columns(self, rows: list[dict], url: str) -> None:
        """Warn when mapped columns are in no row: a mapping written for another export of the portal.

        Quirk: 池州's mapping file maps 更新日期 where its export says 更新时间, 黄山's 资源简介 where it says
        摘要; without a word, every resource would silently lack its modification date or description.
        """
        present = {key for row in rows for key in row}
        missing = [column for column, target in (self.config.get("columns") or {}).items()
                   if column not in present and target and PORTAL_FIELDS.get(target, target)]
        if rows and missing:
            mapped = set(self.config.get("columns") or {})
            unmapped = [key for key in dict.fromkeys(key for row in rows for key in row) if key not in mapped]
            self.context.warnings.append(HarvestError(
                message("No row of {url} has the mapped columns {columns}: those fields stay empty.", url=url,
                        columns=", ".join(missing)), url=url,
                hint=message("Check the column mapping against the file's headings; columns not mapped: {unmapped}.",
                             unmapped=", ".join(unmapped[:20]) or "-")))

    def _remote_id(self, record: dict) -> str | None:
        column = self.config.get("id_column")
        candidates = [record.get(column)] if column else []
        candidates += [record.get("metadata_id"), record.get("code")]
        candidates += [_row_url(record, self.config), _mapped(record, self.config, "title")]
        if not self.config.get("columns"):
            candidates.append(record.get("title"))
        return next((str(c).strip()[:500] for c in candidates if c not in (None, "") and str(c).strip()), None)

    def map(self, record: RemoteRecord) -> dict[str, Any]:
        if self.config.get("columns"):
            return self._map_columns(record.payload)
        data = finish_record(json.loads(json.dumps(record.payload)), self.vocab)
        department = data.pop("department", None)
        self._check_department(department.get("name") if isinstance(department, dict) else None)
        allowed = {e.name for e in self.profile.elements} | READ_ONLY_KEYS
        # Columns the template does not know (a 备注 beside the table) are left out, not fatal.
        return {key: value for key, value in data.items() if key in allowed}

    def _map_columns(self, row: dict) -> dict[str, Any]:
        data: dict[str, Any] = {}
        extra_keywords: list[str] = []
        for column, target in (self.config.get("columns") or {}).items():
            value = row.get(column)
            if is_blank(value):
                continue
            target = PORTAL_FIELDS.get(target, target) if target in PORTAL_FIELDS else target
            if not target or target.startswith("_"):
                continue
            if target == "update_cycle":
                data["update_cycle"] = cycle_of(self.vocab, value)
            elif target in ("open", "open.type"):
                data["open"] = open_of(self.vocab, value) or {"type": cell_text(value)}
            elif target == "format":
                data["format"] = format_of(self.vocab, value)
            elif target == "keywords":
                extra_keywords += subject_terms(self.vocab, value)
            elif target == "theme":
                values = subject_terms(self.vocab, value)
                theme = data.get("theme") or next(filter(None, (theme_of(self.vocab, v) for v in values)), None)
                data["theme"] = theme
                # Categories that are not the theme's own label still say what the resource is about (公共服务,
                # 信用体系; 农业, narrower than the theme 农业、水利 it names).
                extra_keywords += [v for v in values if not theme or theme_of(self.vocab, v, abridged=False) != theme]
            elif target in ("title", "abstract"):
                data[target] = n.plain_text(portal_text(value), n.max_length(self.profile, target))
            elif target == "record_count":
                data[target] = record_count(value)
            else:
                group, _, key = target.partition(".")
                if key:
                    data.setdefault(group, {})[key] = value
                else:
                    data[target] = value
        self._check_department(_mapped(row, self.config, "_department"))
        if extra_keywords:
            data["keywords"] = n.keywords([*data.get("keywords", []), *extra_keywords], self.profile)
        link = n.url_or_none(_row_url(row, self.config))
        if link and "distributions" not in data:
            data["distributions"] = [{"kind": "link", "url": link}]
        return {key: value for key, value in data.items() if value not in (None, [], {})}

    def _check_department(self, name: Any) -> None:
        wanted = self.config.get("only_departments")
        name = None if is_blank(name) else cell_text(name)
        if wanted and (name or "").strip() not in wanted:
            raise SkipRecord(message("Provided by {department}, which this source does not harvest.",
                                     department=name or "?"))


class _Row:
    def __init__(self, number: int, values: dict):
        self.number, self.values = number, values


class _Named(io.BytesIO):
    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name = name


def _mapped(row: dict, config, target: str) -> Any:
    """The value of the column mapped to ``target`` (a Mulu path or a portal field name)."""
    for column, wanted in (config.get("columns") or {}).items():
        if wanted == target or PORTAL_FIELDS.get(wanted or "") == target:
            value = row.get(column)
            if not is_blank(value):
                return value
    return None


def _row_url(row: dict, config) -> str | None:
    value = _mapped(row, config, "_url")
    return cell_text(value) if value else None


def _unique_ids(ids: list[str], records: list[dict], titles: list[Any]) -> list[str]:
    """Make the remote ids of different rows different, keeping identical rows together.

    Quirk: 福州's export gives every dataset the catalogue's landing page as its URL; without this, the
    runner would take the rows for one record listed many times and keep the first.
    """
    prints = [json.dumps({k: v for k, v in record.items() if k != "_row"}, ensure_ascii=False, sort_keys=True,
                         default=str) for record in records]
    variants: dict[str, set[str]] = {}
    for remote_id, fingerprint in zip(ids, prints, strict=True):
        variants.setdefault(remote_id, set()).add(fingerprint)
    ids = [_suffixed(remote_id, cell_text(title)) if len(variants[remote_id]) > 1 and not is_blank(title) else remote_id
           for remote_id, title in zip(ids, titles, strict=True)]
    # Still shared (same URL and title, other content): their order among themselves tells them apart.
    seen: dict[str, dict[str, int]] = {}
    result = []
    for remote_id, fingerprint in zip(ids, prints, strict=True):
        order = seen.setdefault(remote_id, {})
        rank = order.setdefault(fingerprint, len(order))
        result.append(remote_id if rank == 0 else _suffixed(remote_id, str(rank + 1)))
    return result


def _suffixed(remote_id: str, suffix: str) -> str:
    suffix = suffix[:100]
    return f"{remote_id[:499 - len(suffix)]}#{suffix}"


def _detect(response) -> str:
    path = response.url.split("?")[0].lower()
    if path.endswith((".json", ".jsonl", ".ndjson")) or response.content_type in ("application/json", "text/json"):
        return "json"
    if path.endswith((".xlsx", ".xlsm")) or response.content[:4] == b"PK\x03\x04":
        return "xlsx"
    if response.content.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def _json_rows(response) -> list[dict]:
    body = _json_body(response)
    if isinstance(body, dict):  # {"data": [...]} / {"result": [...]} envelopes
        body = next((v for v in body.values() if isinstance(v, list)), None)
    if not isinstance(body, list):
        raise HarvestError(message("{url} holds no list of records.", url=response.url), url=response.url)
    return [_flat(row) for row in body if isinstance(row, dict)]


def _json_body(response) -> Any:
    """The JSON of a portal export: one document, or several written one after the other.

    Quirks: crawlers append each page's array to the file (``[…][…]``) or write JSON Lines (one object
    a line); a file saved on a Chinese Windows is GB18030 without saying so (as for CSV,
    :func:`catalog.tabular.read_rows`).
    """
    text = response.text() if response.charset else _decoded(response)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        error = exc
    decoder, position, values = json.JSONDecoder(), 0, []
    text = text.lstrip("\ufeff")
    try:
        while True:
            while position < len(text) and (text[position].isspace() or text[position] == ","):
                position += 1
            if position >= len(text):
                break
            value, position = decoder.raw_decode(text, position)
            values.append(value)
    except json.JSONDecodeError:
        values = []
    if len(values) < 2:
        raise HarvestError(message("{url} is not valid JSON ({detail}).", url=response.url,
                                   detail=f"{error.msg}, line {error.lineno} column {error.colno}"), url=response.url,
                           hint=message("The remote answered something else than JSON: check the source URL and type."))
    # Arrays one after the other are one list; objects one after the other are its records.
    return [item for value in values for item in (value if isinstance(value, list) else [value])]


def _decoded(response) -> str:
    try:
        return response.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return response.content.decode("gb18030")
    except UnicodeDecodeError:
        return response.text()  # raises the error that names the URL and the encoding


def _flat(row: dict) -> dict:
    # Cells of a table are text; a JSON export may hold numbers, lists (["file"], nested ones too) or
    # objects ({"name": "市统计局"}). JSON true/false stay booleans: they mean open / not open.
    return {str(k): _cell(v) for k, v in row.items()}


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, list | tuple):
        flat = []
        for item in value:
            item = _cell(item)
            flat += item if isinstance(item, list) else [] if item is None else [item]
        return flat
    if isinstance(value, dict):
        named = next((value[k] for k in ("name", "title", "label", "value", "text") if not is_blank(value.get(k))), None)
        return _cell(named) if named is not None else json.dumps(value, ensure_ascii=False)
    return str(value)


def _check_zip(data: bytes, url: str, limit: int) -> None:
    """Refuse a workbook that inflates far beyond the download limit (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise HarvestError(message("{url} is not a valid XLSX workbook.", url=url), url=url) from None
    if inflated > _ZIP_RATIO * limit:
        raise HarvestError(message("{url} unpacks to {size} MB, far more than it weighs; it is refused.", url=url,
                                   size=inflated // 1024**2), url=url)
