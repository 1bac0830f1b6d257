"""Every output of the coverage report (table, CSV, XLSX, JSON) says what the independent count says."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook

from catalog.coverage.analysis_export import write_overlap, write_quality
from catalog.coverage.export import write_report
from catalog.coverage.overlap_service import OverlapService
from catalog.coverage.quality_service import QualityService
from catalog.coverage.service import CoverageService
from tests.coverage.test_measures import independent, totals

DAY = date(2010, 6, 30)
KEYS = ("expected", "cataloged", "registered", "published")


@pytest.fixture
def report(city):
    return CoverageService(city.container, city.session, city.world.actor("auditor")).report(DAY)


@pytest.fixture
def truth(city):
    counts = independent(city.session, DAY)
    return {"city": totals(list(counts.values())), **{key: {k: row[k] for k in KEYS} for key, row in counts.items()}}


def by_key(rows: list[dict]) -> dict[str, dict]:
    return {row["key (key)"] if "key (key)" in row else row["标识 (key)"]: row for row in rows}


def test_json_agrees(report, truth):
    buffer = io.StringIO()
    write_report(report, "json", buffer, locale="en")
    data = json.loads(buffer.getvalue())
    assert {k: data["city"][k] for k in KEYS} == {k: truth["city"][k] for k in KEYS}
    for department in data["departments"]:
        assert {k: department[k] for k in KEYS} == truth[department["key"]]
    assert data["city"]["ratio_published"] == 0.375 and data["as_of"] == "2010-06-30"
    assert data["trend"][-1]["city"]["published"] == truth["city"]["published"]
    assert {m["title"] for d in data["departments"] for m in d["missing"]} >= {"残疾人两项补贴发放信息", "城乡低保对象信息"}


@pytest.mark.parametrize("by", ["division", "department"])
def test_csv_agrees(report, truth, by):
    buffer = io.StringIO()
    write_report(report, "csv", buffer, by=by)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue().lstrip("\ufeff"))))
    keyed = by_key(rows)
    headers = {"expected": "清单资源数 (expected)", "cataloged": "已编目 (cataloged)",
               "registered": "已注册 (registered)", "published": "已发布 (published)"}
    assert {k: int(keyed["city"][h]) for k, h in headers.items()} == {k: truth["city"][k] for k in KEYS}
    assert float(keyed["city"]["发布率 (ratio_published)"]) == 0.375
    if by == "department":
        for key in ("mzj", "rsj", "ft-mzj", "sx-mzj"):
            assert {k: int(keyed[key][h]) for k, h in headers.items()} == truth[key]
        assert keyed["ft-mzj"]["发布率 (ratio_published)"] == ""  # no inventory: no ratio, not 100%
        assert keyed["ft-mzj"]["达标情况 (status)"] == "无清单"
    else:
        assert set(keyed) == {"city", "340400", "340421", "340422"}
        assert int(keyed["340400"]["部门数 (departments)"]) == 2


def test_xlsx_agrees_and_drills_down_to_missing_items(report, truth):
    buffer = io.BytesIO()
    write_report(report, "xlsx", buffer, by="department")
    workbook = load_workbook(buffer, read_only=True)
    assert workbook.sheetnames == ["说明", "按部门", "按区划", "缺项", "趋势"]
    rows = list(workbook["按部门"].iter_rows(values_only=True))
    header, body = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    keyed = {row["标识 (key)"]: row for row in body}
    assert "发布率 (ratio_published)" in header
    for key in ("city", "mzj", "rsj"):
        assert {k: keyed[key][f"{label} ({k})"] for k, label in zip(
            KEYS, ("清单资源数", "已编目", "已注册", "已发布"), strict=True)} == {k: truth[key][k] for k in KEYS}
    missing = list(workbook["缺项"].iter_rows(values_only=True))[1:]
    assert ("淮南市民政局", "残疾人两项补贴发放信息") in {(row[0], row[1]) for row in missing}
    assert len(missing) == sum(len(line.missing) for line in report.departments) == 5
    trend = list(workbook["趋势"].iter_rows(values_only=True))
    assert trend[-1][0] == "2010-06" and trend[-1][-1] == 0.375


def test_table_shows_the_same_numbers(report):
    buffer = io.StringIO()
    write_report(report, "table", buffer, by="division", locale="en")
    text = buffer.getvalue()
    assert "Coverage as of 2010-06-30; target 80.0%" in text
    city_line = next(line for line in text.splitlines() if line.startswith("City-wide"))
    assert city_line.split()[1:9] == ["4", "3", "1", "8", "5", "4", "3", "37.5%"]
    zh = io.StringIO()
    write_report(report, "table", zh, by="department", locale="zh_CN")
    assert "无清单" in zh.getvalue() and "淮南市民政局" in zh.getvalue()
    with pytest.raises(ValueError):
        write_report(report, "pdf", io.StringIO())


def test_quality_and_overlap_outputs_agree(city):
    quality = QualityService(city.container, city.session, city.world.actor("auditor")).report()
    data = io.StringIO()
    write_quality(quality, "json", data)
    scores = {d["key"]: d["score"] for d in json.loads(data.getvalue())["departments"]}
    rows = io.StringIO()
    write_quality(quality, "csv", rows)
    from_csv = {row["标识 (key)"]: row["得分 (score)"]
                for row in csv.DictReader(io.StringIO(rows.getvalue().lstrip("\ufeff")))}
    assert {k: float(v) if v else None for k, v in from_csv.items() if k != "city"} == scores
    workbook = io.BytesIO()
    write_quality(quality, "xlsx", workbook)
    assert load_workbook(workbook, read_only=True).sheetnames == ["按部门", "按资源", "权重"]
    table = io.StringIO()
    write_quality(quality, "table", table, by="resource", locale="en")
    assert "mandatory 30" in table.getvalue()
    overlap = OverlapService(city.container, city.session, city.world.actor("auditor")).report()
    text = io.StringIO()
    write_overlap(overlap, "table", text, locale="zh_CN")
    assert "人口基础信息库" in text.getvalue() and "身份证号码" in text.getvalue()
    workbook = io.BytesIO()
    write_overlap(overlap, "xlsx", workbook)
    fields = list(load_workbook(workbook, read_only=True)["基础库字段"].iter_rows(values_only=True))
    assert len(fields) == 1 + 7 + 9
