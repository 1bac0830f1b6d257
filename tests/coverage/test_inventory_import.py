"""Inventory sheets: every bad row reported, all-or-nothing unless skip_invalid, and export → import is a no-op."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from catalog.coverage.inventory import InventoryService
from catalog.coverage.inventory_import import HEADERS
from catalog.importing import ImportRejectedError
from catalog.models import InventoryItem
from catalog.tabular import read_rows, write_rows


def rows(text: str):
    return read_rows(io.BytesIO(text.encode("utf-8")), format="csv")


def items(world) -> list[tuple[str, str]]:
    return [(i.department.key, i.title) for i in world.session.scalars(select(InventoryItem).order_by(InventoryItem.id))]


BAD = """部门,资源名称,来源,信息项
mzj,城乡低保对象信息,事项,姓名、身份证号码
no-such,婚姻登记信息,事项,
mzj,,职责,
mzj,特困人员信息,职责,
rsj,养老保险参保信息,传说,
mzj,特困人员 信息,系统,
rsj,失业登记信息,职责,
"""


def messages(report) -> dict[int, list[str]]:
    return {error.number: error.render("en") for error in report.errors}


def test_every_bad_row_is_reported_and_nothing_written(world):
    service = InventoryService(world.container, world.session, world.actor("admin"))
    with pytest.raises(ImportRejectedError) as caught:
        service.import_rows(rows(BAD))
    found = messages(caught.value.report)
    assert sorted(found) == [3, 4, 5, 6, 7]
    assert "no department no-such" in found[3][0]
    assert "Title: this field is required." in found[4][0]
    assert "appears again in row 7" in found[5][0] and "appears again in row 5" in found[7][0]
    assert "传说" in found[6][0]
    assert caught.value.report.skipped == 7 and caught.value.report.created == 0
    assert items(world) == []


def test_skip_invalid_keeps_the_good_rows(world):
    service = InventoryService(world.container, world.session, world.actor("admin"))
    report = service.import_rows(rows(BAD), skip_invalid=True)
    assert (report.created, report.skipped, len(report.errors)) == (2, 5, 5)
    assert items(world) == [("mzj", "城乡低保对象信息"), ("rsj", "失业登记信息")]
    first = world.session.scalars(select(InventoryItem).order_by(InventoryItem.id)).first()
    assert first.source == "matter" and first.item_names == ["姓名", "身份证号码"]


def test_a_sheet_without_the_title_column_is_refused():
    class Nobody:
        session = None
        actor = None

    with pytest.raises(ImportRejectedError) as caught:
        from catalog.coverage.inventory_import import import_rows

        import_rows(Nobody(), rows("部门,说明\nmzj,x\n"))
    assert "资源名称 (title)" in caught.value.report.errors[0].render("en")[0]


def test_rows_update_by_title_and_link_by_code(world):
    resource = world.resource("registered")
    service = InventoryService(world.container, world.session, world.actor("admin"))
    service.import_rows(rows("部门,资源名称\nmzj,最低生活保障对象\n"))
    report = service.import_rows(rows(f"department,title,description,resource_code\n"
                                      f"mzj,最低生活保障 对象,全市低保对象,{resource.code}\n"))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    item = world.session.scalars(select(InventoryItem)).one()
    assert item.description == "全市低保对象" and item.resource_id == resource.id
    assert item.linked_by_name == "admin" and item.source == "duty"
    # An empty code cell never removes a confirmed link.
    assert item.title == "最低生活保障 对象"  # the sheet's spelling wins
    report = service.import_rows(rows("department,title,resource_code\nmzj,最低生活保障 对象,\n"))
    assert report.unchanged == 1 and item.resource_id == resource.id


def test_a_code_must_exist_and_belong_to_the_department(world):
    other = world.resource("registered", department="rsj")
    service = InventoryService(world.container, world.session, world.actor("admin"))
    with pytest.raises(ImportRejectedError) as caught:
        service.import_rows(rows(f"部门,资源名称,信息资源代码\nmzj,甲,{other.code}\nmzj,乙,307015/999999\n"))
    found = messages(caught.value.report)
    assert "another department" in found[2][0] and "307015/999999" in found[3][0]


def test_an_officer_imports_only_for_their_department(world):
    service = InventoryService(world.container, world.session, world.actor("officer", "mzj"))
    report = service.import_rows(rows("部门,资源名称\nmzj,低保\nrsj,养老\n"), skip_invalid=True)
    assert report.created == 1 and "not allowed" in messages(report)[3][0]


def test_export_then_import_changes_nothing(world):
    resource = world.resource("published")
    service = InventoryService(world.container, world.session, world.actor("admin"))
    item = service.create({"department": "mzj", "title": "低保对象", "source": "system", "basis": "社会救助系统",
                           "item_names": ["姓名", "身份证号码"], "description": "全市"})
    service.link(item.id, resource.id)
    service.create({"department": "rsj", "title": "养老保险参保信息", "source": "matter"})
    headers, data = service.export_rows()
    assert headers == list(HEADERS)
    assert data[0][:7] == ["mzj", "低保对象", "信息系统", "社会救助系统", "全市", "姓名、身份证号码", resource.code]
    assert data[0][7:9] == ["淮南市民政局", "admin"]
    for fmt in ("csv", "xlsx"):
        buffer = io.BytesIO()
        write_rows(buffer, headers, data, format=fmt)
        buffer.seek(0)
        report = service.import_rows(read_rows(buffer, format=fmt))
        assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 2, []), fmt
