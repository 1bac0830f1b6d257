"""Reading and writing CSV and XLSX: encodings, row numbers, blank rows, round trips and unreadable files."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from catalog.tabular import Row, TabularError, read_rows, write_rows

TEXT = "名称, 统一社会信用代码 ,备注\n淮南市民政局,11340400MB1234567X, 低保 \n\n社会救助科,,\n"
EXPECTED = [
    Row(2, {"名称": "淮南市民政局", "统一社会信用代码": "11340400MB1234567X", "备注": "低保"}),
    Row(4, {"名称": "社会救助科", "统一社会信用代码": None, "备注": None}),
]


@pytest.mark.parametrize(
    "encoded",
    [
        TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.encode("utf-8"),
        TEXT.encode("gb18030"),
        TEXT.encode("gbk"),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "gbk"],
)
def test_csv_encodings(tmp_path, encoded):
    path = tmp_path / "departments.csv"
    path.write_bytes(encoded)
    assert list(read_rows(path)) == EXPECTED


def test_csv_from_streams():
    assert list(read_rows(io.BytesIO(TEXT.encode("gb18030")), format="csv")) == EXPECTED
    assert list(read_rows(io.StringIO(TEXT), format="csv")) == EXPECTED
    # No name and no format: the content is not a zip, so it is read as CSV.
    assert list(read_rows(io.BytesIO(TEXT.encode()))) == EXPECTED


def test_row_numbers_count_leading_blank_rows_and_multiline_cells(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text('\n,,\nname,note\na,"two\nlines"\n  ,  \nb,x\n', encoding="utf-8")
    rows = list(read_rows(path))
    assert [(row.number, row.values) for row in rows] == [
        (4, {"name": "a", "note": "two\nlines"}),
        (6, {"name": "b", "note": "x"}),
    ]


def test_short_and_long_rows_and_unnamed_columns(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,,b\n1\n1,2,3,4\n", encoding="utf-8")
    assert [row.values for row in read_rows(path)] == [{"a": "1", "b": None}, {"a": "1", "b": "3"}]


def test_tab_separated(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("名称\t简称\n淮南市民政局\t民政局\n", encoding="utf-8")
    assert list(read_rows(path)) == [Row(2, {"名称": "淮南市民政局", "简称": "民政局"})]


def test_row_get():
    row = Row(2, {"a": None, "b": "x"})
    assert row.get("a", "default") == "default"
    assert row.get("b") == "x"
    assert row.get("missing") is None


def test_xlsx_round_trip(tmp_path):
    path = tmp_path / "departments.xlsx"
    headers = ["名称 (name)", "行政区划 (division)", "纳入统计 (in_scope)", "备注"]
    rows = [
        ["淮南市民政局", "340400", True, "=1+1"],
        ["社会救助科", None, False, None],
        ["数字", 42, 1.5, date(2024, 3, 1)],
    ]
    write_rows(path, headers, rows, format="xlsx")
    assert list(read_rows(path)) == [
        Row(
            2,
            {
                "名称 (name)": "淮南市民政局",
                "行政区划 (division)": "340400",
                "纳入统计 (in_scope)": "true",
                "备注": "=1+1",
            },
        ),
        Row(
            3,
            {
                "名称 (name)": "社会救助科",
                "行政区划 (division)": None,
                "纳入统计 (in_scope)": "false",
                "备注": None,
            },
        ),
        Row(
            4,
            {
                "名称 (name)": "数字",
                "行政区划 (division)": "42",
                "纳入统计 (in_scope)": "1.5",
                "备注": "2024-03-01",
            },
        ),
    ]
    sheet = openpyxl.load_workbook(path).active
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    # A Chinese character counts twice: 淮南市民政局 is 12 wide; widths get a margin of 2.
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCD"}
    assert widths == {"A": 14, "B": 21, "C": 21, "D": 12}
    assert sheet["D2"].data_type == "s"


def test_xlsx_of_another_tool_numbers_gaps_and_sheets(tmp_path):
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "说明"
    first["A1"] = "填写说明"
    data = workbook.create_sheet("部门")
    data["A1"], data["B1"], data["C1"] = " 名称 ", "行政区划", "更新时间"
    data["A2"], data["B2"], data["C2"] = "淮南市民政局", 340400, datetime(2024, 3, 1)
    data["A5"], data["B5"], data["C5"] = "淮南市人社局", 340400.0, datetime(2024, 3, 1, 8, 30)
    path = tmp_path / "from-excel.xlsx"
    workbook.save(path)

    expected = [
        Row(2, {"名称": "淮南市民政局", "行政区划": "340400", "更新时间": "2024-03-01"}),
        Row(5, {"名称": "淮南市人社局", "行政区划": "340400", "更新时间": "2024-03-01 08:30:00"}),
    ]
    assert list(read_rows(path, sheet="部门")) == expected
    assert list(read_rows(path, sheet=1)) == expected
    assert list(read_rows(path)) == []
    with pytest.raises(TabularError) as caught:
        read_rows(path, sheet="Sheet9")
    assert "Sheet9" in caught.value.render("en") and "部门" in caught.value.render("en")


def test_xlsx_stream_detected_by_content():
    buffer = io.BytesIO()
    write_rows(buffer, ["a", "b"], [["1", "2"]], format="xlsx")
    buffer.seek(0)
    assert list(read_rows(buffer)) == [Row(2, {"a": "1", "b": "2"})]


def test_csv_written_with_bom_for_excel(tmp_path):
    path = tmp_path / "out.csv"
    write_rows(path, ["名称", "纳入统计", "空"], [["淮南市民政局", True, None], ["a,b", False, ""]])
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == '名称,纳入统计,空\r\n淮南市民政局,true,\r\n"a,b",false,\r\n'
    assert list(read_rows(path)) == [
        Row(2, {"名称": "淮南市民政局", "纳入统计": "true", "空": None}),
        Row(3, {"名称": "a,b", "纳入统计": "false", "空": None}),
    ]


def test_csv_to_streams_leaves_them_open():
    binary = io.BytesIO()
    write_rows(binary, ["a"], [["甲"]], format="csv")
    assert not binary.closed
    assert binary.getvalue() == "\ufeffa\r\n甲\r\n".encode()
    text = io.StringIO()
    write_rows(text, ["a"], [["甲"]], format="csv")
    assert text.getvalue() == "\ufeffa\r\n甲\r\n"


def test_write_needs_a_known_format():
    with pytest.raises(ValueError):
        write_rows(io.BytesIO(), ["a"], [], format="ods")
    with pytest.raises(ValueError):
        write_rows(io.BytesIO(), ["a"], [])


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(TabularError) as caught:
        read_rows(path)
    assert caught.value.render("en") == f"Cannot read {path}: the file does not exist."
    assert caught.value.render("zh_CN") == f"无法读取 {path}：文件不存在。"
    assert caught.value.to_dict("en")["code"] == "unreadable_file"


def test_not_a_workbook(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(TabularError) as caught:
        read_rows(path)
    assert "broken.xlsx" in caught.value.render("en")
    assert "not a valid XLSX workbook" in caught.value.render("en")


def test_old_xls_is_refused_with_advice(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(TabularError) as caught:
        read_rows(path)
    assert "save the workbook as .xlsx" in caught.value.render("en")
    assert "另存为 .xlsx" in caught.value.render("zh_CN")


def test_undecodable_text(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"name\n\xff\xfe\xfd\x80\n")
    with pytest.raises(TabularError) as caught:
        read_rows(path)
    assert "neither UTF-8 nor GB18030" in caught.value.render("en")


def test_repeated_header(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("名称,名称\na,b\n", encoding="utf-8")
    with pytest.raises(TabularError) as caught:
        list(read_rows(path))
    assert "名称" in caught.value.render("zh_CN")


def test_empty_file_has_no_rows(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert list(read_rows(path)) == []


def test_tab_separated_after_a_blank_first_line(tmp_path):
    path = tmp_path / "unicode-text.txt"
    path.write_text("\n名称\t简称\n淮南市民政局\t民政局\n", encoding="utf-8")
    assert list(read_rows(path)) == [Row(3, {"名称": "淮南市民政局", "简称": "民政局"})]


KNOWN = {"信息资源名称", "信息资源代码", "共享属性", "共享类型", "共享条件", "共享方式", "信息资源提供方"}


def _workbook(path, sheets: dict[str, list[list]]) -> None:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)


def test_with_known_headings_the_sheet_holding_them_is_read(tmp_path):
    path = tmp_path / "department.xlsx"
    _workbook(path, {"填报说明": [["填报说明"], ["信息资源名称：必填"]],  # one known word is no header
                     "目录": [["淮南市民政局政务信息资源目录"], ["信息资源名称", "信息资源提供方"], ["低保对象", "民政局"]]})
    rows = list(read_rows(path, is_header=KNOWN.__contains__))
    assert [(row.number, row.values) for row in rows] == [(3, {"信息资源名称": "低保对象", "信息资源提供方": "民政局"})]
    assert [row.values for row in read_rows(path)][0] == {"填报说明": "信息资源名称：必填"}  # no headings asked: first sheet


def test_a_two_row_heading_whose_lower_row_names_more_keeps_the_upper_rows_own_headings(tmp_path):
    path = tmp_path / "two-rows.xlsx"
    _workbook(path, {"目录": [["信息资源名称", "共享属性", None, None],
                              [None, "共享类型", "共享条件", "共享方式"],
                              ["低保对象", "有条件共享", "仅限民政业务", "接口"]]})
    rows = list(read_rows(path, is_header=KNOWN.__contains__))
    assert rows[0].number == 3
    assert rows[0].values == {"信息资源名称": "低保对象", "共享类型": "有条件共享", "共享条件": "仅限民政业务", "共享方式": "接口"}


def test_a_key_value_sheet_with_one_known_word_has_no_header_row_found(tmp_path):
    path = tmp_path / "kv.csv"
    path.write_text("class;label;value\nDataset;;x\n;信息资源名称;y\n", encoding="utf-8")
    rows = list(read_rows(path, is_header=KNOWN.__contains__))
    assert list(rows[0].values) == ["class", "label", "value"]
