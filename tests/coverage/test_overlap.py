"""Overlap between departments and the basic libraries' completeness."""

from __future__ import annotations

import pytest

from catalog.coverage.overlap import (
    Entry,
    item_overlaps,
    key_names,
    library_completeness,
    load_libraries,
    resource_overlaps,
    synonym_map,
)
from catalog.coverage.overlap_service import OverlapService
from catalog.coverage.similarity import fold
from catalog.errors import PermissionDeniedError

PLACES = ("淮南市", "凤台县", "凤台", "寿县")
PERSON = ("姓名", "身份证号码", "性别", "出生日期")


def entry(id, department, title, items=(), status="published", code=None, related=()):
    return Entry(id, title, hash(department) % 1000, department, status, code, tuple(items), tuple(related))


def test_the_libraries_are_data_with_the_plans_fields():
    libraries = {library.key: library for library in load_libraries()}
    assert [f.name for f in libraries["population"].fields] == [
        "身份证号码", "姓名", "性别", "出生日期", "出生地", "民族", "婚姻状况"]
    assert [f.name for f in libraries["legal_entity"].fields] == [
        "机构代码", "名称", "地址", "类型", "法人", "注册号", "注册日期", "电话号码", "登记年检变更注(吊)销"]
    synonyms = synonym_map(libraries.values())
    assert synonyms[fold("公民身份号码")] == "身份证号码"
    assert fold("统一社会信用代码") not in synonyms  # only approximately the 机构代码
    assert fold("统一社会信用代码") in libraries["legal_entity"].fields[0].related


def test_similar_titles_of_different_departments_overlap():
    entries = [entry(1, "民政局", "淮南市城乡低保对象信息"), entry(2, "凤台县民政局", "凤台县城乡低保对象信息"),
               entry(3, "民政局", "淮南市城乡低保对象统计"),  # same department: not an overlap with 1
               entry(4, "教育局", "淮南市中小学校基本信息")]
    groups = resource_overlaps(entries, PLACES)
    assert [sorted(e.id for e in g.resources) for g in groups] == [[1, 2, 3]]  # 3 joins through 2
    assert groups[0].departments == ["凤台县民政局", "民政局"] and groups[0].score == 1.0


def test_shared_content_items_overlap_but_shared_keys_do_not():
    content = ("参保状态", "缴费基数", "累计缴费月数")
    entries = [entry(1, "人社局", "企业职工养老保险参保信息", (*PERSON, *content)),
               entry(2, "凤台县人社局", "居民养老保险登记", (*PERSON, *content)),
               entry(3, "公安局", "户籍人口信息", PERSON),
               entry(4, "卫健委", "出生医学证明信息", PERSON)]
    libraries = load_libraries()
    groups = resource_overlaps(entries, PLACES, synonym_map(libraries), key_names(libraries))
    assert [sorted(e.id for e in g.resources) for g in groups] == [[1, 2]]
    assert set(content) <= set(groups[0].shared_items)


def test_a_resource_citing_another_is_reuse_not_overlap():
    entries = [entry(1, "公安局", "淮南市人口信息", code="307010/000001"),
               entry(2, "数据局", "淮南市人口基础信息", code="101001/000001", related=("307010/000001",))]
    assert resource_overlaps(entries, PLACES) == []


def test_items_collected_by_several_departments_fold_synonyms():
    entries = [entry(1, "公安局", "户籍", ("公民身份号码", "姓名")), entry(2, "民政局", "低保", ("身份证号码", "姓名")),
               entry(3, "民政局", "特困", ("身份证号码",)), entry(4, "教育局", "学籍", ("学籍号",))]
    found = item_overlaps(entries, synonym_map(load_libraries()))
    assert [(row["name"], row["departments"], row["resources"]) for row in found] == [
        ("身份证号码", ["公安局", "民政局"], 3), ("姓名", ["公安局", "民政局"], 2)]
    assert found[0]["spellings"] == ["公民身份号码", "身份证号码"]
    assert item_overlaps(entries, min_departments=3) == []


def test_library_fields_provided_approximately_in_progress_or_missing():
    entries = [entry(1, "公安局", "户籍人口", ("公民身份号码", "姓名", "性别", "出生日期", "出生地", "民族")),
               entry(2, "民政局", "婚姻登记", ("婚姻状况",), status="pending_registration"),
               entry(3, "市场监管局", "市场主体", ("统一社会信用代码", "企业名称", "住所", "法定代表人", "成立日期"))]
    result = {library["key"]: library for library in library_completeness(entries, load_libraries())}
    population = {f["name"]: f for f in result["population"]["fields"]}
    assert population["身份证号码"]["status"] == "provided"
    assert population["身份证号码"]["providers"][0]["item"] == "公民身份号码"
    assert population["婚姻状况"]["status"] == "in_progress"
    assert result["population"]["provided"] == 6 and result["population"]["missing"] == []
    legal = {f["name"]: f for f in result["legal_entity"]["fields"]}
    assert legal["机构代码"]["status"] == "approximate" and legal["机构代码"]["providers"][0]["match"] == "related"
    assert legal["名称"]["status"] == legal["地址"]["status"] == legal["法人"]["status"] == "provided"
    assert result["legal_entity"]["missing"] == ["类型", "电话号码", "登记年检变更注(吊)销"]


def test_the_service_reads_the_catalog(world):
    world.resource("published", title="最低生活保障对象信息")
    world.resource("published", department="rsj", title="最低生活保障对象信息（人社）")
    world.service("admin").create({"title": "草稿", "classification_code": "307", "department": "rsj"})
    service = OverlapService(world.container, world.session, world.actor("auditor"))
    result = service.report()
    assert len(result.resources) == 1 and result.resources[0].departments == ["淮南市人力资源和社会保障局", "淮南市民政局"]
    assert {row["name"] for row in result.items} >= {"姓名", "身份证号码", "保障金额"}
    assert len(service.entries()) == 2 and len(service.entries(include_drafts=True)) == 3
    data = result.to_dict()
    assert set(data) == {"resources", "items", "libraries"}
    with pytest.raises(PermissionDeniedError):
        OverlapService(world.container, world.session, world.actor("officer")).report()
