"""DepartmentService: writes, messages, permissions, optimistic locking, the tree, and spreadsheet import/export."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import delete, func, select, text

from catalog import importing
from catalog.actor import Actor
from catalog.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from catalog.models import AuditEvent, Department
from catalog.services.department import COLUMNS, HEADERS, DepartmentService, _division_vocabulary
from catalog.tabular import Row, read_rows, write_rows
from catalog.uscc import build

# Serial numbers far from those of tests/catalog/factories.py, so codes never collide with its rows.
_serials = itertools.count(70_000_000)


def code() -> str:
    return build("340400", next(_serials))


def field_text(error: ValidationError, field: str, locale: str) -> list[str]:
    return [m.render(locale) for m in error.fields[field]]


@pytest.fixture
def service(container, session) -> DepartmentService:
    return DepartmentService(container, session, Actor.system())


@pytest.fixture
def segments(session):
    """Catalog segments no department uses yet (other tests may have committed some)."""
    used = set(session.scalars(select(Department.catalog_segment)))
    return iter(f"{n:03d}" for n in range(1, 1000) if f"{n:03d}" not in used)


@pytest.fixture
def city(service, segments) -> dict[str, Department]:
    gov = service.create(
        {
            "key": "t-gov",
            "name": "淮南市人民政府",
            "uscc": code(),
            "division": "340400",
            "catalog_segment": next(segments),
            "kind": "government",
        }
    )
    second = next(segments)
    mzj = service.create(
        {
            "key": "t-mzj",
            "name": "淮南市民政局",
            "short_name": "市民政局",
            "uscc": code(),
            "division": "340400",
            "catalog_segment": next(segments),
            "parent": "t-gov",
        }
    )
    rsj = service.create(
        {
            "key": "t-rsj",
            "name": "淮南市人力资源和社会保障局",
            "uscc": code(),
            "division": "340400",
            "catalog_segment": second,
            "parent": "t-gov",
            "in_scope": "否",
        }
    )
    unit = service.create({"key": "t-mzj-shjz", "name": "社会救助科", "kind": "内设机构", "parent": "t-mzj"})
    return {"gov": gov, "mzj": mzj, "rsj": rsj, "unit": unit}


def count(session, model=Department) -> int:
    return session.scalar(select(func.count()).select_from(model))


def audit_actions(session, department: Department) -> list[str]:
    query = select(AuditEvent.action).where(
        AuditEvent.object_type == "department", AuditEvent.object_id == str(department.id)
    )
    return list(session.scalars(query.order_by(AuditEvent.id)))


# --- create, read, update --------------------------------------------------------------------


def test_create_and_look_up(service, session, city):
    mzj = city["mzj"]
    assert mzj.id and mzj.version == 1 and mzj.parent is city["gov"]
    assert mzj.kind == "department" and mzj.in_scope is True
    assert city["rsj"].in_scope is False
    assert city["unit"].kind == "internal_unit" and city["unit"].uscc is None
    assert service.get(mzj.id) is mzj
    assert service.get_by_key("t-mzj") is mzj
    assert service.get_by_uscc(" " + mzj.uscc.lower()) is mzj
    assert audit_actions(session, mzj) == ["department.create"]
    event = session.scalar(select(AuditEvent).where(AuditEvent.object_id == str(mzj.id)))
    assert event.actor_name == "system" and event.client == "cli" and event.detail["key"] == "t-mzj"


def test_missing_departments(service):
    for call, argument in (
        (service.get, 10**9),
        (service.get_by_key, "nowhere"),
        (service.get_by_uscc, code()),
    ):
        with pytest.raises(NotFoundError):
            call(argument)
    with pytest.raises(NotFoundError) as caught:
        service.get_by_key("nowhere")
    assert caught.value.render("zh_CN") == "不存在标识为 nowhere 的部门。"


def test_generated_keys(service, city, segments):
    uscc = code()
    department = service.create(
        {"name": "淮南市财政局", "uscc": uscc.lower(), "catalog_segment": next(segments)}
    )
    assert department.uscc == uscc and department.key == uscc.lower()
    first = service.create({"name": "办公室", "kind": "internal_unit", "parent": "t-rsj"})
    second = service.create({"name": "规划科", "kind": "internal_unit", "parent": "t-rsj"})
    assert (first.key, second.key) == ("t-rsj-1", "t-rsj-2")


def test_validation_messages_name_the_label_in_both_languages(service, city):
    with pytest.raises(ValidationError) as caught:
        service.create(
            {"name": " ", "uscc": "911100001000012345", "division": "3404", "catalog_segment": "15"}
        )
    error = caught.value
    assert field_text(error, "name", "zh_CN") == ["名称：必填项。"]
    assert field_text(error, "name", "en") == ["Name: this field is required."]
    assert field_text(error, "uscc", "zh_CN") == [
        "统一社会信用代码：校验码错误（GB 32100），请检查代码是否输错。"
    ]
    assert field_text(error, "uscc", "en") == [
        "Unified social credit code: the check character is wrong (GB 32100); check the code for typos."
    ]
    assert field_text(error, "division", "zh_CN") == ["行政区划：应为 6 位数字（GB/T 2260），如 340400。"]
    assert field_text(error, "catalog_segment", "en") == [
        "Catalog code segment: must be exactly 3 digits, e.g. 015."
    ]
    assert error.to_dict("zh_CN")["message"] == "输入内容不符合要求。"

    with pytest.raises(ValidationError) as caught:
        service.create({"name": "淮南市教育局", "uscc": "91350100M00010OY43", "key": "Bad Key", "kind": "局"})
    error = caught.value
    assert field_text(error, "uscc", "en") == [
        "Unified social credit code: the character O at position 15 is not allowed "
        "(GB 32100 uses digits and upper-case letters except I, O, S, V and Z)."
    ]
    assert field_text(error, "key", "zh_CN") == [
        "标识：只能使用小写字母 a-z、数字、“-”和“_”，并以字母或数字开头。"
    ]
    assert field_text(error, "kind", "zh_CN") == [
        "类型：应为以下之一：政府 (government)、部门 (department)、机构 (organ)、内设机构 (internal_unit)。"
    ]

    with pytest.raises(ValidationError) as caught:
        service.create({"name": "x" * 201, "uscc": "9135", "unknown": 1})
    assert field_text(caught.value, "name", "en") == ["Name: at most 200 characters, got 201."]
    assert field_text(caught.value, "uscc", "zh_CN") == [
        "统一社会信用代码：应为 18 位（GB 32100），实际 4 位。"
    ]
    assert field_text(caught.value, "unknown", "en") == ["Unknown field unknown."]


def test_rules_between_fields(service, city):
    with pytest.raises(ValidationError) as caught:
        service.create({"name": "淮南市教育局"})
    assert field_text(caught.value, "uscc", "en") == [
        "Unified social credit code: required unless the kind is internal unit."
    ]
    assert field_text(caught.value, "catalog_segment", "zh_CN") == [
        "目录编码段 (目)：政府、部门和机构必填，它是其信息资源代码中的“目”段。"
    ]
    with pytest.raises(ValidationError) as caught:
        service.create({"name": "办公室", "kind": "internal_unit", "uscc": code(), "catalog_segment": "998"})
    assert set(caught.value.fields) == {"uscc", "catalog_segment"}
    with pytest.raises(ValidationError) as caught:
        service.create({"name": "办公室", "kind": "internal_unit"})
    assert field_text(caught.value, "parent", "zh_CN") == ["上级部门：内设机构必须指定所属部门。"]


def test_database_checks(service, city, segments):
    mzj = city["mzj"]
    with pytest.raises(ValidationError) as caught:
        service.create(
            {
                "key": "t-mzj",
                "name": "淮南市民政局（重复）",
                "uscc": mzj.uscc,
                "catalog_segment": mzj.catalog_segment,
                "parent": "nope",
            }
        )
    error = caught.value
    assert field_text(error, "key", "en") == ["Key: already used by 淮南市民政局 (t-mzj)."]
    assert field_text(error, "uscc", "zh_CN") == ["统一社会信用代码：已被“淮南市民政局”（t-mzj）使用。"]
    assert field_text(error, "catalog_segment", "en") == [
        "Catalog code segment: already used by 淮南市民政局 (t-mzj)."
    ]
    assert field_text(error, "parent", "zh_CN") == ["上级部门：不存在标识为 nope 的部门。"]


def test_division_must_be_known_when_the_vocabulary_is_there(service, container, segments):
    if _division_vocabulary(container) is None:
        pytest.skip("the division vocabulary is not available yet")
    with pytest.raises(ValidationError) as caught:
        service.create(
            {"name": "某局", "uscc": code(), "catalog_segment": next(segments), "division": "999999"}
        )
    assert field_text(caught.value, "division", "en") == [
        "Administrative division: 999999 is not a known administrative division code."
    ]


def test_update(service, session, city):
    mzj = city["mzj"]
    updated = service.update(mzj.id, {"name": "淮南市民政局（新）", "short_name": "", "in_scope": "false"}, 1)
    assert updated is mzj
    assert (mzj.name, mzj.short_name, mzj.in_scope, mzj.version) == ("淮南市民政局（新）", None, False, 2)
    assert audit_actions(session, mzj) == ["department.create", "department.update"]
    event = session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(mzj.id))).all()[-1]
    assert event.detail["changes"] == {
        "name": ["淮南市民政局", "淮南市民政局（新）"],
        "short_name": ["市民政局", None],
        "in_scope": [True, False],
    }
    # Nothing changes: no new version, no audit event.
    service.update(mzj.id, {"name": "淮南市民政局（新）"}, 2)
    assert mzj.version == 2 and len(audit_actions(session, mzj)) == 2


def test_update_checks_the_whole_department(service, city):
    with pytest.raises(ValidationError) as caught:
        service.update(city["mzj"].id, {"catalog_segment": None})
    assert list(caught.value.fields) == ["catalog_segment"]
    with pytest.raises(ValidationError) as caught:
        service.update(city["mzj"].id, {"uscc": city["rsj"].uscc, "name": ""})
    assert set(caught.value.fields) == {"name"}
    with pytest.raises(ValidationError) as caught:
        service.update(city["mzj"].id, {"uscc": city["rsj"].uscc})
    assert field_text(caught.value, "uscc", "en") == [
        "Unified social credit code: already used by 淮南市人力资源和社会保障局 (t-rsj)."
    ]


def test_update_moves_and_refuses_cycles(service, session, city):
    gov, mzj, unit = city["gov"], city["mzj"], city["unit"]
    service.update(unit.id, {"parent": "t-rsj"})
    assert unit.parent is city["rsj"]
    for department, parent in ((gov, "t-gov"), (gov, "t-mzj"), (gov, "t-rsj-1"), (gov, "t-mzj-shjz")):
        with pytest.raises(ValidationError) as caught:
            service.update(department.id, {"parent": parent})
        assert "parent" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        service.update(gov.id, {"parent": "t-mzj"})
    assert field_text(caught.value, "parent", "zh_CN") == ["上级部门：部门不能隶属于自身或其下级单位。"]
    service.update(mzj.id, {"parent": None})
    assert mzj.parent is None


def test_stale_version_is_a_conflict(service, session, city):
    mzj = city["mzj"]
    service.update(mzj.id, {"short_name": "民政局"}, expected_version=1)
    with pytest.raises(ConflictError) as caught:
        service.update(mzj.id, {"short_name": "民政"}, expected_version=1)
    assert caught.value.render("en") == (
        "淮南市民政局 was changed by someone else after you opened it (you edited version 1, it is now "
        "version 2); reload it and make your changes again."
    )
    assert (
        caught.value.render("zh_CN")
        == "“淮南市民政局”在您打开后已被他人修改（您编辑的是第 1 版，当前为第 2 版），请重新加载后再修改。"
    )
    assert caught.value.current["short_name"] == "民政局" and caught.value.current["version"] == 2
    assert mzj.short_name == "民政局"


def test_concurrent_write_is_a_conflict(service, session, city):
    mzj = city["mzj"]
    # Another writer bumps the row behind the ORM's back, as a parallel request would.
    session.execute(text("UPDATE departments SET version = version + 1 WHERE id = :id"), {"id": mzj.id})
    with pytest.raises(ConflictError) as caught:
        service.update(mzj.id, {"short_name": "民政"})
    assert "version 2" in caught.value.render("en")
    assert service.get(mzj.id).short_name == "市民政局"


@pytest.mark.parametrize("role", ["officer", "auditor", "reviewer"])
def test_only_managers_and_admins_manage_departments(container, session, city, role):
    mzj = city["mzj"]
    actor = Actor(
        user_id=None, name=role, role=role, department_id=mzj.id, department_ids=frozenset({mzj.id})
    )
    denied = DepartmentService(container, session, actor)
    attempts = (
        lambda: denied.create({"name": "x", "kind": "internal_unit", "parent": "t-mzj"}),
        lambda: denied.update(mzj.id, {"name": "x"}),
        lambda: denied.import_rows([Row(2, {"name": "x"})]),
    )
    for attempt in attempts:
        with pytest.raises(PermissionDeniedError) as caught:
            attempt()
        assert caught.value.render("zh_CN") == "您无权管理部门。"
        assert caught.value.render("en") == "You are not allowed to manage departments."
    assert mzj.name == "淮南市民政局"
    manager = Actor(user_id=None, name="manager", role="manager")
    DepartmentService(container, session, manager).update(mzj.id, {"name": "淮南市民政局"})


# --- tree, subtree, list ---------------------------------------------------------------------


def test_tree_and_subtree(service, city):
    gov, mzj, rsj, unit = city["gov"], city["mzj"], city["rsj"], city["unit"]
    root = next(node for node in service.tree() if node["key"] == "t-gov")
    assert root["parent"] is None and root["kind"] == "government"
    # rsj has the lower segment, so it comes first.
    assert [child["key"] for child in root["children"]] == ["t-rsj", "t-mzj"]
    mzj_node = root["children"][1]
    assert mzj_node["parent"] == "t-gov" and mzj_node["uscc"] == mzj.uscc and mzj_node["version"] == 1
    assert [(child["key"], child["children"]) for child in mzj_node["children"]] == [("t-mzj-shjz", [])]

    assert service.subtree_ids(gov.id) == {gov.id, mzj.id, rsj.id, unit.id}
    assert service.subtree_ids(mzj.id) == {mzj.id, unit.id}
    assert service.subtree_ids(unit.id) == frozenset({unit.id})
    with pytest.raises(NotFoundError):
        service.subtree_ids(10**9)


def test_list_filters(service, city):
    mine = {department.id for department in city.values()}

    def keys(**filters):
        return [d.key for d in service.list(**filters) if d.id in mine]

    assert keys() == ["t-gov", "t-rsj", "t-mzj", "t-mzj-shjz"]
    assert keys(kind="internal_unit") == ["t-mzj-shjz"]
    assert keys(in_scope=False) == ["t-rsj"]
    assert keys(in_scope=True, division="340400") == ["t-gov", "t-mzj"]


# --- import and export -----------------------------------------------------------------------


def bulk_rows(segments, prefix: str) -> tuple[list[list], dict[int, str]]:
    """1,000 rows: internal units first, then their departments, then the government (parents last)."""
    gov = [
        f"{prefix}-gov",
        "淮南市人民政府",
        "",
        code(),
        "",
        "340400",
        next(segments),
        "government",
        "true",
        "",
    ]
    departments = [
        [
            f"{prefix}-d{n}",
            f"测试局{n}",
            "",
            code(),
            f"L{n}",
            "340400",
            next(segments),
            "department",
            "true",
            f"{prefix}-gov",
        ]
        for n in range(1, 300)
    ]
    units = [
        [
            f"{prefix}-u{n}",
            f"科室{n}",
            "",
            "",
            "",
            "340400",
            "",
            "internal_unit",
            "否",
            f"{prefix}-d{n % 299 + 1}",
        ]
        for n in range(1, 701)
    ]
    rows = units + departments + [gov]
    # Row n is rows[n - 2]; the three bad rows are internal units, so no other row depends on them.
    bad = {10: "name", 400: "uscc", 701: "in_scope"}
    rows[8][1] = ""
    rows[398][3] = code()
    rows[699][8] = "maybe"
    return rows, bad


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_of_1000_rows_with_3_bad_writes_nothing(service, session, segments, tmp_path, fmt):
    rows, bad = bulk_rows(segments, f"b{fmt}")
    path = tmp_path / f"departments.{fmt}"
    write_rows(path, list(HEADERS), rows)
    before, events = count(session), count(session, AuditEvent)

    report = service.import_rows(read_rows(path))

    assert report.rejected and not report.ok
    assert [error.number for error in report.errors] == sorted(bad)
    assert {error.number: list(error.fields) for error in report.errors} == {n: [f] for n, f in bad.items()}
    assert (report.created, report.updated, report.skipped) == (0, 0, 1000)
    assert count(session) == before and count(session, AuditEvent) == events
    rendered = report.render("zh_CN").splitlines()
    assert rendered[0] == "未导入任何数据：有 3 行存在错误。"
    assert rendered[1:] == [
        "第 10 行：名称：必填项。",
        "第 400 行：统一社会信用代码：内设机构没有此代码，使用其所属部门的代码。",
        "第 701 行：纳入统计：应为“是”或“否”（true/false）。",
    ]
    assert report.render("en").splitlines()[1] == "Row 10: Name: this field is required."
    assert isinstance(report, importing.ImportReport)
    as_json = report.to_dict("en")
    assert as_json["rejected"] and as_json["skipped"] == 1000
    assert as_json["errors"][0] == {"row": 10, "fields": {"name": ["Name: this field is required."]}}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_skipping_invalid_rows_writes_the_other_997(service, session, segments, tmp_path, fmt):
    rows, bad = bulk_rows(segments, f"s{fmt}")
    path = tmp_path / f"departments.{fmt}"
    write_rows(path, list(HEADERS), rows)
    before, events = count(session), count(session, AuditEvent)

    report = service.import_rows(read_rows(path), skip_invalid=True)

    assert not report.rejected
    assert [error.number for error in report.errors] == sorted(bad)
    assert (report.created, report.updated, report.unchanged, report.skipped) == (997, 0, 0, 3)
    assert count(session) == before + 997
    assert count(session, AuditEvent) == events + 997 + 1
    assert report.render("en").splitlines()[0] == "Created 997, updated 0, unchanged 0, skipped 3."
    # Children listed before their parents still hang under them.
    unit = service.get_by_key(f"s{fmt}-u1")
    assert unit.parent.key == f"s{fmt}-d2" and unit.parent.parent.key == f"s{fmt}-gov"
    assert unit.in_scope is False and unit.division == "340400"
    assert len(service.subtree_ids(service.get_by_key(f"s{fmt}-gov").id)) == 997


def test_parents_after_children_by_key_and_by_name(service, segments):
    rows = [
        Row(2, {"名称": "低保科", "类型": "内设机构", "上级部门": "淮南市民政局"}),
        Row(
            3,
            {
                "名称": "淮南市民政局",
                "统一社会信用代码": code(),
                "目录编码段": next(segments),
                "上级部门": "t2-gov",
                "标识": "t2-mzj",
            },
        ),
        Row(
            4,
            {
                "名称": "淮南市人民政府",
                "统一社会信用代码": code(),
                "目录编码段": next(segments),
                "类型": "政府",
                "标识": "t2-gov",
            },
        ),
    ]
    report = service.import_rows(rows)
    assert report.ok and report.created == 3
    unit = service.get_by_key("t2-mzj-1")
    assert unit.name == "低保科" and unit.parent.key == "t2-mzj" and unit.parent.parent.key == "t2-gov"


def test_headers_in_every_form_and_spreadsheet_quirks(service, city, segments):
    segment = next(n for n in segments if n.startswith("0"))
    uscc = code()
    rows = [
        # Excel shows the segment 015 of a CSV as the number 15, and saves it so.
        Row(
            2,
            {
                "序号": "1",
                "Name": "淮南市财政局",
                "统一社会信用代码 (uscc)": uscc.lower(),
                "目录编码段（目）": str(int(segment)),
                "kind": "部门",
                "纳入统计": "否",
                "上级部门": "淮南市人民政府",
                "short_name": "财政局",
            },
        ),
    ]
    report = service.import_rows(rows)
    assert report.ok and report.created == 1 and report.ignored_columns == ["序号"]
    assert report.render("zh_CN") == "新建 1 个，更新 0 个，未变 0 个，跳过 0 个。\n已忽略的列：序号。"
    department = service.get_by_uscc(uscc)
    assert (department.name, department.short_name, department.catalog_segment) == (
        "淮南市财政局",
        "财政局",
        segment,
    )
    assert department.parent is city["gov"] and department.key == department.uscc.lower()


def test_header_problems(service):
    report = service.import_rows([Row(2, {"名字": "a", "备注": "c"})])
    assert report.rejected and report.errors[0].number == 1
    assert report.render("en").endswith(
        "such as 标识 (key), 名称 (name), 简称 (short_name), 统一社会信用代码 (uscc)."
    )
    report = service.import_rows([Row(2, {"名称": "a", "name": "b"})])
    assert report.render("zh_CN").splitlines()[1] == "第 1 行：名称：文件中有两列都对应此项：“名称”和“name”。"
    assert service.import_rows([]).render("en") == "Created 0, updated 0, unchanged 0, skipped 0."


def test_import_reports_every_kind_of_bad_row(service, session, city, segments):
    mzj = city["mzj"]
    shared = code()
    rows = [
        Row(2, {"name": "淮南市教育局", "uscc": shared, "catalog_segment": next(segments)}),
        Row(3, {"name": "淮南市教育局（重复）", "uscc": shared, "catalog_segment": next(segments)}),
        Row(4, {"name": "某科", "kind": "internal_unit", "parent": "不存在的部门"}),
        Row(5, {"key": "t3-x", "name": "甲科", "kind": "internal_unit", "parent": "t3-y"}),
        Row(6, {"key": "t3-y", "name": "乙科", "kind": "internal_unit", "parent": "t3-x"}),
        Row(
            7, {"key": "t3-z", "name": "淮南市教育局", "uscc": code(), "catalog_segment": mzj.catalog_segment}
        ),
        Row(8, {"name": "丙科", "kind": "internal_unit", "parent": ""}),
        Row(
            9,
            {
                "key": "t-gov",
                "name": "淮南市人民政府",
                "uscc": city["gov"].uscc,
                "catalog_segment": city["gov"].catalog_segment,
                "parent": "t-mzj-shjz",
            },
        ),
        Row(
            10,
            {
                "key": "t-rsj",
                "name": "淮南市人社局",
                "uscc": mzj.uscc,
                "catalog_segment": city["rsj"].catalog_segment,
                "parent": "t-gov",
            },
        ),
    ]
    before = count(session)
    report = service.import_rows(rows)
    assert report.rejected and count(session) == before
    assert report.render("zh_CN").splitlines() == [
        "未导入任何数据：有 8 行存在错误。",
        "第 3 行：统一社会信用代码：与第 2 行重复。",
        "第 4 行：上级部门：不存在标识或名称为“不存在的部门”的部门。",
        "第 5 行：上级部门：部门不能隶属于自身或其下级单位。",
        "第 6 行：上级部门：部门不能隶属于自身或其下级单位。",
        "第 7 行：目录编码段 (目)：已被“淮南市民政局”（t-mzj）使用。",
        "第 8 行：上级部门：内设机构必须指定所属部门。",
        "第 9 行：上级部门：部门不能隶属于自身或其下级单位。",
        "第 10 行：统一社会信用代码：已被“淮南市民政局”（t-mzj）使用。",
    ]


def test_ambiguous_parent_name(service, city):
    service.create({"name": "办公室", "kind": "internal_unit", "parent": "t-mzj"})
    service.create({"name": "办公室", "kind": "internal_unit", "parent": "t-rsj"})
    report = service.import_rows([Row(2, {"name": "文书组", "kind": "internal_unit", "parent": "办公室"})])
    assert report.render("en").splitlines()[1] == (
        "Row 2: Parent: several departments are named 办公室; give the key instead."
    )


def test_skipping_a_bad_parent_skips_its_children(service, session, segments):
    rows = [
        Row(
            2,
            {"key": "t4-a", "name": "甲局", "uscc": "911100001000012345", "catalog_segment": next(segments)},
        ),
        Row(3, {"key": "t4-a1", "name": "甲局办公室", "kind": "internal_unit", "parent": "t4-a"}),
        Row(4, {"key": "t4-b", "name": "乙局", "uscc": code(), "catalog_segment": next(segments)}),
    ]
    report = service.import_rows(rows, skip_invalid=True)
    assert (report.created, report.skipped) == (1, 2)
    assert report.render("en").splitlines()[1:] == [
        "Row 2: Unified social credit code: the check character is wrong (GB 32100); check the code for typos.",
        "Row 3: Parent: row 2, the parent, has errors, so this row is skipped too.",
    ]
    assert service.get_by_key("t4-b").name == "乙局"


def test_update_by_reimport(service, session, city):
    gov, mzj, rsj = city["gov"], city["mzj"], city["rsj"]
    # Every row of a file has every column; an empty cell clears the value.
    rows = [
        Row(
            2,
            {
                "标识": "t-mzj",
                "名称": "淮南市民政局",
                "简称": "",
                "统一社会信用代码": mzj.uscc,
                "目录编码段": mzj.catalog_segment,
                "上级部门": "t-gov",
            },
        ),
        Row(
            3,
            {
                "标识": "",
                "名称": "淮南市人社局",
                "简称": "",
                "统一社会信用代码": rsj.uscc,
                "目录编码段": rsj.catalog_segment,
                "上级部门": "t-gov",
            },
        ),
        Row(
            4,
            {
                "标识": "t-gov",
                "名称": "淮南市人民政府",
                "简称": "",
                "统一社会信用代码": gov.uscc,
                "目录编码段": gov.catalog_segment,
                "上级部门": "",
            },
        ),
    ]
    report = service.import_rows(rows)
    assert report.ok, report.render("en")
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    assert mzj.short_name is None and mzj.version == 2
    assert rsj.name == "淮南市人社局" and rsj.key == "t-rsj" and rsj.in_scope is False
    assert gov.version == 1
    assert audit_actions(session, rsj)[-1] == "department.update"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "department.import")).all()[-1]
    assert event.detail == {"created": 0, "updated": 2, "unchanged": 1, "skipped": 0}


def test_rename_key_by_uscc(service, city):
    mzj = city["mzj"]
    report = service.import_rows([Row(2, {"key": "t-minzheng", "uscc": mzj.uscc})])
    assert report.updated == 1 and mzj.key == "t-minzheng"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_round_trip(service, session, city, tmp_path, fmt):
    headers, rows = service.export_rows()
    assert headers == list(HEADERS) and headers[1] == "名称 (name)" and len(headers) == len(COLUMNS)
    keys = [row[0] for row in rows]
    # Tree order: each parent before its children.
    assert keys.index("t-gov") < keys.index("t-rsj") < keys.index("t-mzj") < keys.index("t-mzj-shjz")
    mzj_row = rows[keys.index("t-mzj")]
    assert mzj_row[COLUMNS.index("parent")] == "t-gov" and mzj_row[COLUMNS.index("in_scope")] is True

    path = tmp_path / f"export.{fmt}"
    write_rows(path, headers, rows)
    report = service.import_rows(read_rows(path))
    assert report.ok and (report.created, report.updated, report.unchanged) == (0, 0, len(rows))

    snapshot = {d.key: strip(DepartmentService.to_dict(d)) for d in city.values()}
    # Children first, as the foreign key to the parent requires.
    for key in ("t-mzj-shjz", "t-mzj", "t-rsj", "t-gov"):
        session.execute(delete(Department).where(Department.key == key))
    session.expunge_all()
    report = service.import_rows(read_rows(path))
    assert report.ok and report.created == 4 and report.unchanged == len(rows) - 4
    assert {key: strip(DepartmentService.to_dict(service.get_by_key(key))) for key in snapshot} == snapshot


def strip(values: dict) -> dict:
    return {name: value for name, value in values.items() if name not in ("id", "version")}


def test_skipping_a_row_cannot_leave_a_loop(service, city):
    gov, mzj = city["gov"], city["mzj"]

    def row(number, department, parent, uscc):
        values = {"key": department.key, "name": department.name, "uscc": uscc}
        values |= {"catalog_segment": department.catalog_segment, "parent": parent}
        return Row(number, values)

    # Together the rows swap the two; without row 3, 淮南市人民政府 would sit under its own department.
    rows = [row(2, gov, "t-mzj", gov.uscc), row(3, mzj, "", "911100001000012345")]
    assert service.import_rows(rows).rejected
    report = service.import_rows(rows, skip_invalid=True)
    assert [error.number for error in report.errors] == [2, 3]
    assert report.render("en").splitlines()[1] == (
        "Row 2: Parent: a department cannot be placed under itself or under one of its own units."
    )
    assert gov.parent is None and mzj.parent is gov
