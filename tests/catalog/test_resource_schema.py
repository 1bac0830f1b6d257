"""ResourceSchema: shape, syntax, code lists and the guide's cross-field rules, with labelled messages."""

from __future__ import annotations

import pytest

from catalog.errors import ValidationError
from catalog.schemas.resource import ResourceSchema
from tests.catalog.factories import draft_input, resource_input


@pytest.fixture(scope="module")
def schema(container) -> ResourceSchema:
    return ResourceSchema(container.profile, container.vocab)


def valid(**overrides):
    return resource_input("mzj", **overrides)


def problems(schema, data, *, draft=False) -> dict:
    with pytest.raises(ValidationError) as err:
        schema.load(data, draft=draft)
    assert err.value.code == "validation_error"
    return err.value.fields


def assert_labelled(fields: dict, path: str, zh: str, en: str, *, says: str | None = None) -> None:
    """The first message of ``path`` names the field in both languages (and says ``says`` in English)."""
    assert path in fields, f"{path} not in {sorted(fields)}"
    message = fields[path][0]
    assert zh in message.render("zh_CN"), message.render("zh_CN")
    assert en in message.render("en"), message.render("en")
    if says:
        assert says in message.render("en"), message.render("en")


def test_complete_input_loads(schema):
    loaded = schema.load(valid())
    assert loaded["share"] == {"type": "conditional", "condition": "仅限民政、人社部门核查使用", "method": "1-2"}
    assert loaded["department"] == {"key": "mzj"}
    assert loaded["classification_code"] == "307"


# -- the guide's cross-field rules -----------------------------------------------------------------


def test_conditional_sharing_requires_condition(schema):
    fields = problems(schema, valid(share={"type": "有条件共享", "method": "1-2"}))
    assert set(fields) == {"share.condition"}
    assert_labelled(fields, "share.condition", "共享条件", "Share condition", says="有条件共享")
    fields = problems(schema, valid(share={"type": "有条件共享", "condition": "   ", "method": "1-2"}))
    assert set(fields) == {"share.condition"}


def test_not_shared_requires_basis_and_no_method(schema):
    fields = problems(schema, valid(share={"type": "不予共享"}))
    assert set(fields) == {"share.basis"}
    assert_labelled(fields, "share.basis", "不予共享依据", "Basis for not sharing")
    loaded = schema.load(valid(share={"type": "不予共享", "basis": "《社会救助暂行办法》第六十六条"}))
    assert loaded["share"]["type"] == "not_shared"


@pytest.mark.parametrize("share_type", ["无条件共享", "有条件共享"])
def test_share_method_required_unless_not_shared(schema, share_type):
    fields = problems(schema, valid(share={"type": share_type, "condition": "仅限核查"}))
    assert set(fields) == {"share.method"}
    assert_labelled(fields, "share.method", "共享方式", "Share method")


def test_share_type_is_required(schema):
    fields = problems(schema, valid(share={"condition": "x", "method": "1-2"}))
    assert_labelled(fields, "share.type", "共享类型", "Share type", says="required")


def test_conditional_opening_requires_condition(schema):
    fields = problems(schema, valid(open={"is_open": "是", "type": "有条件开放"}))
    assert set(fields) == {"open.condition"}
    assert_labelled(fields, "open.condition", "开放条件", "Open condition")
    loaded = schema.load(valid(open={"is_open": "是", "type": "依申请开放", "condition": "实名申请"}))
    assert loaded["open"] == {"is_open": True, "type": "conditional", "condition": "实名申请"}


def test_open_type_must_agree_with_is_open(schema):
    fields = problems(schema, valid(open={"is_open": "否", "type": "无条件开放"}))
    assert_labelled(fields, "open.type", "开放类型", "Open type", says="not open")
    fields = problems(schema, valid(open={"is_open": True, "type": "不予开放"}))
    assert_labelled(fields, "open.type", "开放类型", "Open type")
    fields = problems(schema, valid(open={"type": "无条件开放"}))
    assert_labelled(fields, "open.is_open", "是否向社会开放", "Open to the public", says="required")


@pytest.mark.parametrize("format_class", ["数据库", "电子表格", "3", "2"])
def test_structured_formats_need_items(schema, format_class):
    for items in ([], None):
        data = valid(format={"class": format_class})
        data["items"] = items
        fields = problems(schema, data)
        assert set(fields) == {"items"}
        assert_labelled(fields, "items", "信息项", "Information items", says="at least one")
    data = valid(format={"class": format_class})
    del data["items"]
    assert "items" in problems(schema, data)


def test_unstructured_formats_need_no_items(schema):
    data = valid(format={"class": "电子文件", "type": "pdf"}, items=[])
    assert schema.load(data)["items"] == []


def test_character_and_numeric_items_need_a_length(schema):
    items = [{"name": "姓名", "data_type": "C"}, {"name": "金额", "data_type": "数值型"},
             {"name": "出生日期", "data_type": "D"}, {"name": "备注", "data_type": "M"}]
    fields = problems(schema, valid(items=items))
    assert set(fields) == {"items.0.length", "items.1.length"}
    assert_labelled(fields, "items.0.length", "数据长度", "Length", says="字符型")
    assert_labelled(fields, "items.1.length", "信息项 第2行 · 数据长度", "Information items row 2 · Length")


def test_item_rules(schema):
    items = [{"name": "姓名", "data_type": "C", "length": 20},
             {"name": "姓名", "data_type": "C", "length": 20},
             {"name": "住址", "data_type": "C", "length": 200, "share_type": "有条件共享"}]
    fields = problems(schema, valid(items=items))
    assert set(fields) == {"items.1.name", "items.2.share_condition"}
    assert_labelled(fields, "items.1.name", "信息项名称", "Item name", says="row 1")
    assert_labelled(fields, "items.2.share_condition", "信息项共享条件", "Item share condition")


def test_format_type_must_belong_to_class_and_other_needs_description(schema):
    fields = problems(schema, valid(format={"class": "电子表格", "type": "oracle"}))
    assert_labelled(fields, "format.type", "格式类型", "Format type")
    fields = problems(schema, valid(format={"class": "其他"}, items=[]))
    assert_labelled(fields, "format.description", "其他格式描述", "Format description")
    assert schema.load(valid(format={"class": "其他", "description": "CAD 图纸"}, items=[]))["format"]["class"] == "9"
    fields = problems(schema, valid(format={"class": "oracle"}))  # a type is no class
    assert_labelled(fields, "format.class", "格式分类", "Format class")


# -- syntax --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["abc", "307015000001", "307015/000000", "30701/000001", "３０７０１５/００００１"])
def test_malformed_related_codes(schema, bad):
    fields = problems(schema, valid(related_codes=["307015/000001", bad]))
    assert set(fields) == {"related_codes"}
    assert_labelled(fields, "related_codes", "关联资源代码", "Related resource codes", says="分类码/顺序码")


def test_related_codes_accepted(schema):
    loaded = schema.load(valid(related_codes="307015/000001，30101601/000012"))
    assert loaded["related_codes"] == ["307015/000001", "30101601/000012"]


def test_unknown_fields(schema):
    data = valid(colour="blue", share={"type": "无条件共享", "method": "1-2", "level": 3})
    data["items"][0]["nickname"] = "x"
    fields = problems(schema, data)
    assert set(fields) == {"colour", "share.level", "items.0.nickname"}
    assert "unknown field" in fields["colour"][0].render("en")
    assert_labelled(fields, "share.level", "共享属性", "Sharing", says="unknown field")
    assert_labelled(fields, "items.0.nickname", "信息项 第1行", "Information items row 1")


@pytest.mark.parametrize(
    ("overrides", "path", "zh", "en"),
    [
        ({"title": ["a"]}, "title", "信息资源名称", "Resource title"),
        ({"title": {"zh": "a"}}, "title", "信息资源名称", "Resource title"),
        ({"share": "有条件共享"}, "share", "共享属性", "Sharing"),
        ({"format": ["数据库"]}, "format", "信息资源格式", "Format"),
        ({"items": {"name": "x"}}, "items", "信息项", "Information items"),
        ({"items": ["姓名"]}, "items.0", "信息项", "Information items"),
        ({"record_count": "很多"}, "record_count", "数据量", "Record count"),
        ({"record_count": True}, "record_count", "数据量", "Record count"),
        ({"record_count": -1}, "record_count", "数据量", "Record count"),
        ({"open": {"is_open": []}}, "open.is_open", "是否向社会开放", "Open to the public"),
        ({"open": {"is_open": {"a": 1}}}, "open.is_open", "是否向社会开放", "Open to the public"),
        ({"open": {"is_open": "也许"}}, "open.is_open", "是否向社会开放", "Open to the public"),
        ({"open": {"is_open": 2}}, "open.is_open", "是否向社会开放", "Open to the public"),
        ({"keywords": 5}, "keywords", "关键字", "Keywords"),
        ({"keywords": [["低保"]]}, "keywords", "关键字", "Keywords"),
        ({"update_cycle": ["每月"]}, "update_cycle", "更新周期", "Update cycle"),
        ({"update_cycle": "每两年"}, "update_cycle", "更新周期", "Update cycle"),
        ({"theme": "不存在的主题"}, "theme", "主题分类", "Theme"),
        ({"department": True}, "department", "信息资源提供方", "Provider"),
        ({"department": 3.5}, "department", "信息资源提供方", "Provider"),
        ({"department": {"id": "abc"}}, "department", "信息资源提供方", "Provider"),
        ({"department": {}}, "department", "信息资源提供方", "Provider"),
        ({"classification_code": "abc"}, "classification_code", "信息资源分类", "Resource classification"),
        ({"classification_code": "30"}, "classification_code", "信息资源分类", "Resource classification"),
        ({"classification_code": "907"}, "classification_code", "信息资源分类", "Resource classification"),
        ({"classification_code": "399"}, "classification_code", "信息资源分类", "Resource classification"),
        ({"classification_code": "3070150123456789X"}, "classification_code", "信息资源分类",
         "Resource classification"),
        ({"distributions": [{"kind": "下载", "url": "https://example.org"}]}, "distributions.0.kind", "类别", "Kind"),
        ({"distributions": [{"kind": "link", "url": "javascript:alert(1)"}]}, "distributions.0.url", "地址", "URL"),
    ],
)
def test_wrong_types_and_values(schema, overrides, path, zh, en):
    fields = problems(schema, valid(**overrides))
    assert_labelled(fields, path, zh, en)


def test_wrong_types_in_item_rows(schema):
    items = [{"name": "姓名", "data_type": "C", "length": 3.5},
             {"name": "年龄", "data_type": "未知型", "length": "二"},
             {"name": "金额", "data_type": "N", "length": 0},
             {"name": ["x"], "data_type": "C", "length": 1}]
    fields = problems(schema, valid(items=items))
    assert {"items.0.length", "items.1.data_type", "items.1.length", "items.2.length", "items.3.name"} <= set(fields)
    assert_labelled(fields, "items.0.length", "信息项 第1行 · 数据长度", "Information items row 1 · Length",
                    says="whole number")


def test_whole_numbers_from_spreadsheets(schema):
    items = [{"name": "姓名", "data_type": "C", "length": 50.0}, {"name": "金额", "data_type": "N", "length": " 1,024 "}]
    loaded = schema.load(valid(items=items, record_count="12,000"))
    assert [i["length"] for i in loaded["items"]] == [50, 1024]
    assert loaded["record_count"] == 12000


def test_too_long_title_and_tightened_abstract(schema):
    assert schema.load(valid(title="名" * 200))["title"] == "名" * 200
    fields = problems(schema, valid(title="名" * 201))
    assert_labelled(fields, "title", "信息资源名称", "Resource title", says="at most 200 characters (got 201)")
    # huainan.yaml tightens the abstract from 4000 to 1000 characters.
    fields = problems(schema, valid(abstract="摘" * 1001))
    assert_labelled(fields, "abstract", "信息资源摘要", "Abstract", says="1000")


def test_every_problem_is_reported_at_once(schema):
    data = valid(title="名" * 201, share={"type": "有条件共享", "method": "1-2"}, update_cycle="每两年", colour=1)
    data["items"][0]["length"] = None
    fields = problems(schema, data)
    assert {"title", "share.condition", "update_cycle", "colour", "items.0.length"} <= set(fields)


def test_not_an_object(schema):
    for data in (["title"], "title", None):
        fields = problems(schema, data)
        assert list(fields) == ["_schema"]


# -- normalisation -------------------------------------------------------------------------------------


def test_labels_and_alternative_labels_become_codes(schema):
    loaded = schema.load(valid(
        open={"is_open": "是", "type": "无条件开发"},
        update_cycle="每天",
        share={"type": "有条件", "condition": "仅限核查", "method": "接口"},
        format={"class": "库表", "type": "ORACLE"},
        theme="R",
        items=[{"name": "姓名", "data_type": "字符型", "length": "50", "share_type": "不予共享", "is_open": "否"}],
        distributions=[{"kind": "服务接口", "url": "https://data.huainan.gov.cn/api/dibao"}],
        data_scope="县区级",
    ))
    assert loaded["open"] == {"is_open": True, "type": "unconditional"}
    assert loaded["update_cycle"] == "2"
    assert loaded["share"] == {"type": "conditional", "condition": "仅限核查", "method": "1-2"}
    assert loaded["format"]["class"] == "3" and loaded["format"]["type"].startswith("3-")
    assert loaded["items"][0] == {"name": "姓名", "data_type": "C", "length": 50, "share_type": "not_shared",
                                  "is_open": False}
    assert loaded["distributions"][0]["kind"] == "service"
    assert loaded["data_scope"] == "2"


@pytest.mark.parametrize(("given", "expected"), [
    ("是", True), ("否", False), ("yes", True), ("No", False), (" TRUE ", True), ("0", False), (1, True), (0, False),
    (True, True), (False, False), ("开放", True), ("不开放", False),
])
def test_yes_no_values(schema, given, expected):
    loaded = schema.load(valid(open={"is_open": given} if expected is False else {"is_open": given, "type": "1"}))
    assert loaded["open"]["is_open"] is expected


@pytest.mark.parametrize(("given", "expected"), [
    ("低保、救助", ["低保", "救助"]),
    ("低保,救助，低保；民政", ["低保", "救助", "民政"]),
    (["低保", " 救助 ", "低保", ""], ["低保", "救助"]),
    ("低保\n救助", ["低保", "救助"]),
])
def test_keywords_given_as_text_or_list(schema, given, expected):
    assert schema.load(valid(keywords=given))["keywords"] == expected


def test_mandatory_keywords_cannot_be_empty(schema):
    for empty in ([], "、、", [" "]):
        fields = problems(schema, valid(keywords=empty))
        assert_labelled(fields, "keywords", "关键字", "Keywords", says="required")
    fields = problems(schema, valid(keywords=[f"词{i}" for i in range(21)]))
    assert_labelled(fields, "keywords", "关键字", "Keywords", says="at most 20")
    fields = problems(schema, valid(keywords=["长" * 51]))
    assert_labelled(fields, "keywords", "关键字", "Keywords", says="50")


def test_text_is_trimmed_and_nfc_normalised(schema):
    loaded = schema.load(valid(title="  低保对象信息\u3000", abstract="e\u0301"))
    assert loaded["title"] == "低保对象信息"
    assert loaded["abstract"] == "é"


def test_classification_forms(schema):
    assert schema.load(valid(classification_code="307"))["classification_code"] == "307"
    assert schema.load(valid(classification_code="307.015-02"))["classification_code"] == "30701502"
    assert schema.load(valid(classification_code=307015))["classification_code"] == "307015"
    # Full-width digits typed with a Chinese input method are read as digits.
    assert schema.load(valid(classification_code="３０７０１５"))["classification_code"] == "307015"
    fields = problems(schema, valid(classification_code="३०७"))  # other Unicode digits are refused
    assert "classification_code" in fields


@pytest.mark.parametrize(("given", "expected"), [
    ("mzj", {"key": "mzj"}), (7, {"id": 7}), ("7", {"id": 7}), ({"id": "7"}, {"id": 7}),
    ("113404000000010009", {"uscc": "113404000000010009"}), ({"uscc": " 11340400000001000x "}, {"uscc": "11340400000001000X"}),
    ({"name": "淮南市民政局"}, {"name": "淮南市民政局"}), ({"id": None, "key": "mzj"}, {"key": "mzj"}),
])
def test_department_references(schema, given, expected):
    assert schema.load(valid(department=given))["department"] == expected


def test_read_only_keys_are_ignored(schema):
    data = valid(id=5, code="307015/000001", status="published", version=9, provider_code="x", metadata_id="m",
                 published_on="2020-01-01", created_at="x", updated_at="y", pending_change={"a": 1})
    loaded = schema.load(data)
    for key in ("id", "code", "status", "version", "provider_code", "metadata_id", "published_on"):
        assert key not in loaded


# -- extensions --------------------------------------------------------------------------------------------


def test_secrecy_only_non_classified(schema):
    assert schema.load(valid())["secrecy"] == "1"
    assert schema.load(valid(secrecy="非涉密"))["secrecy"] == "1"
    for classified in ("涉密", "2", "classified"):
        fields = problems(schema, valid(secrecy=classified))
        assert set(fields) == {"secrecy"}
        assert_labelled(fields, "secrecy", "涉密属性", "Secrecy", says="非涉密")
    fields = problems(schema, valid(secrecy="绝密"))
    assert_labelled(fields, "secrecy", "涉密属性", "Secrecy")


def test_data_scope_default_filled(schema):
    assert schema.load(valid())["data_scope"] == "1"
    assert schema.load(valid(data_scope=""))["data_scope"] == "1"
    assert schema.load(draft_input("mzj"), draft=True)["data_scope"] == "1"
    assert schema.load(valid(data_scope="2"))["data_scope"] == "2"


def test_tightened_obligations(schema):
    for key, zh, en in (("theme", "主题分类", "Theme"), ("keywords", "关键字", "Keywords")):
        fields = problems(schema, valid(**{key: None}))
        assert set(fields) == {key}
        assert_labelled(fields, key, zh, en, says="required")
    assert "source_system" not in schema.load(valid(source_system=None))  # recommended, not mandatory


# -- drafts --------------------------------------------------------------------------------------------------


def test_drafts_need_only_title_department_classification(schema):
    fields = problems(schema, {}, draft=True)
    assert set(fields) == {"title", "department", "classification_code"}
    assert_labelled(fields, "title", "信息资源名称", "Resource title", says="required")
    assert_labelled(fields, "department", "信息资源提供方", "Provider")
    assert_labelled(fields, "classification_code", "信息资源分类", "Resource classification")
    loaded = schema.load(draft_input("mzj"), draft=True)
    assert loaded["title"] == "草稿资源"


def test_drafts_skip_the_rules_but_not_the_syntax(schema):
    data = draft_input("mzj", share={"type": "有条件共享"}, format={"class": "数据库"}, items=[],
                       open={"is_open": "否", "type": "无条件开放"})
    assert schema.load(data, draft=True)["share"] == {"type": "conditional"}
    fields = problems(schema, draft_input("mzj", update_cycle="每两年", title="名" * 201, colour=1), draft=True)
    assert set(fields) == {"update_cycle", "title", "colour"}


def test_draft_item_rows_keep_their_mandatory_columns(schema):
    fields = problems(schema, draft_input("mzj", items=[{"data_type": "C"}, {"name": "姓名"}],
                                          distributions=[{"url": "https://example.org"}]), draft=True)
    assert set(fields) == {"items.0.name", "items.1.data_type", "distributions.0.kind"}
    assert_labelled(fields, "items.0.name", "信息项 第1行 · 信息项名称", "Information items row 1 · Item name")
    loaded = schema.load(draft_input("mzj", items=[{"name": "姓名", "data_type": "C"}]), draft=True)
    assert loaded["items"] == [{"name": "姓名", "data_type": "C"}]


# -- through the service -------------------------------------------------------------------------------------


def test_export_reads_back(world):
    service = world.service(world.actor("officer"))
    resource = service.create(resource_input(world.mzj, related_codes=["307016/000001"],
                                             distributions=[{"kind": "link", "url": "https://example.org/a"}]))
    exported = service.to_json(resource)
    loaded = service.schema.load(exported)
    # The USCC travels between installations; a local id does not.
    assert loaded["department"] == {"uscc": world.mzj.uscc}
    again = service.create(exported)
    assert service.to_json(again) | {"id": 0, "metadata_id": "", "created_at": "", "updated_at": ""} == \
        exported | {"id": 0, "metadata_id": "", "created_at": "", "updated_at": ""}


def test_draft_with_incomplete_item_row_is_refused_not_crashing(world):
    service = world.service(world.actor("officer"))
    with pytest.raises(ValidationError) as err:
        service.create(draft_input(world.mzj, items=[{"data_type": "C"}]))
    assert "items.0.name" in err.value.fields


def test_unknown_department(world):
    service = world.service()
    for ref in ("nope", {"id": 999999}, "113404000000099999"):
        with pytest.raises(ValidationError) as err:
            service.create(draft_input(ref))
        assert_labelled(err.value.fields, "department", "信息资源提供方", "Provider")


def test_metadata_maintainer_defaults_to_the_provider(world):
    service = world.service(world.actor("officer"))
    resource = service.create(resource_input(world.mzj))
    assert service.to_json(resource)["metadata_maintainer"] == world.mzj.name
    named = service.create(resource_input(world.mzj, title="另一资源", metadata_maintainer="淮南市数据资源管理局"))
    assert service.to_json(named)["metadata_maintainer"] == "淮南市数据资源管理局"
