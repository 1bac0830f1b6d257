"""The public portal: published, publicly open resources for anonymous visitors, labels not codes, both languages."""

from __future__ import annotations

import json
import re

import pytest

from catalog.actor import Actor
from catalog.models import ResourceChange
from catalog.services.resource import ResourceService
from tests.web.conftest import linked_ids, resources


def _public(container):
    return [r for r in resources(container, status="published") if r.open_is_open]


def test_home_shows_the_catalog_at_a_glance(client, container):
    html = client.get("/").get_data(as_text=True)
    public = _public(container)
    assert f"共编目 {len(public)} 条信息资源" in html
    assert 'href="/search?classification=3"' in html and "部门信息资源目录" in html
    assert 'role="search"' in html and 'name="q"' in html
    # Recently published: only public resources are linked.
    assert linked_ids(html) and linked_ids(html) <= {r.id for r in public}


def test_the_language_is_chinese_by_default_english_on_request_and_remembered(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "查找政务信息资源" in html
    assert "Find government information resources" in client.get(
        "/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    english = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Find government information resources" in english
    # The choice stays with the visit (session cookie), whatever the browser asks for.
    assert '<html lang="en">' in client.get("/search", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in client.get("/departments").get_data(as_text=True)
    assert '<html lang="zh-CN">' in client.get("/departments?lang=zh").get_data(as_text=True)
    assert '<html lang="zh-CN">' in client.get("/classification").get_data(as_text=True)


def test_the_language_links_point_to_the_same_page(client):
    html = client.get("/search?q=%E5%B0%B1%E4%B8%9A").get_data(as_text=True)
    assert 'href="/search?q=%E5%B0%B1%E4%B8%9A&amp;lang=en"' in html


def test_a_resource_page_shows_labels_not_codes(client, container):
    resource = next(r for r in _public(container) if r.share_type == "unconditional" and r.items)
    response = client.get(f"/resources/{resource.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert resource.title in html and f'<code class="resource-code">{resource.code}</code>' in html and "已发布" in html
    assert '<dt class="col-md-3">共享属性</dt>' in html
    assert "共享类型：无条件共享" in html and "是否向社会开放：是" in html
    assert "数据范围" in html and ("市级" in html or "县区级" in html)
    for raw in ("unconditional", "not_open", "共享类型：1"):
        assert raw not in html
    cycle = container.vocab.get("update_cycle").get(resource.update_cycle)
    assert cycle.label("zh") in html
    assert f"{resource.classification_code}（" in html
    assert ">信息项</h2>" in html and resource.items[0].name in html
    assert re.search(r"<td class=\"wrap\">(字符型|整型|日期型|数值型|备注型|日期时间型)</td>", html)
    # No workflow forms and no history link for visitors.
    assert "/workflow/" not in html and "/history" not in html

    english = client.get(f"/resources/{resource.id}?lang=en").get_data(as_text=True)
    assert '<dt class="col-md-3">Sharing</dt>' in english
    assert "Share type: Unconditional sharing" in english and "Open to the public: yes" in english
    assert ">Information items</h2>" in english


def test_metadata_downloads_as_json(client, container):
    resource = _public(container)[0]
    response = client.get(f"/resources/{resource.id}.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["code"] == resource.code and data["title"] == resource.title


def test_related_codes_link_to_their_resources(client, container):
    public = _public(container)
    response = client.get(f"/resources/code/{public[0].code}")
    assert response.status_code == 302 and response.location.endswith(f"/resources/{public[0].id}")
    assert client.get("/resources/code/999999/000001").status_code == 404


def test_a_published_resource_shows_its_published_version_while_a_change_awaits_review(client, container):
    resource = _public(container)[0]
    with container.unit_of_work() as session:
        service = ResourceService(container, session, Actor.system("test"))
        data = service.to_json(service.get(resource.id)) | {"abstract": "变更后的摘要，尚待审核。"}
        assert isinstance(service.update(resource.id, data, comment="测试变更"), ResourceChange)
    html = client.get(f"/resources/{resource.id}").get_data(as_text=True)
    assert resource.abstract in html and "变更后的摘要" not in html


@pytest.mark.parametrize("state", ["draft", "pending_registration", "returned", "registered",
                                   "pending_publication", "withdrawn"])
def test_unpublished_resources_are_not_found(client, container, state):
    found = resources(container, status=state)
    assert found
    for resource in found:
        assert client.get(f"/resources/{resource.id}").status_code == 404, (state, resource.id)
        assert client.get(f"/resources/{resource.id}.json").status_code == 404


def test_published_resources_not_open_to_the_public_are_not_found(client, container):
    closed = [r for r in resources(container, status="published") if not r.open_is_open]
    assert closed
    for resource in closed:
        assert client.get(f"/resources/{resource.id}").status_code == 404


def test_not_found_pages_explain_and_point_somewhere(client):
    response = client.get("/resources/999999")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "页面不存在" in html and "返回目录" in html and 'href="/login?next=' in html
    assert "Page not found" in client.get("/resources/999999?lang=en").get_data(as_text=True)
    assert client.get("/resources/abc").status_code == 404
    assert client.get("/nothing-here").status_code == 404
    assert client.get("/departments/no-such").status_code == 404
    assert client.get("/classification/999").status_code == 404


def test_departments_and_classification_pages(client, container):
    html = client.get("/departments").get_data(as_text=True)
    assert "淮南市民政局" in html and 'href="/departments/hn-mzj"' in html
    department = client.get("/departments/hn-mzj").get_data(as_text=True)
    public_ids = {r.id for r in _public(container) if r.department.key == "hn-mzj"}
    assert linked_ids(department) == public_ids
    classification = client.get("/classification").get_data(as_text=True)
    assert "部门信息资源目录" in classification and 'href="/classification/307"' in classification
    item = client.get("/classification/307").get_data(as_text=True)
    assert re.search(r"<code>307\d{3}</code>", item) and "淮南市民政局" in item


def test_static_assets_are_served_by_the_app_itself(client):
    html = client.get("/").get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', html)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "cdn" not in html.lower()
