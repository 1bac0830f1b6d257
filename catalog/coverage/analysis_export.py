"""Outputs of the quality and overlap reports: terminal table, CSV, XLSX and JSON."""

from __future__ import annotations

import json
from typing import IO, Any

from catalog.coverage.export import percent, render_table
from catalog.coverage.overlap_service import OverlapReport
from catalog.coverage.quality import WEIGHTS
from catalog.coverage.quality_service import QualityReport
from catalog.coverage.workbook import Sheet, write_sheets
from catalog.i18n import Text, message
from catalog.tabular import write_rows

QUALITY_FORMATS = ("table", "csv", "xlsx", "json")
OVERLAP_FORMATS = ("table", "json", "xlsx")
COMPONENT_LABELS = {
    "mandatory": Text({"zh": "必选项完整", "en": "Mandatory"}),
    "recommended": Text({"zh": "推荐项完整", "en": "Recommended"}),
    "vocabulary": Text({"zh": "代码值有效", "en": "Code lists"}),
    "items": Text({"zh": "信息项", "en": "Items"}),
    "rules": Text({"zh": "共享开放规则", "en": "Share/open rules"}),
    "timeliness": Text({"zh": "更新及时", "en": "Timeliness"}),
    "links": Text({"zh": "链接可用", "en": "Links"}),
}
STATUS_LABELS = {
    "provided": Text({"zh": "已提供", "en": "Provided"}),
    "approximate": Text({"zh": "近似提供", "en": "Approximately provided"}),
    "in_progress": Text({"zh": "编目中", "en": "In progress"}),
    "missing": Text({"zh": "缺失", "en": "Missing"}),
}


def _write_text(target: str | IO, text: str) -> None:
    if isinstance(target, str):
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        target.write(text)


def quality_rows(report: QualityReport, by: str) -> tuple[list[str], list[list[Any]]]:
    """Department (or resource) rows: score 0–100 and each component's mean 0–1, empty where not measured."""
    components = [f"{COMPONENT_LABELS[name].values['zh']} ({name})" for name in WEIGHTS]
    if by == "resource":
        headers = ["资源 (id)", "名称 (title)", "部门 (department_id)", "状态 (status)", "得分 (score)", *components,
                   "未测量 (not_measured)"]
        return headers, [[r.id, r.title, r.department_id, r.status, round(r.score, 1),
                          *(r.components[name].value for name in WEIGHTS), "、".join(r.not_measured) or None]
                         for r in report.resources]
    headers = ["标识 (key)", "名称 (name)", "区划 (division)", "资源数 (resources)", "得分 (score)", *components]
    body = [["city", "全市", None, report.city.resources, _round(report.city.score),
             *(report.city.components.get(name) for name in WEIGHTS)]]
    body += [[d.key, d.name, d.division, d.rollup.resources, _round(d.rollup.score),
              *(d.rollup.components.get(name) for name in WEIGHTS)] for d in report.departments]
    return headers, body


# Both row shapes have four identifying columns, then the score, then the components.
_SCORE = 4


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def write_quality(report: QualityReport, fmt: str, target: str | IO, *, by: str = "department",
                  locale: str | None = None) -> None:
    """Write the quality report (``by`` department or resource for the table and CSV)."""
    if fmt not in QUALITY_FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "json":
        _write_text(target, json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        write_rows(target, *quality_rows(report, by), format="csv")
    elif fmt == "xlsx":
        ratio_columns = frozenset(range(_SCORE + 1, _SCORE + 1 + len(WEIGHTS)))
        sheets = [Sheet("按部门", *quality_rows(report, "department"), ratio_columns),
                  Sheet("按资源", *quality_rows(report, "resource"), ratio_columns),
                  Sheet("权重", ["分项 (component)", "权重 (weight)"], [[name, w] for name, w in WEIGHTS.items()])]
        write_sheets(target, sheets)
    else:
        _write_text(target, quality_table(report, by, locale) + "\n")


def quality_table(report: QualityReport, by: str, locale: str | None = None) -> str:
    """The terminal view: scores and component means as percentages (— where not measured)."""
    headers, body = quality_rows(report, by)
    first = _SCORE
    shown = []
    for row in body:
        cells = ["" if value is None else str(value) for value in row[:first]]
        cells.append("—" if row[first] is None else f"{row[first]:.1f}")
        cells += [percent(value) for value in row[first + 1:first + 1 + len(WEIGHTS)]]
        cells += ["" if value is None else str(value) for value in row[first + 1 + len(WEIGHTS):]]
        shown.append(cells)
    labels = [h.split(" (")[0] if locale in (None, "zh", "zh_CN") else h.split(" (")[-1].rstrip(")") for h in headers]
    numeric = [False] * len(labels)
    for index in range(first, first + 1 + len(WEIGHTS)):
        numeric[index] = True
    head = message("Metadata quality on {date}: score 0–100, weights {weights}.", date=report.day.isoformat(),
                   weights=", ".join(f"{name} {weight}" for name, weight in WEIGHTS.items())).render(locale)
    return head + "\n\n" + render_table(labels, shown, numeric)


def _few(names: list[str], limit: int = 4) -> str:
    """The first names and how many more: ``甲、乙、丙 等7个``."""
    shown = "、".join(names[:limit])
    return f"{shown} 等{len(names)}个" if len(names) > limit else shown


def write_overlap(report: OverlapReport, fmt: str, target: str | IO, *, locale: str | None = None) -> None:
    """Write the overlap report: text (three sections), JSON, or an XLSX workbook with three sheets."""
    if fmt not in OVERLAP_FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "json":
        _write_text(target, json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == "xlsx":
        groups = [[n, "、".join(g.departments), round(g.score, 3),
                   "\n".join(f"{r.department}：{r.title}" for r in g.resources), "、".join(g.shared_items)]
                  for n, g in enumerate(report.resources, start=1)]
        items = [[row["name"], len(row["departments"]), "、".join(row["departments"]), row["resources"],
                  "、".join(row["spellings"])] for row in report.items]
        fields = [[library["title"].get("zh", library["key"]), f["name"], STATUS_LABELS[f["status"]].render(locale),
                   "、".join(f["departments"])] for library in report.libraries for f in library["fields"]]
        write_sheets(target, [
            Sheet("重复资源", ["组 (group)", "部门 (departments)", "相似度 (score)", "资源 (resources)",
                           "共同信息项 (shared_items)"], groups),
            Sheet("重复信息项", ["信息项 (item)", "部门数 (count)", "部门 (departments)", "资源数 (resources)",
                            "写法 (spellings)"], items),
            Sheet("基础库字段", ["基础库 (library)", "字段 (field)", "状态 (status)", "提供部门 (departments)"], fields),
        ])
        return
    _write_text(target, overlap_text(report, locale))


def overlap_text(report: OverlapReport, locale: str | None = None) -> str:
    """The terminal view: groups of look-alike resources, widely collected items, and the libraries' fields."""
    lines = [message("Resources that several departments collect").render(locale)]
    for number, group in enumerate(report.resources, start=1):
        lines.append(f"{number:>3}. {group.score:.2f}  {_few(group.departments)}")
        lines += [f"       {entry.department}：{entry.title} [{entry.status}]" for entry in group.resources]
        if group.shared_items:
            shared = message("Shared items: {names}", names=_few(group.shared_items, 8))
            lines.append("       " + shared.render(locale))
    lines += ["", message("Information items collected by several departments").render(locale)]
    body = [[row["name"], str(len(row["departments"])), str(row["resources"]), _few(row["departments"])]
            for row in report.items]
    lines.append(render_table(["信息项", "部门数", "资源数", "部门"], body, [False, True, True, False]))
    lines += ["", message("Fields of the basic information libraries").render(locale)]
    body = [[library["title"].get("zh", library["key"]), f["name"], STATUS_LABELS[f["status"]].render(locale),
             _few(f["departments"])] for library in report.libraries for f in library["fields"]]
    lines.append(render_table(["基础库", "字段", "状态", "提供部门"], body, [False] * 4))
    return "\n".join(lines) + "\n"
