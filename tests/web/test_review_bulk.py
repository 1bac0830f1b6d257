"""Bulk decisions in the review queue: each selected resource goes through the workflow service on its own."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from catalog.actor import Actor
from catalog.errors import WorkflowError
from catalog.models import AuditEvent, WorkflowEvent
from catalog.services.resource import ResourceService
from tests.web.conftest import csrf_token, resources


def _pending(container, *titles: str, state: str = "pending_registration") -> list[int]:
    """New resources of the demo officer's department, submitted (and taken on to ``state``) by the system."""
    ids = []
    with container.unit_of_work() as session:
        service = ResourceService(container, session, Actor.system("test"))
        for title in titles:
            resource = service.create({
                "title": title, "classification_code": "30701502", "abstract": "批量审核测试。",
                "department": {"name": "淮南市民政局"}, "format": {"class": "2"},
                "share": {"type": "unconditional", "method": "1-2"}, "open": {"is_open": True, "type": "1"},
                "update_cycle": "4", "theme": "A", "keywords": ["批量"], "data_scope": "1", "secrecy": "1",
                "items": [{"name": "姓名", "data_type": "C", "length": 50}],
            }, draft=True)
            service.transition(resource.id, "submit")
            if state == "pending_publication":
                service.transition(resource.id, "register")
                service.transition(resource.id, "request_publication")
            ids.append(resource.id)
    return ids


def _bulk(client, action: str, ids, versions: dict[int, int] | None = None, **extra):
    token = csrf_token(client, "/review")
    data = {"csrf_token": token, "bulk_action": action, "resource": [str(i) for i in ids], **extra}
    for resource_id, version in (versions or {}).items():
        data[f"version-{resource_id}"] = str(version)
    return client.post("/review", data=data)


def _one(container, resource_id: int):
    return resources(container, id=resource_id)[0]


def _outcomes(html: str) -> dict[int, str]:
    return {int(i): o for o, i in re.findall(r'data-outcome="(\w+)" data-resource="(\d+)"', html)}


def test_the_queue_offers_a_checkbox_per_resource_and_a_csrf_protected_bulk_form(signed_in, container):
    ids = _pending(container, "批量表单甲")
    html = signed_in("manager").get("/review").get_data(as_text=True)
    form = html.split('id="bulk-form"')[1].split("</form>")[0]
    assert 'name="csrf_token"' in form and 'value="approve"' in form and 'value="publish"' in form
    assert f'form="bulk-form" name="resource" value="{ids[0]}"' in html
    assert f'name="version-{ids[0]}" value="{_one(container, ids[0]).version}"' in html
    # The officer has nothing to decide: no bulk form.
    assert 'id="bulk-form"' not in signed_in("officer").get("/review").get_data(as_text=True)


def test_approve_takes_each_resource_one_step_forward_and_reports_each(signed_in, container):
    registering = _pending(container, "批量注册甲", "批量注册乙")
    publishing = _pending(container, "批量发布丙", state="pending_publication")
    response = _bulk(signed_in("manager"), "approve", registering + publishing)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _outcomes(html) == dict.fromkeys(registering + publishing, "done")
    assert "3 项已完成，0 项未完成" in html
    for resource_id in registering:
        resource = _one(container, resource_id)
        assert resource.status == "registered" and resource.code and resource.code in html
    assert _one(container, publishing[0]).status == "published"


def test_register_and_publish_goes_all_the_way_in_one_action(signed_in, container):
    ids = _pending(container, "一键发布甲", "一键发布乙")
    html = _bulk(signed_in("manager"), "publish", ids).get_data(as_text=True)
    assert _outcomes(html) == dict.fromkeys(ids, "done")
    assert "注册 → 申请发布 → 发布" in html
    for resource_id in ids:
        assert _one(container, resource_id).status == "published" and _one(container, resource_id).code
    with container.unit_of_work() as session:
        actions = session.scalars(select(WorkflowEvent.action).where(WorkflowEvent.resource_id == ids[0])
                                  .order_by(WorkflowEvent.id)).all()
    assert actions == ["submit", "register", "request_publication", "publish"]


def test_failures_are_reported_per_resource_and_the_others_still_go_through(signed_in, container):
    good, stale = _pending(container, "部分成功甲", "部分成功乙")
    draft = resources(container, status="draft")[0]
    before = _one(container, stale)
    html = _bulk(signed_in("manager"), "approve", [good, stale, draft.id, 999999],
                 versions={stale: before.version - 1}).get_data(as_text=True)
    assert _outcomes(html) == {good: "done", stale: "failed", draft.id: "failed", 999999: "failed"}
    assert "1 项已完成，3 项未完成" in html and "已被他人修改" in html and "草稿" in html
    assert "/resources/999999" not in html and "未找到信息资源 999999" in html
    assert _one(container, good).status == "registered"
    after = _one(container, stale)
    assert (after.status, after.code, after.version) == ("pending_registration", None, before.version)
    assert _one(container, draft.id).status == "draft"


def test_nothing_is_half_done_when_a_later_step_fails(signed_in, container, monkeypatch):
    (resource_id,) = _pending(container, "中途失败")
    original = ResourceService.transition

    def failing(self, rid, action, **kwargs):
        if rid == resource_id and action == "publish":
            raise WorkflowError("publication is switched off for this test")
        return original(self, rid, action, **kwargs)

    monkeypatch.setattr(ResourceService, "transition", failing)
    html = _bulk(signed_in("manager"), "publish", [resource_id]).get_data(as_text=True)
    assert _outcomes(html) == {resource_id: "failed"} and "publication is switched off" in html
    resource = _one(container, resource_id)
    assert resource.status == "pending_registration" and resource.code is None  # the registration was undone
    with container.unit_of_work() as session:
        events = session.scalars(select(WorkflowEvent.action).where(WorkflowEvent.resource_id == resource_id)).all()
        audits = session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(resource_id))).all()
    assert events == ["submit"] and "resource.register" not in audits


@pytest.mark.parametrize("username", ["officer", "reviewer", "auditor"])
def test_each_item_is_permission_checked(signed_in, container, username):
    ids = _pending(container, f"无权批量{username}")
    response = _bulk(signed_in(username), "publish", ids)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _outcomes(html) == {ids[0]: "failed"}
    assert _one(container, ids[0]).status == "pending_registration"


def test_bulk_needs_a_csrf_token_a_selection_a_known_action_and_a_signed_in_user(signed_in, client, container):
    ids = _pending(container, "批量校验")
    manager = signed_in("manager")
    assert manager.post("/review", data={"bulk_action": "publish", "resource": [str(ids[0])]}).status_code == 400
    empty = _bulk(manager, "approve", [])
    assert empty.status_code == 400 and "请先选择" in empty.get_data(as_text=True)
    assert _bulk(manager, "withdraw", ids).status_code == 400
    anonymous = client.post("/review", data={"csrf_token": csrf_token(client, "/login"), "bulk_action": "publish",
                                             "resource": [str(ids[0])]})
    assert anonymous.status_code == 302 and anonymous.location.startswith("/login")
    assert _one(container, ids[0]).status == "pending_registration"


def test_the_queue_filters_survive_a_bulk_decision(signed_in, container):
    _pending(container, "筛选保留")
    html = signed_in("manager").get("/review?status=pending_registration").get_data(as_text=True)
    assert 'action="/review?status=pending_registration"' in html
