"""The XLSX fill-in template: ``mulu resource template``, XLSX export and import, and sheets in the 1272 style.

The commands commit, so every test has a throwaway database (tests/clitools.py): SQLite, or a
PostgreSQL database of its own when ``MULU_TEST_DATABASE_URL`` is a PostgreSQL URL.
"""

from __future__ import annotations

import re

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from catalog.actor import Actor
from catalog.models import Resource
from catalog.profile import load_profile
from catalog.services.resource import ResourceService
from catalog.tabular import Row
from catalog.template import finish_record, rows_to_records, template_columns
from tests.catalog.factories import WORKFLOW_PATHS, advance, resource_input
from tests.clitools import cli_on_fresh_database, jsonl
from vocab import load_registry

HEADERS = ("序号", "信息资源分类", "信息资源名称", "信息资源代码", "信息资源提供方", "信息资源提供方代码", "信息资源摘要",
           "信息资源格式分类", "信息资源格式类型", "共享类型", "共享条件", "不予共享依据", "共享方式", "是否向社会开放",
           "开放条件", "更新周期", "所属系统", "数据范围", "信息项名称", "数据类型", "数据长度", "元数据标识符")
REGISTRY_KEYS = {"id", "metadata_id", "code", "status", "version", "created_at", "updated_at", "published_on",
                 "metadata_updated"}


@pytest.fixture
def cli(tmp_path):
    with cli_on_fresh_database(tmp_path) as runner:
        runner.seed()
        yield runner


def _headers(sheet) -> list[str]:
    return [cell.value for cell in sheet[1]]


def _column(sheet, header: str) -> str:
    return get_column_letter(_headers(sheet).index(header) + 1)


def _report_rows(output: str) -> list[int]:
    return [int(number) for number in re.findall(r"^row (\d+):$", output, flags=re.MULTILINE)]


def _content(record: dict) -> dict:
    data = {key: value for key, value in record.items() if key not in REGISTRY_KEYS}
    data["department"] = record["department"]["uscc"]
    return data


# -- the empty template -----------------------------------------------------------------------------


def test_template_has_the_data_sheet_pickers_and_instructions(cli, tmp_path):
    path = tmp_path / "模板.xlsx"
    assert f"template written to {path}" in cli.ok("resource", "template", "-o", str(path)).output
    book = load_workbook(path)
    assert book.sheetnames[0] == "信息资源目录"
    assert {"填写说明", "代码表"} <= set(book.sheetnames)
    sheet = book["信息资源目录"]
    headers = _headers(sheet)
    assert headers[0] == "序号"
    for header in HEADERS:
        assert header in headers, header
    assert headers.index("信息资源名称") < headers.index("信息项名称")  # resource columns, then item columns
    assert sheet.max_row == 1

    # Drop-down pickers on the code-list and yes/no columns, listing the Chinese labels.
    lists = book["代码表"]
    pickers = {}
    for validation in sheet.data_validations.dataValidation:
        assert validation.type == "list"
        letter = re.match(r"'代码表'!\$([A-Z]+)\$2", validation.formula1).group(1)
        values = [cell.value for cell in lists[letter][1:] if cell.value is not None]
        for cell_range in str(validation.sqref).split():
            pickers[re.match(r"[A-Z]+", cell_range).group(0)] = values
    assert pickers[_column(sheet, "共享类型")] == ["无条件共享", "有条件共享", "不予共享"]
    assert "每月" in pickers[_column(sheet, "更新周期")]
    assert pickers[_column(sheet, "是否向社会开放")] == ["是", "否"]
    assert "字符型" in pickers[_column(sheet, "数据类型")]
    assert pickers[_column(sheet, "信息资源格式分类")][:3] == ["电子文件", "电子表格", "数据库"]
    assert pickers[_column(sheet, "数据范围")] == ["市级", "县区级"]
    assert _column(sheet, "信息资源名称") not in pickers

    instructions = book["填写说明"]
    described = {row[0].value: row for row in instructions.iter_rows(min_row=2)}
    for header in headers:
        assert header in described, header
    assert described["信息资源名称"][2].value == "必填"
    assert described["信息资源代码"][2].value == "系统生成"
    assert described["元数据标识符"][2].value == "系统生成"
    assert described["共享类型"][4].value == "共享类型"


# -- export and import ------------------------------------------------------------------------------


def _catalog(cli) -> None:
    """Resources with several information items each, in several states."""
    container = cli.container()
    with container.unit_of_work() as session:
        service = ResourceService(container, session, Actor.system("test"))
        specs = [
            ("draft", {}),
            ("published", {"items": [
                {"name": "姓名", "data_type": "C", "length": 50},
                {"name": "出生日期", "data_type": "D"},
                {"name": "低保金额", "data_type": "N", "length": 10, "description": "元/月"},
                {"name": "是否残疾", "data_type": "L", "is_open": False},
            ], "distributions": [{"kind": "service", "title": "低保对象核验接口",
                                  "url": "https://data.huainan.example/api/dibao", "service_type": "REST",
                                  "media_type": "application/json", "description": "按身份证号码核验"}]}),
            ("registered", {"share": {"type": "不予共享", "basis": "《中华人民共和国个人信息保护法》第二十八条",
                                      "method": "介质方式"},
                            "abstract": "=SUM(A1:A2) 看上去像公式的摘要"}),
            ("returned", {"keywords": ["婚姻", "登记"], "open": {"is_open": "是", "type": "有条件开放",
                                                                   "condition": "依申请"}}),
        ]
        for number, (state, overrides) in enumerate(specs, start=1):
            resource = service.create(resource_input("hn-mzj", title=f"民政资源{number}", **overrides))
            advance(service, resource.id, WORKFLOW_PATHS[state])


def test_xlsx_export_groups_items_under_their_resource(cli, tmp_path):
    _catalog(cli)
    path = tmp_path / "目录.xlsx"
    assert "4 resources written" in cli.ok("resource", "export", "--format", "xlsx", "-o", str(path)).output
    sheet = load_workbook(path)["信息资源目录"]
    headers = _headers(sheet)
    rows = [dict(zip(headers, (cell.value for cell in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    # One row per information item (3 + 4 + 3 + 3); 序号 numbers the resources on their first rows.
    assert len(rows) == 13
    assert [row["序号"] for row in rows if row["序号"] is not None] == [1, 2, 3, 4]
    published = next(i for i, row in enumerate(rows) if row["信息资源名称"] == "民政资源2")
    group = rows[published:published + 4]
    assert [row["信息项名称"] for row in group] == ["姓名", "出生日期", "低保金额", "是否残疾"]
    assert [row["数据类型"] for row in group] == ["字符型", "日期型", "数值型", "逻辑型"]
    assert group[0]["共享类型"] == "有条件共享" and group[0]["更新周期"] == "每月" and group[0]["是否向社会开放"] == "否"
    assert group[0]["信息资源代码"].startswith("307015/")
    # A resource's continuation rows carry only item cells.
    item_headers = {"信息项名称", "数据类型", "数据长度", "信息项说明", "信息项共享类型", "信息项共享条件",
                    "信息项是否向社会开放"}
    for row in group[1:]:
        assert {h for h, v in row.items() if v is not None} <= item_headers
    # Text that looks like a formula stays text.
    formula_like = next(row for row in rows if row["信息资源名称"] == "民政资源3")
    assert formula_like["信息资源摘要"] == "=SUM(A1:A2) 看上去像公式的摘要"


def test_xlsx_round_trip_into_a_fresh_catalog_and_back(cli, tmp_path):
    _catalog(cli)
    path = tmp_path / "目录.xlsx"
    cli.ok("resource", "export", "--format", "xlsx", "-o", str(path))
    exported = sorted(jsonl(cli.ok("resource", "export")), key=lambda r: r["title"])

    # Into the same catalog: the resources are found by 元数据标识符 and nothing changed.
    assert "4 unchanged." in cli.ok("--lang", "en", "resource", "import", str(path)).stdout

    with cli_on_fresh_database(tmp_path / "fresh") as fresh:
        fresh.seed()
        result = fresh.ok("--lang", "en", "resource", "import", str(path))
        assert "4 created, 0 updated, 0 skipped, 0 with errors." in result.stdout
        imported = sorted(jsonl(fresh.ok("resource", "export")), key=lambda r: r["title"])
    assert [_content(r) for r in imported] == [_content(r) for r in exported]
    assert [len(r["items"]) for r in imported] == [3, 4, 3, 3]
    assert imported[1]["distributions"] == exported[1]["distributions"]


def test_xlsx_round_trip_of_an_edited_sheet(cli, tmp_path):
    _catalog(cli)
    path = tmp_path / "目录.xlsx"
    cli.ok("resource", "export", "--format", "xlsx", "-o", str(path))
    book = load_workbook(path)
    sheet = book["信息资源目录"]
    headers = _headers(sheet)
    title, abstract, name = (headers.index(h) for h in ("信息资源名称", "信息资源摘要", "信息项名称"))
    for row in sheet.iter_rows(min_row=2):
        if row[title].value == "民政资源1":
            row[abstract].value = "草稿的新摘要。"
            last = row[0].row
    # One more item for the draft: a continuation row with item cells only.
    sheet.insert_rows(last + 3)
    sheet.cell(row=last + 3, column=name + 1, value="家庭人口数")
    sheet.cell(row=last + 3, column=headers.index("数据类型") + 1, value="整型")
    book.save(path)

    result = cli.ok("--lang", "en", "resource", "import", str(path))
    assert "0 created, 1 updated, 0 skipped, 0 with errors.\n3 unchanged." in result.stdout
    container = cli.container()
    with container.unit_of_work() as session:
        draft = session.scalars(select(Resource).where(Resource.title == "民政资源1")).one()
        assert draft.abstract == "草稿的新摘要。"
        assert [item.name for item in draft.items] == ["姓名", "身份证号码", "保障金额", "家庭人口数"]


# -- sheets filled in by departments ----------------------------------------------------------------

GUIDE_HEADERS = ("序号", "信息资源分类", "信息资源名称", "信息资源提供方", "信息资源提供方代码", "信息资源摘要",
                 "信息资源格式分类", "信息资源格式类型", "信息项名称", "数据类型", "数据长度", "共享类型",
                 "共享条件/不予共享依据", "共享方式分类", "共享方式类型", "是否向社会开放", "开放条件", "更新周期",
                 "开放主题分类", "关键字", "所属系统")


def _sheet(path, headers, rows) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(header) for header in headers])
    book.save(path)


def _department(cli):
    from catalog.models import Department

    container = cli.container()
    with container.unit_of_work() as session:
        department = session.scalars(select(Department).where(Department.key == "hn-mzj")).one()
        session.expunge(department)
        return department


def test_a_sheet_in_the_guides_1272_style_imports(cli, tmp_path):
    uscc = _department(cli).uscc
    common = {"信息资源分类": "307", "信息资源提供方": "淮南市民政局", "信息资源提供方代码": uscc, "开放主题分类": "民政、社区",
              "是否向社会开放": "否", "关键字": "民政、救助"}
    rows = [
        {**common, "序号": 1, "信息资源名称": "淮南市城乡低保对象信息", "信息资源摘要": "城乡低保对象的基本信息。",
         "信息资源格式分类": "数据库", "信息资源格式类型": "Oracle", "信息项名称": "姓名", "数据类型": "字符型",
         "数据长度": 50, "共享类型": "有条件共享", "共享条件/不予共享依据": "仅限民政、人社部门核查使用",
         "共享方式分类": "共享平台方式", "共享方式类型": "数据库", "更新周期": "每月", "所属系统": "社会救助信息系统"},
        {"信息项名称": "身份证号码", "数据类型": "字符型", "数据长度": 18},
        {"信息项名称": "保障金额", "数据类型": "数值型", "数据长度": 10},
        {**common, "序号": 2, "信息资源名称": "淮南市收养登记档案", "信息资源摘要": "收养登记的纸质和电子档案。",
         "信息资源格式分类": "电子文件", "信息资源格式类型": "pdf", "共享类型": "不予共享",
         "共享条件/不予共享依据": "《收养登记工作规范》第三十一条：收养登记档案应当保密", "共享方式分类": "介质方式",
         "更新周期": "不定期"},
        {**common, "序号": 3, "信息资源名称": "淮南市养老机构名录", "信息资源摘要": "全市养老机构名称、地址、床位数。",
         "信息资源格式分类": "电子表格", "信息资源格式类型": "xlsx", "信息项名称": "机构名称", "数据类型": "字符型",
         "数据长度": 100, "共享类型": "无条件共享", "共享方式分类": "共享平台方式", "共享方式类型": "接口",
         "是否向社会开放": "是", "更新周期": "每季度"},
        {"信息项名称": "床位数", "数据类型": "整型"},
    ]
    path = tmp_path / "民政局资源目录.xlsx"
    _sheet(path, GUIDE_HEADERS, rows)
    result = cli.ok("--lang", "en", "resource", "import", str(path))
    assert "3 created, 0 updated, 0 skipped, 0 with errors." in result.stdout

    records = {r["title"]: r for r in jsonl(cli.ok("resource", "export"))}
    dibao = records["淮南市城乡低保对象信息"]
    assert dibao["classification_code"] == "307015"
    assert dibao["format"] == {"class": "3", "type": "3-07", "description": None}
    # 共享方式类型 is the more precise of the two method columns.
    assert dibao["share"] == {"type": "conditional", "condition": "仅限民政、人社部门核查使用", "basis": None,
                              "method": "1-1"}
    assert dibao["open"]["is_open"] is False and dibao["update_cycle"] == "4" and dibao["theme"] == "R"
    assert [(i["name"], i["data_type"], i["length"]) for i in dibao["items"]] == [
        ("姓名", "C", 50), ("身份证号码", "C", 18), ("保障金额", "N", 10)]
    assert dibao["keywords"] == ["民政", "救助"] and dibao["source_system"] == "社会救助信息系统"

    adoption = records["淮南市收养登记档案"]
    # 不予共享: the combined column is the basis, and the method class alone is the method.
    assert adoption["share"] == {"type": "not_shared", "condition": None,
                                 "basis": "《收养登记工作规范》第三十一条：收养登记档案应当保密", "method": "3"}
    assert adoption["items"] == []

    homes = records["淮南市养老机构名录"]
    assert homes["share"]["method"] == "1-2" and homes["open"] == {"is_open": True, "type": "unconditional",
                                                                   "condition": None}
    assert [i["name"] for i in homes["items"]] == ["机构名称", "床位数"]


def test_headings_are_matched_however_they_are_typed(cli, tmp_path):
    uscc = _department(cli).uscc
    headers = ("信息资源\n名称", " 信息资源分类 ", "信息资源提供方代码", "信息资源摘要", "信息资源格式分类", "共享类型",
               "共享条件／不予共享依据", "共享方式", "是否向社会开放", "更新周期", "开放主题分类", "关键字", "Item name",
               "数据类型", "数据长度")
    row = {"信息资源\n名称": "淮南市婚姻登记信息", " 信息资源分类 ": "307015", "信息资源提供方代码": uscc,
           "信息资源摘要": "婚姻登记信息。", "信息资源格式分类": "数据库", "共享类型": "不予",
           "共享条件／不予共享依据": "《婚姻登记条例》", "共享方式": "邮件", "是否向社会开放": "否",
           "更新周期": "每天", "开放主题分类": "R", "关键字": "婚姻", "Item name": "男方姓名", "数据类型": "C",
           "数据长度": 50}
    path = tmp_path / "婚姻.xlsx"
    _sheet(path, headers, [row])
    cli.ok("resource", "import", str(path))
    record = jsonl(cli.ok("resource", "export"))[0]
    assert record["title"] == "淮南市婚姻登记信息"
    assert record["share"] == {"type": "not_shared", "condition": None, "basis": "《婚姻登记条例》", "method": "2"}
    assert record["update_cycle"] == "2" and record["items"][0]["name"] == "男方姓名"


def test_a_sheet_with_3_bad_resources_reports_their_rows(cli, tmp_path):
    uscc = _department(cli).uscc
    base = {"信息资源分类": "307", "信息资源提供方代码": uscc, "信息资源摘要": "摘要。", "信息资源格式分类": "数据库",
            "共享类型": "无条件共享", "共享方式分类": "共享平台方式", "共享方式类型": "接口", "是否向社会开放": "否",
            "更新周期": "每月", "开放主题分类": "民政、社区", "关键字": "民政"}

    def item(name, data_type="字符型", length=20):
        return {"信息项名称": name, "数据类型": data_type, "数据长度": length}

    rows = [
        {**base, "序号": 1, "信息资源名称": "好资源一", **item("姓名")},          # row 2
        item("地址", length=200),                                               # row 3
        {**base, "序号": 2, "信息资源摘要": "忘了填名称。", **item("编号")},       # row 4: no 信息资源名称
        item("名称"),                                                           # row 5
        {**base, "序号": 3, "信息资源名称": "好资源二", **item("编号")},          # row 6
        {**base, "序号": 4, "信息资源名称": "有条件却无条件", "共享类型": "有条件共享",  # row 7: no 共享条件
         **item("编号")},
        {**base, "序号": 5, "信息资源名称": "缺长度", **item("编号")},            # row 8
        item("备注", length=None),                                              # row 9: 字符型 without length
        {**base, "序号": 6, "信息资源名称": "好资源三", **item("编号")},          # row 10
    ]
    path = tmp_path / "bad.xlsx"
    _sheet(path, GUIDE_HEADERS, rows)
    result = cli("--lang", "en", "resource", "import", str(path))
    assert result.exit_code == 1
    assert _report_rows(result.stderr) == [4, 7, 8]
    assert "row 4:\n  title: Resource title: this field is required." in result.stderr
    assert "row 7:\n  share.condition: Sharing · Share condition: required" in result.stderr
    assert "row 8:\n  items.1.length: Information items row 2 · Length: required for 字符型 items." in result.stderr
    container = cli.container()
    with container.unit_of_work() as session:
        assert session.scalars(select(Resource)).first() is None

    assert "3 created" in cli.ok("--lang", "en", "resource", "import", "--skip-invalid", str(path)).stdout


def test_the_template_may_be_filled_in_as_csv(cli, tmp_path):
    uscc = _department(cli).uscc
    path = tmp_path / "目录.csv"
    # Excel on a Chinese Windows saves CSV in GB18030 (GBK).
    path.write_bytes((
        "序号,信息资源名称,信息资源分类,信息资源提供方代码,信息资源摘要,信息资源格式分类,共享类型,共享条件/不予共享依据,"
        "共享方式,是否向社会开放,更新周期,开放主题分类,关键字,信息项名称,数据类型,数据长度\r\n"
        f"1,淮南市殡葬服务机构名录,307,{uscc},殡葬服务机构。,电子表格,有条件共享,仅限民政部门,文件,否,每年,民政、社区,殡葬,"
        "机构名称,字符型,100\r\n"
        ",,,,,,,,,,,,,地址,字符型,200\r\n"
    ).encode("gb18030"))
    assert "1 created" in cli.ok("--lang", "en", "resource", "import", str(path)).stdout
    record = jsonl(cli.ok("resource", "export"))[0]
    assert record["share"] == {"type": "conditional", "condition": "仅限民政部门", "basis": None, "method": "1-3"}
    assert [item["name"] for item in record["items"]] == ["机构名称", "地址"]


def test_an_unreadable_workbook_is_reported(cli, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is no workbook")
    result = cli("--lang", "en", "resource", "import", str(path))
    assert result.exit_code == 1
    assert "Cannot read" in result.stderr and "broken.xlsx" in result.stderr and "not a valid XLSX workbook" in result.stderr


def test_rows_that_repeat_the_resource_cells_are_items_of_one_resource():
    # Some departments fill every row of a resource completely instead of leaving the cells empty.
    vocab = load_registry()
    columns = template_columns(load_profile(("huainan",), vocab=vocab))
    resource = {"序号": "1", "信息资源名称": "低保对象", "共享类型": "有条件共享", "共享条件/不予共享依据": "仅限核查"}
    rows = [Row(2, {**resource, "信息项名称": "姓名"}), Row(3, {**resource, "信息项名称": "地址"}),
            Row(4, {**resource, "序号": "2", "信息资源名称": "特困人员", "共享类型": "不予共享",
                    "共享条件/不予共享依据": "依据", "信息项名称": "姓名"})]
    records = [(number, finish_record(record, vocab))
               for number, record in rows_to_records(rows, columns)]
    assert [(number, record["title"], [i["name"] for i in record["items"]]) for number, record in records] == [
        (2, "低保对象", ["姓名", "地址"]), (4, "特困人员", ["姓名"])]
    assert records[0][1]["share"] == {"type": "有条件共享", "condition": "仅限核查"}
    assert records[1][1]["share"] == {"type": "不予共享", "basis": "依据"}


def test_a_sheet_with_a_title_row_and_a_two_row_heading_imports(cli, tmp_path):
    """Real 1272 workbooks put a title above the table and group 共享类型/共享条件/共享方式 under 共享属性."""
    uscc = _department(cli).uscc
    book = Workbook()
    sheet = book.active
    sheet.append(["淮南市民政局政务信息资源目录（2026年）"])
    sheet.append(["序号", "信息资源名称", "信息资源提供方代码", "信息资源分类", "信息资源摘要", "信息资源格式分类",
                  "共享属性", None, None, "是否向社会开放", "更新周期", "开放主题分类", "关键字", "信息项名称", "数据类型",
                  "数据长度"])
    sheet.append([None] * 6 + ["共享类型", "共享条件/不予共享依据", "共享方式"] + [None] * 7)
    sheet.append([1, "淮南市低保对象名册", uscc, "307", "低保对象名册。", "电子表格", "有条件共享", "仅限救助核查",
                  "接口", "否", "每月", "民政、社区", "低保", "姓名", "C", 50])
    sheet.append([None] * 13 + ["身份证号码", "C", 18])
    sheet.append([None] * 13 + ["保障金额", "Y", None])
    sheet.append([2, "淮南市养老机构名录", uscc, "307", "养老机构名录。"])
    path = tmp_path / "两级表头.xlsx"
    book.save(path)

    result = cli("--lang", "en", "resource", "import", str(path))
    # The second resource is incomplete: its row number is the one the user sees in Excel.
    assert _report_rows(result.output) == [7]
    assert result.exit_code == 1

    cli.ok("resource", "import", "--skip-invalid", str(path))
    record = jsonl(cli.ok("resource", "export"))[0]
    assert record["title"] == "淮南市低保对象名册"
    assert record["share"] == {"type": "conditional", "condition": "仅限救助核查", "basis": None, "method": "1-2"}
    assert [i["name"] for i in record["items"]] == ["姓名", "身份证号码", "保障金额"]
