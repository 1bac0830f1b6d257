"""History: a revision for every change, and readable, labelled differences between any two of them."""

from __future__ import annotations

import copy
import itertools

import pytest

from catalog.diff import FieldChange, diff_snapshots
from catalog.errors import NotFoundError, PermissionDeniedError
from tests.catalog.factories import advance, resource_input

ITEMS = [
    {"name": "姓名", "data_type": "C", "length": 50, "description": None},
    {"name": "身份证号码", "data_type": "C", "length": 18, "description": None},
    {"name": "保障金额", "data_type": "N", "length": 10, "description": "元/月"},
]


@pytest.fixture(scope="module")
def profile(container):
    return container.profile


@pytest.fixture
def snapshot():
    return {
        "id": 1, "version": 1, "status": "draft", "code": None, "title": "低保对象信息", "abstract": "摘要",
        "department": {"id": 1, "name": "淮南市民政局", "uscc": "x"}, "provider_code": "x",
        "share": {"type": "conditional", "condition": "仅限核查", "basis": None, "method": "1-2"},
        "open": {"is_open": False, "type": "not_open", "condition": None},
        "keywords": ["低保"], "items": copy.deepcopy(ITEMS), "distributions": [], "source_system": None,
        "created_at": "2025-01-01T00:00:00", "updated_at": "2025-01-01T00:00:00", "metadata_updated": "2025-01-01",
    }


def changed(old, new, profile) -> dict[str, FieldChange]:
    return {c.path: c for c in diff_snapshots(old, new, profile)}


def test_identical_snapshots_and_bookkeeping_make_no_difference(snapshot, profile):
    assert diff_snapshots(snapshot, copy.deepcopy(snapshot), profile) == []
    later = {**copy.deepcopy(snapshot), "id": 2, "version": 7, "updated_at": "2026-01-01", "metadata_updated": "2026-01-01"}
    assert diff_snapshots(snapshot, later, profile) == []


def test_scalar_fields_with_labels_in_both_languages(snapshot, profile):
    new = {**copy.deepcopy(snapshot), "title": "低保对象信息（新）", "abstract": None, "source_system": "救助系统",
           "status": "published", "code": "307015/000001"}
    changes = changed(snapshot, new, profile)
    assert set(changes) == {"title", "abstract", "source_system", "status", "code"}
    title = changes["title"].to_dict("zh_CN")
    assert title == {"path": "title", "label": "信息资源名称", "kind": "changed", "old": "低保对象信息",
                     "new": "低保对象信息（新）"}
    assert changes["title"].to_dict("en")["label"] == "Resource title"
    assert (changes["abstract"].kind, changes["source_system"].kind, changes["code"].kind) == ("removed", "added", "added")
    assert changes["source_system"].to_dict("zh_CN")["label"] == "所属系统"
    assert changes["source_system"].to_dict("en")["label"] == "Source information system"
    assert changes["status"].to_dict("zh_CN")["label"] == "状态"
    assert changes["status"].to_dict("en")["label"] == "Status"
    assert changes["code"].to_dict("zh_CN")["label"] == "信息资源代码"


def test_changes_come_in_profile_order(snapshot, profile):
    new = {**copy.deepcopy(snapshot), "keywords": ["低保", "救助"], "title": "新", "status": "registered",
           "share": {**snapshot["share"], "method": "1-1"}}
    assert [c.path for c in diff_snapshots(snapshot, new, profile)] == ["title", "share.method", "keywords", "status"]


def test_nested_share_fields(snapshot, profile):
    new = copy.deepcopy(snapshot)
    new["share"] = {"type": "not_shared", "condition": None, "basis": "《社会救助暂行办法》", "method": None}
    changes = changed(snapshot, new, profile)
    assert set(changes) == {"share.type", "share.condition", "share.basis", "share.method"}
    assert changes["share.type"].to_dict("zh_CN") == {"path": "share.type", "label": "共享属性 · 共享类型",
                                                      "kind": "changed", "old": "conditional", "new": "not_shared"}
    assert changes["share.type"].to_dict("en")["label"] == "Sharing · Share type"
    assert changes["share.basis"].to_dict("zh_CN")["label"] == "共享属性 · 不予共享依据"
    assert changes["share.condition"].to_dict("en")["label"] == "Sharing · Share condition"


def test_item_added(snapshot, profile):
    new = copy.deepcopy(snapshot)
    new["items"].append({"name": "家庭住址", "data_type": "C", "length": 200, "description": None})
    changes = diff_snapshots(snapshot, new, profile)
    assert [(c.path, c.kind) for c in changes] == [("items[家庭住址]", "added")]
    assert changes[0].new["length"] == 200 and changes[0].old is None
    assert changes[0].to_dict("zh_CN")["label"] == "信息项 [家庭住址]"
    assert changes[0].to_dict("en")["label"] == "Information items [家庭住址]"


def test_item_removed(snapshot, profile):
    new = copy.deepcopy(snapshot)
    del new["items"][1]
    changes = diff_snapshots(snapshot, new, profile)
    assert [(c.path, c.kind) for c in changes] == [("items[身份证号码]", "removed")]
    assert changes[0].old == ITEMS[1]


def test_item_field_changed(snapshot, profile):
    new = copy.deepcopy(snapshot)
    new["items"][0]["length"] = 100
    changes = diff_snapshots(snapshot, new, profile)
    assert [(c.path, c.kind, c.old, c.new) for c in changes] == [("items[姓名].length", "changed", 50, 100)]
    assert changes[0].to_dict("zh_CN")["label"] == "信息项 · 数据长度 [姓名]"
    assert changes[0].to_dict("en")["label"] == "Information items · Length [姓名]"


def test_item_renamed(snapshot, profile):
    new = copy.deepcopy(snapshot)
    new["items"][1]["name"] = "公民身份号码"
    changes = diff_snapshots(snapshot, new, profile)
    assert [(c.path, c.kind, c.old, c.new) for c in changes] == [
        ("items[身份证号码].name", "renamed", "身份证号码", "公民身份号码")]
    assert changes[0].to_dict("zh_CN")["label"] == "信息项 · 信息项名称 [身份证号码]"
    assert changes[0].to_dict("en")["label"] == "Information items · Item name [身份证号码]"


def test_item_renamed_and_changed_in_place(snapshot, profile):
    new = copy.deepcopy(snapshot)
    new["items"][2].update(name="救助金额", length=12)
    changes = diff_snapshots(snapshot, new, profile)
    assert [(c.path, c.kind, c.old, c.new) for c in changes] == [
        ("items[保障金额].name", "renamed", "保障金额", "救助金额"),
        ("items[救助金额].length", "changed", 10, 12),
    ]


def test_item_renamed_and_moved(snapshot, profile):
    new = copy.deepcopy(snapshot)
    moved = new["items"].pop(0)
    moved["name"] = "姓名（户主）"
    new["items"].append(moved)
    changes = diff_snapshots(snapshot, new, profile)
    assert [(c.path, c.kind) for c in changes] == [("items[姓名].name", "renamed"), ("items.order", "reordered")]
    assert changes[1].new == ["身份证号码", "保障金额", "姓名（户主）"]


def test_item_reordered(snapshot, profile):
    new = copy.deepcopy(snapshot)
    new["items"].reverse()
    changes = diff_snapshots(snapshot, new, profile)
    assert [(c.path, c.kind) for c in changes] == [("items.order", "reordered")]
    assert changes[0].old == ["姓名", "身份证号码", "保障金额"]
    assert changes[0].new == ["保障金额", "身份证号码", "姓名"]
    assert changes[0].to_dict("zh_CN")["label"] == "信息项"


def test_item_removed_and_another_added_elsewhere(snapshot, profile):
    new = copy.deepcopy(snapshot)
    del new["items"][1]
    new["items"].append({"name": "银行账号", "data_type": "C", "length": 30, "description": None})
    kinds = {(c.path, c.kind) for c in diff_snapshots(snapshot, new, profile)}
    assert kinds == {("items[身份证号码]", "removed"), ("items[银行账号]", "added")}


def test_rows_without_unique_names_compare_by_position(snapshot, profile):
    old = {**snapshot, "items": [{"name": "a", "data_type": "C"}, {"name": "a", "data_type": "D"}]}
    new = {**snapshot, "items": [{"name": "a", "data_type": "C"}, {"name": "a", "data_type": "T"}]}
    assert [(c.path, c.kind) for c in diff_snapshots(old, new, profile)] == [("items[1].data_type", "changed")]


def test_distributions_by_url(snapshot, profile):
    link = {"kind": "link", "title": "下载", "url": "https://example.org/a", "service_type": None, "media_type": None,
            "description": None}
    old = {**snapshot, "distributions": [link]}
    new = {**snapshot, "distributions": [{**link, "title": "数据下载"}]}
    changes = diff_snapshots(old, new, profile)
    assert [(c.path, c.kind) for c in changes] == [("distributions[https://example.org/a].title", "changed")]
    assert changes[0].to_dict("zh_CN")["label"] == "在线资源与服务信息 · 名称 [https://example.org/a]"


# -- revisions through the service -----------------------------------------------------------------------


def test_a_revision_for_every_change_and_readable_diffs_between_any_two(world):
    officer, manager = world.service(world.actor("officer")), world.service("manager")
    resource = officer.create(resource_input(world.mzj))
    items = resource_input(world.mzj)["items"]
    officer.update(resource.id, resource_input(world.mzj, items=items + [
        {"name": "家庭住址", "data_type": "C", "length": 200}]), comment="加一项")
    officer.update(resource.id, resource_input(world.mzj, items=[items[1], items[0], items[2]]))
    renamed = copy.deepcopy(items)
    renamed[1]["name"] = "公民身份号码"
    officer.update(resource.id, resource_input(world.mzj, items=renamed,
                                               share={"type": "不予共享", "basis": "《社会救助暂行办法》"}))
    advance(officer, resource.id, ["submit"])
    advance(manager, resource.id, ["register", "request_publication", "publish"])
    officer.update(resource.id, resource_input(world.mzj, items=renamed, title="低保对象信息（新）",
                                               share={"type": "不予共享", "basis": "《社会救助暂行办法》"}))
    manager.decide_change(resource.id, approve=True)

    revisions = manager.revisions(resource.id)
    assert [r.action for r in revisions] == ["create", "update", "update", "update", "submit", "register",
                                             "request_publication", "publish", "approve_change"]
    assert [r.number for r in revisions] == list(range(1, 10))
    assert [r.snapshot["version"] for r in revisions] == list(range(1, 10))
    assert revisions[1].comment == "加一项"
    assert all(r.actor_name for r in revisions) and all(r.created_at for r in revisions)

    def paths(a, b):
        return [(c.path, c.kind) for c in manager.diff(resource.id, a, b)]

    assert paths(1, 2) == [("items[家庭住址]", "added")]
    assert paths(2, 3) == [("items[家庭住址]", "removed"), ("items.order", "reordered")]
    assert paths(3, 4) == [("items[身份证号码].name", "renamed"), ("items.order", "reordered"),
                           ("share.basis", "changed"), ("share.condition", "changed"), ("share.method", "changed"),
                           ("share.type", "changed")]
    assert paths(4, 5) == [("status", "changed")]
    assert paths(5, 6) == [("code", "added"), ("status", "changed")]
    assert ("published_on", "added") in paths(7, 8)
    assert paths(8, 9) == [("title", "changed")]
    assert paths(3, 3) == []
    # Any two revisions, either way round, give readable labelled changes.
    for a, b in itertools.permutations(range(1, 10), 2):
        for change in manager.diff(resource.id, a, b):
            for locale in ("zh_CN", "en"):
                rendered = change.to_dict(locale)
                assert rendered["label"] and rendered["kind"] in {"changed", "added", "removed", "renamed",
                                                                  "reordered"}
    zh = {c.path: c.to_dict("zh_CN")["label"] for c in manager.diff(resource.id, 3, 4)}
    en = {c.path: c.to_dict("en")["label"] for c in manager.diff(resource.id, 3, 4)}
    assert zh["share.type"] == "共享属性 · 共享类型" and en["share.type"] == "Sharing · Share type"
    assert zh["items[身份证号码].name"].startswith("信息项 · 信息项名称")
    assert en["items[身份证号码].name"].startswith("Information items · Item name")


def test_diff_errors_and_permissions(world):
    resource = world.resource("draft")
    service = world.service(world.actor("officer"))
    with pytest.raises(NotFoundError):
        service.diff(resource.id, 1, 2)
    assert service.diff(resource.id, 1, 1) == []
    with pytest.raises(NotFoundError):
        world.service(world.actor("officer", "rsj")).diff(resource.id, 1, 1)
    published = world.resource("published")
    with pytest.raises(PermissionDeniedError):
        world.service(world.actor("officer", "rsj")).diff(published.id, 1, 2)
    assert world.service("auditor").diff(published.id, 1, 2)


def test_revision_snapshot_is_the_resource_json(world):
    service = world.service()
    resource = world.resource("registered")
    last = service.revisions(resource.id)[-1]
    assert last.snapshot == service.to_json(resource)
    assert last.snapshot["code"] == resource.code
