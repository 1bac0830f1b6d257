"""The spreadsheet harvester: the national template (XLSX, CSV) and mapped exports of Chinese portals."""

from __future__ import annotations

import io
import json
import zipfile
import zlib

import openpyxl
import pytest
from sqlalchemy import select

from catalog.models import Resource
from catalog.tabular import write_rows
from catalog.template import resource_to_rows, template_columns
from catalog.template_workbook import write_workbook
from harvesters.models import HarvestLink, HarvestRecord
from tests.catalog.factories import resource_input

NJU = "china-opendata-nju"


def _template_rows(world, titles):
    """Resource JSON of complete resources, as another department's system would fill the template."""
    service = world.service("admin")
    rows = []
    for title in titles:
        resource = service.create(resource_input(world.rsj, title=title))
        data = service.to_json(resource)
        for key in ("metadata_id", "code", "id"):
            data.pop(key, None)
        rows.append(data)
        service.delete_draft(resource.id)
    return rows


def test_national_template_xlsx(world, site, sources, harvest, session, container):
    buffer = io.BytesIO()
    write_workbook(buffer, container.profile, container.vocab, _template_rows(world, ["低保对象名册", "特困人员名册"]))
    url = site.add("/inventory.xlsx", buffer.getvalue(),
                   content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    source = sources("mzj-sheet", "spreadsheet", url)
    result = harvest(source)
    assert result.job.status == "done", (result.job.errors, result.outcomes)
    assert result.job.counts == {"created": 2}
    resource = session.scalars(select(Resource).where(Resource.title == "低保对象名册")).one()
    assert resource.department_id == world.mzj.id  # the source's department, whatever the sheet says
    assert [item.name for item in resource.items] == ["姓名", "身份证号码", "保障金额"]
    assert resource.share_type == "conditional" and resource.update_cycle == "4"
    assert harvest(source).job.counts == {"unchanged": 2}


def test_national_template_csv_lands_registered_for_a_trusted_source(world, site, sources, harvest, session, container):
    columns = template_columns(container.profile)
    rows = [row for data in _template_rows(world, ["救助资金发放明细"]) for row in resource_to_rows(data, columns, container.vocab)]
    buffer = io.BytesIO()
    write_rows(buffer, ["序号", *[c.header for c in columns]], [[1, *row] for row in rows], format="csv")
    url = site.add("/inventory.csv", buffer.getvalue(), content_type="text/csv")
    result = harvest(sources("trusted-sheet", "spreadsheet", url, trusted=True))
    assert result.job.counts == {"created": 1}, result.outcomes
    resource = session.get(Resource, result.outcomes[0].resource_id)
    # The sheet's full 分类码 (written by 人社局's system) wins over the source's default 类+项.
    assert resource.status == "registered" and resource.code.startswith("307016/")


def test_a_department_workbook_with_a_cover_sheet_and_a_title_row(world, site, sources, harvest, container):
    # As departments send it: instructions first, then the table under a title, as `mulu resource import` reads it.
    columns = template_columns(container.profile)
    rows = [row for data in _template_rows(world, ["临时救助对象名册"]) for row in resource_to_rows(data, columns, container.vocab)]
    workbook = openpyxl.Workbook()
    workbook.active.title = "填报说明"
    workbook.active.append(["请按国家目录编制指南填写，信息资源名称必填。"])
    sheet = workbook.create_sheet("民政局")
    sheet.append(["淮南市民政局政务信息资源目录（2026年）"])
    sheet.append([c.header for c in columns])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    url = site.add("/mzj.xlsx", buffer.getvalue(),
                   content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    result = harvest(sources("mzj-workbook", "spreadsheet", url))
    assert result.job.counts == {"created": 1}, (result.job.errors, result.outcomes)
    assert result.outcomes[0].url.endswith("#row=3")


def test_a_sheet_that_is_not_the_template_fails_clearly(fixtures_dir, site, sources, harvest):
    # A DCAT key/value sheet (tenforce): none of the national template's headings.
    url = site.add("/meta.csv", (fixtures_dir / "spreadsheets/tenforce-dcat-ap-pipeline/datasetMetadata.csv").read_bytes(),
                   content_type="text/csv")
    result = harvest(sources("tenforce", "spreadsheet", url))
    assert result.job.status == "failed", (result.job.errors, result.outcomes)
    assert "none of the template's columns" in result.job.errors[0]["message"]["en"]


def _mapping(fixtures_dir, path):
    return json.loads((fixtures_dir / NJU / path).read_text(encoding="utf-8"))


def test_hefei_portal_export_with_its_mapping_file(fixtures_dir, site, sources, harvest, session):
    url = site.add("/hefei.json", (fixtures_dir / NJU / "tamakow/metadata/anhui_hefei.json").read_bytes())
    columns = _mapping(fixtures_dir, "tamakow/mapping/anhui_hefei_mapping.json")
    source = sources("hefei", "spreadsheet", url, config={"columns": columns, "only_departments": ["合肥市自然资源和规划局"]})
    result = harvest(source)
    assert result.job.status == "done", result.job.errors
    assert result.job.counts == {"created": 21, "skipped": 300}
    resource = session.get(Resource, next(o.resource_id for o in result.outcomes if o.status == "created"))
    assert resource.open_is_open is True and resource.open_type == "unconditional"
    assert resource.update_cycle in ("7", "9")  # 每年, or 每两年 → 其他
    assert resource.distributions[0].url.startswith("https://www.hefei.gov.cn/")
    assert resource.format_class in ("1", "2")
    skipped = session.scalars(select(HarvestRecord).where(HarvestRecord.status == "skipped")).first()
    assert "does not harvest" in skipped.message["en"]
    assert harvest(source).job.counts == {"unchanged": 21, "skipped": 300}


def test_luan_portal_export_maps_tags_volume_and_formats(fixtures_dir, site, sources, harvest, session):
    url = site.add("/luan.json", (fixtures_dir / NJU / "cqsss/data/anhui_luan.json").read_bytes())
    columns = _mapping(fixtures_dir, "cqsss/mapping/anhui_luan.json")
    result = harvest(sources("luan", "spreadsheet", url, config={"columns": columns, "only_departments": ["六安市公安局"]}))
    assert result.job.counts.get("created") == 40, (result.job.counts, result.outcomes[:3])
    resources = [session.get(Resource, o.resource_id) for o in result.outcomes if o.status == "created"]
    assert all(r.format_class == "2" for r in resources)  # ['xls', …] → 电子表格
    assert any(r.extras.get("record_count") for r in resources)
    assert all(r.keywords for r in resources)


def test_an_inflating_workbook_is_refused(site, sources, harvest):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    url = site.add("/bomb.xlsx", buffer.getvalue(), content_type="application/octet-stream")
    result = harvest(sources("bomb", "spreadsheet", url, config={"max_bytes": 1024 * 1024}))
    assert result.job.status == "failed"
    assert "unpacks to" in result.job.errors[0]["message"]["en"]


@pytest.mark.parametrize(("text", "expected"), [
    ("['xls', 'api']", ["xls", "api"]), ("[xls]", ["xls"]), (["file"], ["file"]), ("a、b,c", ["a", "b", "c"]),
    ("商贸流通\r\n\t公共管理", ["商贸流通", "公共管理"]), ("", []),
])
def test_lists_written_as_text_in_portal_exports(text, expected):
    from harvesters.normalize import text_list

    assert text_list(text) == expected


# Held-out portal exports: small samples written here that reproduce what other portals' exports do.

PORTAL_COLUMNS = {"标题": "title", "数据主题": "category", "所属行业": "industry", "标签": "tags", "更新周期": "update_frequency",
                  "数据格式": "data_formats", "数据量": "data_volume", "更新时间": "update_time", "来源部门": "department",
                  "详情页网址": "url"}


def _row(title, **cells):
    return {"标题": title, "详情页网址": f"https://data.example.gov.cn/detail?id={zlib.crc32(title.encode())}", **cells}


def test_arrays_written_one_after_the_other_and_json_lines(site, sources, harvest):
    # A crawler appending each page's array ("[…][…]", 南充), and JSON Lines: one list of records each.
    pages = "".join(json.dumps([_row(f"资源{page}-{i}") for i in range(2)], ensure_ascii=False) for page in range(3))
    url = site.add("/pages.json", pages.encode())
    assert harvest(sources("pages", "spreadsheet", url, config={"columns": PORTAL_COLUMNS})).job.counts == {"created": 6}
    lines = "\n".join(json.dumps(_row(f"行{i}"), ensure_ascii=False) for i in range(3)) + "\n"
    url = site.add("/lines.jsonl", lines.encode(), content_type="application/octet-stream")
    assert harvest(sources("lines", "spreadsheet", url, config={"columns": PORTAL_COLUMNS})).job.counts == {"created": 3}
    # Still broken JSON is refused with the usual message.
    url = site.add("/broken.json", b'[{"\xe6\xa0\x87\xe9\xa2\x98": "x"}] oops')
    result = harvest(sources("broken", "spreadsheet", url, config={"columns": PORTAL_COLUMNS}))
    assert result.job.status == "failed" and "is not valid JSON" in result.job.errors[0]["message"]["en"]


def test_a_json_export_saved_as_gb18030(site, sources, harvest, session):
    url = site.add("/gbk.json", json.dumps([_row("低保对象名册")], ensure_ascii=False).encode("gb18030"))
    result = harvest(sources("gbk", "spreadsheet", url, config={"columns": PORTAL_COLUMNS}))
    assert result.job.counts == {"created": 1}, result.outcomes
    assert session.get(Resource, result.outcomes[0].resource_id).title == "低保对象名册"


def test_rows_sharing_a_url_are_told_apart(site, sources, harvest):
    # 福州 gives every dataset the catalogue's landing page as its URL; one row is listed twice.
    landing = "http://data.example.gov.cn/catalog"
    rows = [{"名称": "价格表", "关键字": "价格", "url": landing}, {"名称": "收费标准", "关键字": "收费", "url": landing},
            {"名称": "价格表", "关键字": "价格", "url": landing},  # the same row again: one record
            {"名称": "价格表", "关键字": "物价", "url": landing}]  # same title, other content
    url = site.add("/landing.json", rows)
    source = sources("landing", "spreadsheet", url, config={"columns": {"名称": "title", "关键字": "tags", "url": "url"}})
    result = harvest(source)
    assert result.job.counts == {"created": 3}, result.outcomes
    assert sorted(o.remote_id for o in result.outcomes) == [f"{landing}#价格表", f"{landing}#价格表#2", f"{landing}#收费标准"]
    assert harvest(source).job.counts == {"unchanged": 3}


def test_themes_and_industry_names_holding_enumeration_commas(site, sources, harvest, session):
    rows = [
        _row("渔业执法证", 数据主题="农业、水利", 所属行业="A.农、林、牧、渔业", 标签="国土资源、能源\r\n\t信息传输、软件和信息技术服务业"),
        _row("环评审批", 数据主题="气象 水文 测绘 地震", 标签="重大项目、批准结果"),
        _row("公务员考试", 数据主题=["公共服务", "综合政务"], 所属行业="公共管理、社会保障和社会组织", 标签="招考,科技、教育"),
    ]
    url = site.add("/themes.json", rows)
    result = harvest(sources("themes", "spreadsheet", url, config={"columns": PORTAL_COLUMNS}))
    assert result.job.counts == {"created": 3}, result.outcomes
    got = {r.title: r for r in (session.get(Resource, o.resource_id) for o in result.outcomes)}
    assert got["渔业执法证"].theme == "G"  # GB/T 21063.4 农业、水利, not 农业 + 水利
    assert got["渔业执法证"].keywords == ["农、林、牧、渔业", "国土资源、能源", "信息传输、软件和信息技术服务业"]
    assert got["环评审批"].theme == "K" and got["环评审批"].keywords == ["重大项目", "批准结果"]
    assert got["公务员考试"].theme == "A"
    assert got["公务员考试"].keywords == ["公共服务", "公共管理、社会保障和社会组织", "招考", "科技、教育"]


def test_placeholders_counts_dates_and_format_labels(site, sources, harvest, session):
    rows = [_row("气象预报", 数据主题="暂无", 所属行业="暂无", 更新周期="暂无", 数据格式="DB数据库", 数据量="1.2万条",
                 更新时间="2022-6-27", 来源部门={"name": "自治区气象局"}),
            _row("其他部门的资源", 来源部门="自治区卫健委")]
    url = site.add("/odd.json", rows)
    source = sources("odd", "spreadsheet", url, config={"columns": PORTAL_COLUMNS, "only_departments": ["自治区气象局"]},
                     defaults={"classification_code": "307", "update_cycle": "8"})
    result = harvest(source)
    assert result.job.counts == {"created": 1, "skipped": 1}, result.outcomes
    weather = session.get(Resource, next(o.resource_id for o in result.outcomes if o.status == "created"))
    assert weather.update_cycle == "8"  # 暂无 says nothing: the source's default, not 其他
    assert "暂无" not in weather.keywords and weather.theme is None
    assert weather.format_class == "3" and weather.extras["record_count"] == 12000
    link = session.scalars(select(HarvestLink).where(HarvestLink.resource_id == weather.id)).one()
    assert link.remote_modified.date().isoformat() == "2022-06-27"


def test_nested_lists_and_counts_that_are_not_numbers(site, sources, harvest, session):
    rows = [_row("企业名录", 数据格式=[["xls"], ["csv"]], 数据量="469,585", 更新时间="2023年5月4日", 标签=[["名录", "企业"]]),
            _row("坏数量", 数据量="很多")]
    result = harvest(sources("nested", "spreadsheet", site.add("/nested.json", rows), config={"columns": PORTAL_COLUMNS}))
    assert result.job.counts == {"created": 1, "error": 1}, result.outcomes
    names = session.get(Resource, next(o.resource_id for o in result.outcomes if o.status == "created"))
    assert names.format_type == "2-02" and names.extras["record_count"] == 469585 and names.keywords == ["名录", "企业"]
    error = next(o for o in result.outcomes if o.status == "error")
    # Validation names the field and the rule, in both languages.
    assert "whole number" in error.fields["record_count"][0].render("en")
    assert error.fields["record_count"][0].render("zh_CN") != error.fields["record_count"][0].render("en")


@pytest.mark.parametrize(("text", "expected"), [
    ("农业、水利", ["农业、水利"]), ("N.水利、环境和公共设施管理业", ["水利、环境和公共设施管理业"]),
    ("文化、卫生、体育\r\n\t卫生和社会工作", ["文化、卫生、体育", "卫生和社会工作"]), ("重大项目、批准结果", ["重大项目", "批准结果"]),
    ("['file']", ["file"]), ("暂无", []), ([["a", "b"], "c、d"], ["a", "b", "c", "d"]),
])
def test_portal_terms_keep_vocabulary_labels_whole(container, text, expected):
    from harvesters.portal_values import terms

    assert terms(container.vocab, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2022-6-27", "2022-06-27T00:00:00+00:00"), ("2022/06/27 10:30", "2022-06-27T10:30:00+00:00"),
    ("2022年6月7日", "2022-06-07T00:00:00+00:00"), ("2022-06-27T08:00:00Z", "2022-06-27T08:00:00+00:00"), ("暂无", None),
    ("mar, 10/12/2019", None),
])
def test_portal_dates(text, expected):
    from harvesters.portal_values import portal_datetime

    moment = portal_datetime(text)
    assert (moment.isoformat() if moment else None) == expected


# Second round of held-out portals (淮北, 芜湖, 滁州, 池州, 黄山, 宿州, 银川, 内江): samples written here.

def test_share_terms_escaped_breaks_vague_categories_and_uncounted_rows(site, sources, harvest, session):
    columns = {**PORTAL_COLUMNS, "开放条件": "is_open", "描述": "description", "标签": "tags"}
    rows = [_row("物价总指数", 开放条件="无条件共享", 更新周期="按年更新", 数据主题="其他", 所属行业="无", 数据量=0,
                 描述="物价总指数\\n年份,指数"),
            _row("学校名录", 开放条件="有条件共享", 数据主题="农业水利", 数据格式="http", 数据量="0",
                 标签="“喜迎二十大、永远跟党走”征文名单,（2016年，按行业分）汇总")]
    result = harvest(sources("other-portals", "spreadsheet", site.add("/others.json", rows), config={"columns": columns}))
    assert result.job.counts == {"created": 2}, result.outcomes
    got = {r.title: r for r in (session.get(Resource, o.resource_id) for o in result.outcomes)}
    prices, schools = got["物价总指数"], got["学校名录"]
    # 淮北 writes the share type in its 开放条件 column: the open type of the same condition.
    assert (prices.open_type, prices.open_is_open, schools.open_type) == ("unconditional", True, "conditional")
    assert prices.update_cycle == "7"  # 按年更新: yearly, not 其他
    assert prices.abstract == "物价总指数\n年份,指数"  # 芜湖's "\n" written as two characters
    assert prices.keywords == [] and prices.theme is None  # 其他 and 无 say nothing
    assert "record_count" not in prices.extras and "record_count" not in schools.extras  # 0: not counted
    assert schools.theme == "G" and schools.format_class == "7"  # 农业水利 → 农业、水利; http → 服务接口
    assert schools.keywords == ["农业水利", "“喜迎二十大、永远跟党走”征文名单", "（2016年，按行业分）汇总"]


def test_mapped_columns_that_no_row_has_are_reported(site, sources, harvest):
    # 池州's mapping says 更新日期 where its export says 更新时间: the run says so instead of losing the dates.
    url = site.add("/chizhou.json", [{"标题": "建筑业", "更新时间": "2022-05-19"}, {"标题": "国民经济核算", "更新时间": "2022-08-05"}])
    source = sources("chizhou", "spreadsheet", url, config={"columns": {"标题": "title", "更新日期": "update_time", "电话": None}})
    result = harvest(source)
    assert result.job.counts == {"created": 2} and result.job.status == "done_with_errors", result.job.errors
    [warning] = result.job.errors
    assert "mapped columns 更新日期" in warning["message"]["en"] and "更新时间" in warning["hint"]["en"]
    assert "更新日期" in warning["message"]["zh_CN"]
    assert harvest(source).job.counts == {"unchanged": 2}


@pytest.mark.parametrize(("text", "expected"), [
    ("农业", "G"), ("农业水利", "G"), ("教育科技", "N"), ("文化、体育", "O"), ("城乡建设", "F"), ("农业、水利", "G"),
    ("工业农业", None), ("金融", None), ("医疗卫生", None), ("其他", None),
])
def test_abridged_theme_labels(container, text, expected):
    from harvesters.portal_values import theme_of

    assert theme_of(container.vocab, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("按年更新", "7"), ("按季度更新", "5"), ("按半年更新", "6"), ("按需更新", "8"), ("每两年", "9"), ("其他", "9"), ("每月", "4"),
])
def test_portal_frequency_wordings(container, text, expected):
    from harvesters.portal_values import cycle_of

    assert cycle_of(container.vocab, text) == expected


def test_a_template_sheet_that_cannot_be_read_without_guessing_fails_the_job_naming_the_row(site, sources, harvest,
                                                                                           session):
    buffer = io.BytesIO()
    write_rows(buffer, ["信息资源名称", "信息项名称", "数据类型"],
               [["低保对象名册", "姓名、身份证号码、保障金额", "字符型、字符型"]], format="csv")
    url = site.add("/unpaired.csv", buffer.getvalue(), content_type="text/csv")
    result = harvest(sources("unpaired", "spreadsheet", url))
    assert result.job.status == "failed" and result.job.counts == {}
    error = result.job.errors[0]
    assert error["message"]["en"].startswith("Row 2: 数据类型 lists 2 values but 信息项名称 lists 3 information items")
    assert error["hint"]["en"] == "Correct the sheet; nothing of it was harvested."
    assert session.scalars(select(Resource)).first() is None
