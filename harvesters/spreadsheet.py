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
record's URL, else its title — a department's inventory sheet has no other stable key.
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
from catalog.template import finish_record, rows_to_records, template_columns
from catalog.template_workbook import DATA_SHEET
from harvesters import normalize as n
from harvesters.base import BaseConfigSchema, Harvester, HarvestError, RemoteRecord, SkipRecord

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
        else:
            records = self._template(rows, url)
        self.context.announce_total(len(records))
        for number, record in records:
            remote_id = self._remote_id(record)
            if remote_id is None:
                remote_id = f"row:{number}"
            yield RemoteRecord(remote_id, record, url=_row_url(record, self.config) or f"{url}#row={number}")

    def _tabular(self, data: bytes, fmt: str, url: str):
        if fmt == "xlsx":
            _check_zip(data, url, self.config.get("max_bytes") or self.http.policy.max_bytes)
        name = url.rsplit("/", 1)[-1].split("?")[0] or "download"
        try:
            if fmt == "xlsx" and self.config.get("sheet") is None and not self.config.get("columns"):
                try:  # our template's data sheet wherever it is; other workbooks by their first sheet
                    return list(read_rows(io.BytesIO(data), format="xlsx", sheet=DATA_SHEET))
                except TabularError:
                    pass
            return list(read_rows(_Named(data, name), format=fmt, sheet=self.config.get("sheet")))
        except TabularError as exc:
            raise HarvestError(exc.message, url=url, hint=message("Check the file and the source's format and sheet settings.")) from None

    def _template(self, rows: list[tuple[int, dict]], url: str) -> list[tuple[int, dict]]:
        columns = template_columns(self.profile)
        records = list(rows_to_records([_Row(number, values) for number, values in rows], columns))
        known = {c.path.split(".")[0] for c in columns} - {"items"}
        if records and not any(key in known or (key == "items" and value) for _, record in records
                               for key, value in record.items()):
            headers = ", ".join(list(rows[0][1])[:8])
            raise HarvestError(message("{url} has none of the template's columns (found: {headers}).", url=url,
                                       headers=headers), url=url,
                               hint=message("Use the fill-in template, or give the source a column mapping (columns)."))
        return records

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
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            target = PORTAL_FIELDS.get(target, target) if target in PORTAL_FIELDS else target
            if not target or target.startswith("_"):
                continue
            if target == "update_cycle":
                data["update_cycle"] = n.update_cycle(self.vocab, value)
            elif target in ("open", "open.type"):
                data["open"] = n.open_attributes(self.vocab, value) or {"type": str(value).strip()}
            elif target == "format":
                data["format"] = n.format_of(self.vocab, n.text_list(value))
            elif target == "keywords":
                extra_keywords += n.text_list(value)
            elif target == "theme":
                values = n.text_list(value)
                data["theme"] = data.get("theme") or n.theme(self.vocab, values)
                if not data["theme"]:
                    extra_keywords += values
            elif target in ("title", "abstract"):
                data[target] = n.plain_text(value, n.max_length(self.profile, target))
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

    def _check_department(self, name: str | None) -> None:
        wanted = self.config.get("only_departments")
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
            if value not in (None, ""):
                return value
    return None


def _row_url(row: dict, config) -> str | None:
    value = _mapped(row, config, "_url")
    return str(value).strip() if value else None


def _detect(response) -> str:
    path = response.url.split("?")[0].lower()
    if path.endswith(".json") or response.content_type in ("application/json", "text/json"):
        return "json"
    if path.endswith((".xlsx", ".xlsm")) or response.content[:4] == b"PK\x03\x04":
        return "xlsx"
    if response.content.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] == b"[":
        return "json"
    return "csv"


def _json_rows(response) -> list[dict]:
    body = response.json()
    if isinstance(body, dict):  # {"data": [...]} / {"result": [...]} envelopes
        body = next((v for v in body.values() if isinstance(v, list)), None)
    if not isinstance(body, list):
        raise HarvestError(message("{url} holds no list of records.", url=response.url), url=response.url)
    return [_flat(row) for row in body if isinstance(row, dict)]


def _flat(row: dict) -> dict:
    # Cells of a table are text; a JSON export may hold lists (["file"]) or numbers.
    return {str(k): (v if isinstance(v, str | list) or v is None else str(v)) for k, v in row.items()}


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
