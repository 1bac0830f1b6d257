"""Workflow through the portal: actions change state, reasons are required where the standard asks, stale forms conflict."""

from __future__ import annotations

from catalog.actor import Actor
from catalog.services.resource import ResourceService
from tests.web.conftest import csrf_token, linked_ids, resources


def _act(client, resource_id: int, action: str, comment: str = "", **extra):
    token = csrf_token(client, f"/resources/{resource_id}")
    return client.post(f"/resources/{resource_id}/workflow/{action}",
                       data={"csrf_token": token, "comment": comment, **extra})


def _status(container, resource_id: int) -> str:
    return resources(container, id=resource_id)[0].status


def test_the_manager_registers_and_the_code_is_assigned(signed_in, container):
    client = signed_in("manager")
    resource = resources(container, status="pending_registration")[0]
    html = client.get(f"/resources/{resource.id}").get_data(as_text=True)
    assert f'/resources/{resource.id}/workflow/register' in html and "/workflow/return" in html
    response = _act(client, resource.id, "register")
    assert response.status_code == 302
    registered = resources(container, id=resource.id)[0]
    assert registered.status == "registered" and registered.code
    page = client.get(response.location).get_data(as_text=True)
    assert "注册" in page and registered.code in page


def test_returning_needs_a_reason_shown_beside_the_comment_box(signed_in, container):
    client = signed_in("manager")
    resource = resources(container, status="pending_registration")[-1]
    response = _act(client, resource.id, "return", "   ")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "is-invalid" in html and "退回修改" in html
    assert _status(container, resource.id) == "pending_registration"
    response = _act(client, resource.id, "return", "请补充信息项的长度。")
    assert response.status_code == 302 and _status(container, resource.id) == "returned"
    # The officer of the department sees it among the returned ones, with the reason.
    officer = signed_in("officer") if resource.department.key == "hn-mzj" else None
    if officer is not None:
        workspace = officer.get("/workspace").get_data(as_text=True)
        assert "请补充信息项的长度。" in workspace


def test_withdrawing_needs_a_reason_and_hides_the_resource(signed_in, client, container):
    manager = signed_in("manager")
    resource = next(r for r in resources(container, status="published") if r.open_is_open)
    assert _act(manager, resource.id, "withdraw").status_code == 400
    assert _status(container, resource.id) == "published"
    assert _act(manager, resource.id, "withdraw", "数据已停止更新。").status_code == 302
    assert _status(container, resource.id) == "withdrawn"
    assert client.get(f"/resources/{resource.id}").status_code == 404
    assert _act(manager, resource.id, "republish").status_code == 302
    assert client.get(f"/resources/{resource.id}").status_code == 200


def test_an_action_on_a_stale_page_is_a_conflict(signed_in, container):
    client = signed_in("manager")
    resource = resources(container, status="pending_publication")[0]
    response = _act(client, resource.id, "publish", expected_version=str(resource.version - 1))
    assert response.status_code == 409
    assert "其他人已先行修改" in response.get_data(as_text=True)
    assert _status(container, resource.id) == "pending_publication"


def test_an_action_not_possible_in_this_state_is_explained(signed_in, container):
    client = signed_in("manager")
    resource = resources(container, status="draft")[0]
    response = _act(client, resource.id, "publish")
    assert response.status_code == 400 and _status(container, resource.id) == "draft"
    assert client.post(f"/resources/{resource.id}/workflow/fly",
                       data={"csrf_token": csrf_token(client, "/")}).status_code == 404


def test_anonymous_visitors_cannot_act(client, container):
    resource = resources(container, status="pending_publication")[0]
    response = client.post(f"/resources/{resource.id}/workflow/publish",
                           data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302 and response.location.startswith("/login")
    assert _status(container, resource.id) == "pending_publication"


def test_the_review_queue_lists_what_the_reviewer_may_decide(signed_in, container):
    html = signed_in("manager").get("/review").get_data(as_text=True)
    waiting = {r.id for r in resources(container) if r.status in ("pending_registration", "pending_publication")}
    assert waiting and waiting <= linked_ids(html)
    officer = signed_in("officer").get("/review")
    assert officer.status_code == 200 and "暂无待处理事项" in officer.get_data(as_text=True)


def test_history_shows_revisions_with_diffs_to_staff_only(signed_in, client, container):
    resource = next(r for r in resources(container, status="published") if r.open_is_open)
    assert client.get(f"/resources/{resource.id}/history").status_code == 302  # sign in first
    html = signed_in("manager").get(f"/resources/{resource.id}/history").get_data(as_text=True)
    assert "第 1 版" in html and "发布" in html and "修改前" in html


def test_the_manager_approves_or_returns_a_pending_change(signed_in, client, container):
    resource = [r for r in resources(container, status="published") if r.open_is_open][-1]
    with container.unit_of_work() as session:
        service = ResourceService(container, session, Actor.system("test"))
        data = service.to_json(service.get(resource.id)) | {"abstract": "网页审核的新摘要。"}
        service.update(resource.id, data, comment="更新摘要")
    manager = signed_in("manager")
    html = manager.get(f"/resources/{resource.id}").get_data(as_text=True)
    assert "有变更待审核" in html and "网页审核的新摘要。" in html
    token = csrf_token(manager, f"/resources/{resource.id}")
    assert manager.post(f"/resources/{resource.id}/change/return", data={"csrf_token": token}).status_code == 400
    response = manager.post(f"/resources/{resource.id}/change/approve", data={"csrf_token": token})
    assert response.status_code == 302
    assert "网页审核的新摘要。" in client.get(f"/resources/{resource.id}").get_data(as_text=True)
