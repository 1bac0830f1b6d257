"""InventoryService: items, validation, who may do what, confirmed links and suggestions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.actor import Actor
from catalog.coverage import access
from catalog.coverage.inventory import InventoryService, normalise_source
from catalog.coverage.matching import prepare, suggest_links
from catalog.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from catalog.models import AuditEvent, InventoryItem
from tests.catalog.factories import ROLES


def service(world, role="admin", department="mzj") -> InventoryService:
    return InventoryService(world.container, world.session, world.actor(role, department))


def test_create_cleans_and_audits(world):
    item = service(world, "officer").create({
        "department": "淮南市民政局", "title": "  城乡低保  对象信息 ", "source": "权责事项", "basis": "最低生活保障审批",
        "item_names": "姓名、身份证号码；姓名"})
    assert (item.title, item.source, item.item_names) == ("城乡低保 对象信息", "matter", ["姓名", "身份证号码"])
    assert item.department_id == world.mzj.id and item.title_key == "城乡低保对象信息"
    assert world.session.scalars(select(AuditEvent).where(AuditEvent.action == "inventory.create")).first()


def test_an_internal_unit_files_under_its_department(world):
    item = service(world).create({"department": world.mzj_unit.key, "title": "救助台账"})
    assert item.department_id == world.mzj.id


@pytest.mark.parametrize(("data", "field"), [
    ({"department": "mzj", "title": "  "}, "title"),
    ({"department": "mzj", "title": "甲" * 201}, "title"),
    ({"department": "no-such", "title": "低保"}, "department"),
    ({"department": "mzj", "title": "低保", "source": "传说"}, "source"),
    ({"department": "mzj", "title": "低保", "basis": "依" * 501}, "basis"),
    ({"department": "mzj", "title": "低保", "item_names": ["名" * 201]}, "item_names"),
])
def test_bad_input_names_the_field(world, data, field):
    with pytest.raises(ValidationError) as caught:
        service(world).create(data)
    assert field in caught.value.fields


def test_a_title_is_unique_within_a_department_only(world):
    inventory = service(world)
    inventory.create({"department": "mzj", "title": "婚姻登记信息"})
    with pytest.raises(ValidationError) as caught:
        inventory.create({"department": "mzj", "title": "婚姻登记 信息"})  # folded, it is the same title
    assert "婚姻登记信息" in caught.value.fields["title"][0].render("zh_CN")
    inventory.create({"department": "rsj", "title": "婚姻登记信息"})


@pytest.mark.parametrize("source", ["duty", "职责", "事项", "信息系统", "系统", "Information system", None, ""])
def test_source_spellings(source):
    assert normalise_source(source) in ("duty", "matter", "system")


def test_update_delete_and_optimistic_locking(world):
    inventory = service(world)
    item = inventory.create({"department": "mzj", "title": "婚姻登记信息"})
    inventory.update(item.id, {"title": "婚姻登记档案", "item_names": ["男方姓名", "女方姓名"]})
    assert item.title_key == "婚姻登记档案" and item.item_names == ["男方姓名", "女方姓名"]
    with pytest.raises(ConflictError):
        inventory.update(item.id, {"description": "x"}, expected_version=item.version - 1)
    inventory.delete(item.id)
    with pytest.raises(NotFoundError):
        inventory.get(item.id)


def test_link_records_who_confirmed_and_unlink_removes_it(world):
    resource = world.resource("published")
    officer = service(world, "officer")
    item = officer.create({"department": "mzj", "title": "低保对象"})
    with pytest.raises(ValidationError):
        officer.link(item.id)  # nothing suggested yet, nothing named
    officer.link(item.id, resource.id)
    assert item.resource_id == resource.id and item.linked_by_name == "officer.mzj" and item.linked_at is not None
    officer.unlink(item.id)
    assert item.resource_id is None and item.linked_at is None and item.linked_by_id is None


def test_a_link_stays_within_the_department(world):
    other = world.resource("published", department="rsj")
    item = service(world).create({"department": "mzj", "title": "低保对象"})
    with pytest.raises(ValidationError) as caught:
        service(world).link(item.id, other.id)
    assert "resource" in caught.value.fields
    with pytest.raises(NotFoundError):
        service(world).link(item.id, 10 ** 9)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_edit_link_and_read(world, role):
    item = service(world).create({"department": "mzj", "title": "低保对象"})
    resource = world.resource("draft")
    own = service(world, role, "mzj")
    may_edit = role in ("officer", "manager", "admin")
    may_read = role in ("officer", "reviewer", "manager", "auditor", "admin")
    if may_read:
        assert own.get(item.id).id == item.id
    else:
        with pytest.raises(NotFoundError):
            own.get(item.id)
    if may_edit:
        own.link(item.id, resource.id)
        own.update(item.id, {"description": "核对"})
    else:
        with pytest.raises((PermissionDeniedError, NotFoundError)):
            own.link(item.id, resource.id)
        with pytest.raises((PermissionDeniedError, NotFoundError)):
            own.create({"department": "mzj", "title": "另一项"})


def test_another_departments_officer_may_neither_read_nor_edit(world):
    item = service(world).create({"department": "mzj", "title": "低保对象"})
    stranger = service(world, "officer", "rsj")
    with pytest.raises(NotFoundError):
        stranger.get(item.id)
    with pytest.raises(PermissionDeniedError):
        stranger.create({"department": "mzj", "title": "另一项"})
    assert stranger.list() == []


@pytest.mark.parametrize(("role", "own", "edit", "view", "coverage_all", "coverage_own", "snapshot"), [
    ("anonymous", False, False, False, False, False, False),
    ("officer", True, True, True, False, True, False),
    ("officer", False, False, False, False, False, False),
    ("reviewer", True, False, True, False, True, False),
    ("manager", False, True, True, True, True, True),
    ("auditor", False, False, True, True, True, False),
    ("admin", False, True, True, True, True, True),
])
def test_access_matrix(role, own, edit, view, coverage_all, coverage_own, snapshot):
    actor = Actor.anonymous() if role == "anonymous" else Actor(1, role, role, 7, frozenset({7} if own else {8}))
    assert access.can_edit_inventory(actor, 7) is edit
    assert access.can_match_inventory(actor, 7) is edit
    assert access.can_view_inventory(actor, 7) is view
    assert access.can_view_coverage(actor) is coverage_all
    assert access.can_view_coverage(actor, 7) is coverage_own
    assert access.can_take_snapshot(actor) is snapshot


def test_suggestions_prefer_titles_and_items_and_use_each_resource_once():
    places = ("淮南市", "凤台县")
    items = [prepare(1, 1, "城乡低保对象信息", ["姓名", "身份证号码", "保障金额"], places),
             prepare(2, 1, "低保对象", [], places),
             prepare(3, 1, "婚姻登记", [], places),
             prepare(4, 2, "城乡低保对象信息", [], places)]
    resources = [prepare(10, 1, "淮南市城乡最低生活保障对象信息", ["姓名", "身份证号码", "保障金额", "保障类别"], places),
                 prepare(11, 1, "淮南市婚姻登记信息", [], places),
                 prepare(12, 1, "淮南市收养登记信息", [], places)]
    found = {s.item_id: (s.resource_id, round(s.score, 2)) for s in suggest_links(items, resources)}
    assert found[1][0] == 10 and found[3][0] == 11
    assert 2 not in found  # its best resource went to the better-scoring item 1
    assert 4 not in found  # another department's resources are never suggested
    assert suggest_links(items, resources, taken={10, 11, 12}) == []


def test_suggest_stores_proposals_that_a_person_confirms(world):
    resource = world.resource("published")  # 最低生活保障对象信息, items 姓名 身份证号码 保障金额
    inventory = service(world, "manager")
    item = inventory.create({"department": "mzj", "title": "最低生活保障对象", "item_names": ["姓名", "身份证号码"]})
    unrelated = inventory.create({"department": "mzj", "title": "殡葬服务机构"})
    suggestions = inventory.suggest(department_id=world.mzj.id)
    assert [(s.item_id, s.resource_id) for s in suggestions] == [(item.id, resource.id)]
    assert item.suggested_resource_id == resource.id and 0.35 <= item.suggestion_score <= 1
    assert item.resource_id is None and unrelated.suggested_resource_id is None
    inventory.link(item.id)  # confirms the suggestion
    assert item.resource_id == resource.id and item.suggested_resource_id is None
    assert inventory.suggest(department_id=world.mzj.id) == []  # a confirmed resource is not proposed again
    with pytest.raises(PermissionDeniedError):
        service(world, "auditor").suggest(department_id=world.mzj.id)


def test_a_rejected_suggestion_is_not_proposed_again_for_that_item(world):
    resource = world.resource("published")  # 最低生活保障对象信息
    inventory = service(world, "manager")
    item = inventory.create({"department": "mzj", "title": "最低生活保障对象", "item_names": ["姓名", "身份证号码"]})
    other = inventory.create({"department": "mzj", "title": "最低生活保障对象名单"})
    first = inventory.suggest(department_id=world.mzj.id)
    assert [(s.item_id, s.resource_id) for s in first] == [(item.id, resource.id)]
    inventory.reject_suggestion(item.id)
    assert item.rejected_resource_ids == [resource.id] and item.suggested_resource_id is None
    # The next match passes the rejected pair over: the resource goes to the item that did not reject it.
    again = inventory.suggest(department_id=world.mzj.id)
    assert [(s.item_id, s.resource_id) for s in again] == [(other.id, resource.id)]
    assert item.suggested_resource_id is None
    inventory.link(item.id, resource_id=resource.id)  # a person may still link it by hand
    assert item.resource_id == resource.id


def test_suggest_links_skips_rejected_pairs():
    items = [prepare(1, 1, "城乡低保对象信息", [], ()), prepare(2, 1, "低保对象", [], ())]
    resources = [prepare(10, 1, "城乡最低生活保障对象信息", [], ()), prepare(11, 1, "城乡低保对象信息汇总", [], ())]
    plain = {s.item_id: s.resource_id for s in suggest_links(items, resources, min_score=0.1)}
    rejected = {s.item_id: s.resource_id for s in suggest_links(items, resources, min_score=0.1,
                                                                 rejected={(1, plain[1])})}
    assert rejected[1] != plain[1] and (1, rejected[1]) != (1, plain[1])


def test_suggest_for_every_department_the_officer_may_edit(world):
    world.resource("published")
    world.resource("published", department="rsj")
    service(world).create({"department": "mzj", "title": "最低生活保障对象信息"})
    service(world).create({"department": "rsj", "title": "最低生活保障对象信息"})
    suggestions = service(world, "officer", "rsj").suggest()
    assert [s.department_id for s in suggestions] == [world.rsj.id]
    assert world.session.scalars(select(InventoryItem).where(InventoryItem.department_id == world.mzj.id)).one() \
        .suggested_resource_id is None
