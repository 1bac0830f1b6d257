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


# -- sheets as other platforms and departments write them ------------------------------------------


def _records(path, vocab=None):
    """The records the import reads from a sheet (header row found, rows grouped, combined cells resolved)."""
    from catalog.tabular import read_rows
    from catalog.template import header_matcher

    vocab = vocab or load_registry()
    columns = template_columns(load_profile(("huainan",), vocab=vocab))
    rows = read_rows(path, is_header=header_matcher(columns))
    return [(number, finish_record(record, vocab)) for number, record in rows_to_records(rows, columns)]


def _book(path, *rows, merges=()) -> None:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    for merge in merges:
        sheet.merge_cells(merge)
    book.save(path)


def test_headings_with_required_markers_notes_prefixes_and_other_spellings(cli, tmp_path):
    """*信息资源名称, 资源名称（必填项）, 提供单位, 信息资源共享类型, 数据项名称 … name the template's columns."""
    uscc = _department(cli).uscc
    path = tmp_path / "其他平台.xlsx"
    _book(path,
          ["*资源名称", "提供单位（必填项）", "统一社会信用代码", "内设部门名称", "信息资源分类编码", "资源摘要",
           "资源格式分类", "资源格式类型", "信息资源共享类型", "信息资源共享条件", "信息资源共享方式类型",
           "开放属性", "信息资源更新周期", "关键词", "主题分类", "数据项名称", "数据项类型", "数据项长度"],
          ["淮南市低保对象名册", "淮南市民政局", uscc, "社会救助科", "307", "低保对象名册。", "电子表格", "xlsx",
           "有条件共享", "仅限救助核查", "接口", "不予开放", "每月", "低保", "民政、社区", "姓名", "字符型", 50],
          [None] * 15 + ["身份证号码", "字符型", 18])
    result = cli.ok("--lang", "en", "resource", "import", str(path))
    assert "1 created, 0 updated, 0 skipped, 0 with errors." in result.stdout
    record = jsonl(cli.ok("resource", "export"))[0]
    assert record["title"] == "淮南市低保对象名册" and record["provider_unit"] == "社会救助科"
    assert record["format"] == {"class": "2", "type": "2-03", "description": None}
    assert record["share"] == {"type": "conditional", "condition": "仅限救助核查", "basis": None, "method": "1-2"}
    # Only the open type was given: 不予开放 says the resource is not open to the public.
    assert record["open"] == {"is_open": False, "type": "not_open", "condition": None}
    assert [(i["name"], i["length"]) for i in record["items"]] == [("姓名", 50), ("身份证号码", 18)]


def test_a_field_named_by_two_headings_reads_the_first_and_reports_the_second(tmp_path):
    path = tmp_path / "重复.xlsx"
    _book(path, ["信息资源名称", "资源名称", "信息资源摘要"], ["低保对象", "低保对象名册", "摘要。"])
    (number, record), = _records(path)
    assert record["title"] == "低保对象" and record["资源名称"] == "低保对象名册"  # reported as an unknown field


def test_a_two_row_heading_with_more_sub_headings_than_single_ones(tmp_path):
    """The group headings (信息资源格式, 信息项信息, 共享属性, 开放属性) make the upper row the header row.

    Counted without them, the sub-headings' row has more headings (10 against 6) and was taken alone.
    """
    path = tmp_path / "产生清单.xlsx"
    top = ["序号", "信息资源名称", "信息资源提供方", "信息资源摘要", "信息资源格式", None, "信息项信息", None, None,
           "共享属性", None, None, "开放属性", None, "更新周期", "开放主题分类"]
    sub = [None] * 4 + ["信息资源格式分类", "信息资源格式类型", "信息项名称", "数据类型", "数据长度", "共享类型",
                        "共享条件", "共享方式", "是否向社会开放", "开放条件", None, None]
    _book(path, ["二、政务信息资源产生清单"], top, sub,
          [1, "低保对象名册", "淮南市民政局", "名册。", "电子表格", "xlsx", "姓名", "字符型", 50, "有条件共享",
           "仅限救助核查", "接口", "否", None, "每月", "民政、社区"],
          merges=("A1:P1", "E2:F2", "G2:I2", "J2:L2", "M2:N2"))
    (number, record), = _records(path)
    assert number == 4
    assert record["title"] == "低保对象名册" and record["department"] == {"name": "淮南市民政局"}
    assert record["format"] == {"class": "2", "type": "xlsx"}
    assert record["share"] == {"type": "有条件共享", "condition": "仅限救助核查", "method": "接口"}
    assert record["items"] == [{"name": "姓名", "data_type": "字符型", "length": "50"}]


def test_rows_numbered_one_by_one_under_a_merged_name(tmp_path):
    """Sheets that number every row (item rows too) and merge 信息资源名称 down over the resource's rows."""
    path = tmp_path / "逐行编号.xlsx"
    headers = ["序号", "信息资源名称", "信息资源摘要", "信息项名称", "数据类型"]
    _book(path, headers,
          [1, "低保对象名册", "名册。", "姓名", "字符型"],
          [2, None, "名册。", "身份证号码", "字符型"],
          [3, None, "名册。", "保障金额", "数值型"],
          [4, "养老机构名录", "名录。", "机构名称", "字符型"],
          [5, None, "名录。", "床位数", "整型"],
          merges=("B2:B4", "B5:B6"))
    records = _records(path)
    assert [(n, r["title"], [i["name"] for i in r["items"]]) for n, r in records] == [
        (2, "低保对象名册", ["姓名", "身份证号码", "保障金额"]), (5, "养老机构名录", ["机构名称", "床位数"])]


def test_a_resource_row_whose_cells_were_forgotten_is_still_its_own_resource():
    # 序号 numbers the resources here: one row with a new 序号 and nothing else is not an item row.
    columns = template_columns(load_profile(("huainan",), vocab=load_registry()))
    rows = [Row(2, {"序号": "1", "信息资源名称": "低保对象", "信息项名称": "姓名"}),
            Row(3, {"序号": None, "信息资源名称": None, "信息项名称": "地址"}),
            Row(4, {"序号": "2", "信息资源名称": None, "信息项名称": "编号"})]
    assert [(n, r.get("title")) for n, r in rows_to_records(rows, columns)] == [(2, "低保对象"), (4, None)]


def test_rows_numbered_in_advance_and_a_row_of_instructions_are_skipped(tmp_path):
    path = tmp_path / "预编号.xlsx"
    _book(path, ["数据资源目录导入模板"],
          ["*信息资源名称", "*信息资源摘要", "*共享类型", "共享方式", "序号"],
          ["必填，最多128字符", "必填，最多255字符", "必填：无条件共享、有条件共享、不予共享", "共享平台方式、邮件方式、介质方式",
           None],
          ["低保对象名册", "名册。", "无条件共享", "共享平台方式", 1],
          [None, None, None, None, 2], [None, None, None, None, 3])
    records = _records(path)
    assert [(n, r["title"]) for n, r in records] == [(4, "低保对象名册")]


def test_information_items_listed_in_one_cell(tmp_path):
    path = tmp_path / "一格多项.xlsx"
    _book(path, ["信息资源名称", "信息项名称", "数据类型", "数据长度"],
          ["低保对象名册", "姓名、身份证号码、保障金额", "字符型", "50、18、10"],
          ["养老机构名录", "1.机构名称\n2.床位数", "字符型\n整型", None],
          ["殡葬机构", "机构名称", "字符型", 100])
    records = {r["title"]: r["items"] for _n, r in _records(path)}
    assert records["低保对象名册"] == [{"name": "姓名", "data_type": "字符型", "length": "50"},
                                     {"name": "身份证号码", "data_type": "字符型", "length": "18"},
                                     {"name": "保障金额", "data_type": "字符型", "length": "10"}]
    assert records["养老机构名录"] == [{"name": "机构名称", "data_type": "字符型"}, {"name": "床位数", "data_type": "整型"}]
    assert records["殡葬机构"] == [{"name": "机构名称", "data_type": "字符型", "length": "100"}]


def test_items_in_one_cell_that_cannot_be_paired_are_refused_with_row_and_column(cli, tmp_path):
    uscc = _department(cli).uscc
    path = tmp_path / "对不上.xlsx"
    _book(path, ["信息资源名称", "信息资源提供方代码", "信息项名称", "数据类型"],
          ["好资源", uscc, "编号", "字符型"],
          ["低保对象名册", uscc, "姓名、身份证号码、保障金额", "字符型、字符型"])
    result = cli("--lang", "en", "resource", "import", "--skip-invalid", str(path))
    assert result.exit_code == 1
    assert ("Row 3: 数据类型 lists 2 values but 信息项名称 lists 3 information items; give one value for all of "
            "them, one value per item in the same order, or one row per item.") in result.stderr
    assert "第 3 行：数据类型 列出了 2 个值" in cli("resource", "import", str(path)).stderr
    container = cli.container()
    with container.unit_of_work() as session:
        assert session.scalars(select(Resource)).first() is None  # nothing half-written


def test_classification_per_level_format_in_one_column_and_codes_beside_labels(tmp_path):
    path = tmp_path / "分级.xlsx"
    _book(path, ["类分类", "项分类", "目分类", "细目分类", "信息资源名称", "信息资源格式", "信息项名称", "数据类型"],
          ["3", "07", "015", "02", "低保对象名册", "电子表格/xlsx", "姓名", "字符型C"],
          ["部门信息资源目录", "省（自治区、直辖市）及其下各级政务部门", "淮南市民政局", None, "养老机构名录", "数据库",
           "机构名称", "01-字符型"],
          ["3", "07", None, None, "殡葬机构", "xls", "床位数", "I-整型"],
          ["部门类", "不存在的项", None, None, "坏分类", "图形图像", "编号", "字符型"])
    records = {r["title"]: r for _n, r in _records(path)}
    assert records["低保对象名册"]["classification_code"] == "30701502"
    assert records["低保对象名册"]["format"] == {"class": "2", "type": "2-03"}
    # 目 by name: the service appends the provider's own 目 segment to 类+项.
    assert records["养老机构名录"]["classification_code"] == "307"
    assert records["养老机构名录"]["format"] == {"class": "3"}
    assert records["殡葬机构"]["format"] == {"class": "2", "type": "2-02"}  # a type alone names its class
    assert [r["items"][0]["data_type"] for r in records.values()] == ["C", "C", "I", "字符型"]
    # What the code list does not know is left as written, for the schema to refuse with its rule.
    assert records["坏分类"]["classification_code"] == "部门类/不存在的项"


def test_publication_dates_full_width_codes_and_placeholders(cli, tmp_path):
    """发布日期 (an Excel serial number here) is read and left to Mulu; ９１… codes typed full-width are codes."""
    uscc = _department(cli).uscc
    full_width = uscc.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"})
    path = tmp_path / "发布日期.xlsx"
    _book(path, ["信息资源名称", "信息资源提供方代码", "信息资源分类", "信息资源摘要", "信息资源格式分类", "共享类型",
                 "共享条件", "共享方式", "是否向社会开放", "开放条件", "更新周期", "开放主题分类", "关键字", "发布日期"],
          ["淮南市收养登记档案", full_width, "３０７", "档案。", "电子文件", "不予共享", "《收养登记工作规范》第三十一条",
           "介质方式", "否", "无", "不定期", "民政、社区", "收养", 43646],
          ["淮南市婚姻登记档案", uscc, "307", "档案。", "电子文件", "不予共享", "无", "介质方式", "否", None, "不定期",
           "民政、社区", "婚姻", "2019年6月30日"])
    records = {r["title"]: r for _n, r in _records(path)}
    adoption = records["淮南市收养登记档案"]
    assert adoption["published_on"] == "2019-06-30" and records["淮南市婚姻登记档案"]["published_on"] == "2019-06-30"
    assert adoption["department"] == {"uscc": uscc}
    # The 共享条件 of a 不予共享 resource is its basis; "无" is no condition, and cites no basis.
    assert adoption["share"] == {"type": "不予共享", "basis": "《收养登记工作规范》第三十一条", "method": "介质方式"}
    assert adoption["open"] == {"is_open": "否"}
    assert records["淮南市婚姻登记档案"]["share"] == {"type": "不予共享", "method": "介质方式"}

    result = cli("--lang", "en", "resource", "import", str(path))
    assert _report_rows(result.stderr) == [3]
    assert "row 3:\n  share.basis: Sharing · Basis for not sharing: required" in result.stderr
    assert "published_on" not in result.stderr and "发布日期" not in result.stderr
    assert "1 created" in cli.ok("--lang", "en", "resource", "import", "--skip-invalid", str(path)).stdout
    record = jsonl(cli.ok("resource", "export"))[0]
    assert record["published_on"] is None and record["share"]["basis"] == "《收养登记工作规范》第三十一条"


def test_an_item_named_like_a_heading_does_not_become_part_of_the_header(tmp_path):
    # A 法人 register: its first items are 单位名称 and 统一社会信用代码, which also name provider columns.
    path = tmp_path / "法人.xlsx"
    _book(path, ["信息资源名称", "信息资源摘要", "信息项名称", "数据类型"],
          ["法人单位名录", "名录。", "单位名称", "字符型"],
          [None, None, "统一社会信用代码", "字符型"])
    (number, record), = _records(path)
    assert number == 2 and [i["name"] for i in record["items"]] == ["单位名称", "统一社会信用代码"]
