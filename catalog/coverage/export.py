"""Coverage report outputs: terminal table, CSV, a multi-sheet XLSX workbook and JSON, all from one report."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from catalog.coverage.report import PROJECTION_LABELS, SOURCE_LABELS, STATUS_LABELS, CoverageReport, Line
from catalog.i18n import Text, message
from catalog.tabular import write_rows

FORMATS = ("table", "csv", "xlsx", "json")


@dataclass(frozen=True)
class Column:
    """A report column: its key, its label, how to read it from a line, and whether it is a ratio."""

    key: str
    label: Text
    get: Callable[[Line, str | None], Any]
    ratio: bool = False
    groupings: tuple[str, ...] = ("division", "department")  # the --by groupings that show it

    def header(self) -> str:
        """``中文 (key)``, as the spreadsheet exports of Mulu name their columns."""
        return f"{self.label.values['zh']} ({self.key})"


def _figure(name: str) -> Callable[[Line, str | None], Any]:
    return lambda line, _locale: getattr(line.figures, name)


def _projection(line: Line, locale: str | None) -> str:
    projection = line.projection
    if projection is None:
        return ""
    label = PROJECTION_LABELS[projection.status].render(locale)
    return f"{label} {projection.projected_date.isoformat()}" if projection.projected_date else label


T = Text
COLUMNS = (
    Column("name", T({"zh": "名称", "en": "Name"}), lambda line, locale: line.label(locale)),
    Column("key", T({"zh": "标识", "en": "Key"}), lambda line, _l: line.key),
    Column("division", T({"zh": "区划", "en": "Division"}), lambda line, locale: line.division_label(locale),
           groupings=("department",)),
    Column("departments", T({"zh": "部门数", "en": "Departments"}), _figure("departments"), groupings=("division",)),
    Column("departments_covered", T({"zh": "有发布资源的部门", "en": "Departments covered"}),
           _figure("departments_covered")),
    Column("department_coverage", T({"zh": "部门覆盖率", "en": "Department coverage"}),
           lambda line, _l: line.figures.department_coverage, ratio=True, groupings=("division",)),
    Column("departments_meeting_target", T({"zh": "达标部门数", "en": "Departments meeting target"}),
           _figure("departments_meeting_target"), groupings=("division",)),
    Column("expected", T({"zh": "清单资源数", "en": "Expected"}), _figure("expected")),
    Column("cataloged", T({"zh": "已编目", "en": "Cataloged"}), _figure("cataloged")),
    Column("registered", T({"zh": "已注册", "en": "Registered"}), _figure("registered")),
    Column("published", T({"zh": "已发布", "en": "Published"}), _figure("published")),
    Column("ratio_cataloged", T({"zh": "编目率", "en": "Cataloged ratio"}),
           lambda line, _l: line.figures.ratio_cataloged, ratio=True),
    Column("ratio_registered", T({"zh": "注册率", "en": "Registered ratio"}),
           lambda line, _l: line.figures.ratio_registered, ratio=True),
    Column("ratio_published", T({"zh": "发布率", "en": "Published ratio"}),
           lambda line, _l: line.figures.ratio_published, ratio=True),
    Column("resources_cataloged", T({"zh": "已编目资源", "en": "Resources cataloged"}), _figure("resources_cataloged")),
    Column("resources_registered", T({"zh": "已注册资源", "en": "Resources registered"}), _figure("resources_registered")),
    Column("resources_published", T({"zh": "已发布资源", "en": "Resources published"}), _figure("resources_published")),
    Column("conversion_registered", T({"zh": "编目→注册转化率", "en": "Cataloged → registered"}),
           lambda line, _l: line.figures.conversion_registered, ratio=True),
    Column("conversion_published", T({"zh": "注册→发布转化率", "en": "Registered → published"}),
           lambda line, _l: line.figures.conversion_published, ratio=True),
    Column("status", T({"zh": "达标情况", "en": "Status"}),
           lambda line, locale: STATUS_LABELS[line.status].render(locale)),
    Column("projection", T({"zh": "按当前进度预计", "en": "At the current pace"}), _projection),
)
# The terminal shows the essentials; files carry every column.
TABLE_KEYS = ("name", "division", "departments", "departments_covered", "departments_meeting_target", "expected", "cataloged",
              "registered", "published", "ratio_published", "status", "projection")


def columns_for(by: str, keys: Sequence[str] | None = None) -> list[Column]:
    """The columns of a grouping (``division`` or ``department``), all or only ``keys``."""
    return [c for c in COLUMNS if by in c.groupings and (keys is None or c.key in keys)]


def rows(report: CoverageReport, by: str, locale: str | None = None) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows for CSV and XLSX: ratios as fractions (0.8), empty where there is no denominator."""
    columns = columns_for(by)
    data = []
    for line in report.lines(by):
        data.append([_cell(column, line, locale) for column in columns])
    return [column.header() for column in columns], data


def _cell(column: Column, line: Line, locale: str | None) -> Any:
    value = column.get(line, locale)
    if column.ratio and value is not None:
        return round(value, 4)
    return None if value == "" else value


def percent(value: float | None) -> str:
    """``66.7%``, or ``—`` where there is nothing to divide by."""
    return "—" if value is None else f"{100 * value:.1f}%"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(0, width - _width(text))
    return space + text if right else text + space


def render_table(headers: list[str], body: list[list[str]], numeric: Sequence[bool]) -> str:
    """A plain text table, aligned for CJK characters (two columns wide)."""
    widths = [max([_width(h), *(_width(row[i]) for row in body)]) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, widths[i], numeric[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(cell, widths[i], numeric[i]) for i, cell in enumerate(row)).rstrip() for row in body]
    return "\n".join(lines)


def table(report: CoverageReport, by: str, locale: str | None = None) -> str:
    """The terminal view: a header line with the date and target, then the essential columns."""
    columns = columns_for(by, TABLE_KEYS)
    body = []
    for line in report.lines(by):
        cells = []
        for column in columns:
            value = _cell(column, line, locale)
            cells.append(percent(value) if column.ratio else "" if value is None else str(value))
        body.append(cells)
    head = message("Coverage as of {date}; target {target} of the expected resources published by {due}.",
                   date=report.as_of.isoformat(), target=percent(report.target),
                   due=report.target_date.isoformat()).render(locale)
    numeric = [column.ratio or column.key not in ("name", "status", "projection", "division") for column in columns]
    return head + "\n\n" + render_table([c.label.render(locale) for c in columns], body, numeric)


MISSING_HEADERS = ("部门 (department)", "资源名称 (title)", "来源 (source)", "进度 (stage)", "关联资源 (resource)",
                   "资源状态 (resource_status)", "建议关联 (suggestion)", "建议得分 (suggestion_score)")


def missing_rows(report: CoverageReport, locale: str | None = None) -> list[list[Any]]:
    """One row per expected item not yet published: the drill-down from a department to what it lacks."""
    data = []
    for line in report.departments:
        for item in line.missing:
            data.append([line.label(locale), item.title, SOURCE_LABELS[item.source].render(locale),
                         item.to_dict(locale)["stage_label"], item.resource.title if item.resource else None,
                         item.resource.status if item.resource else None,
                         item.suggestion.title if item.suggestion else None, item.suggestion_score])
    return data


TREND_KEYS = ("expected", "cataloged", "registered", "published", "departments_covered", "departments_meeting_target",
              "resources_cataloged", "resources_registered", "resources_published")


def trend_rows(report: CoverageReport) -> tuple[list[str], list[list[Any]]]:
    """The city's trend: one row per period end, with the published ratio."""
    headers = ["期间 (period)", "日期 (date)", *(f"{k}" for k in TREND_KEYS), "发布率 (ratio_published)"]
    return headers, [[p.label, p.day.isoformat(), *(getattr(p.city, k) for k in TREND_KEYS), p.city.ratio_published]
                     for p in report.trend]


def write_report(report: CoverageReport, fmt: str, target: str | IO, *, by: str = "division",
                 locale: str | None = None) -> None:
    """Write the report in ``fmt`` (table, csv, xlsx or json) to a path or stream.

    :param target: a path, or a stream (text for table, csv and json; binary for xlsx).
    :param by: the grouping of the table and the CSV (``division`` or ``department``); XLSX and JSON hold both.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "xlsx":
        from catalog.coverage.workbook import write_workbook

        write_workbook(target, report, by=by, locale=locale)
        return
    if fmt == "csv":
        headers, data = rows(report, by, locale)
        write_rows(target, headers, data, format="csv")
        return
    text = (json.dumps(report.to_dict(locale), ensure_ascii=False, indent=2) if fmt == "json"
            else table(report, by, locale)) + "\n"
    if isinstance(target, str):
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        target.write(text)
