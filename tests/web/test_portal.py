"""The minimal public portal: published, publicly open resources for anonymous visitors, labels not codes.

The portal reads a small demo catalog built once for the module on a throwaway database
(tests/clitools.py): SQLite, or a PostgreSQL database of its own with a PostgreSQL
``MULU_TEST_DATABASE_URL`` — ``build_demo`` resets whatever database it is given.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalog.actor import Actor
from catalog.config import Settings
from catalog.container import Container
from catalog.demo.builder import build_demo
from catalog.models import Resource, ResourceChange
from catalog.services.resource import ResourceService
from tests.clitools import throwaway_database
from web import create_app


@pytest.fixture(scope="module")
def container(tmp_path_factory):
    directory = tmp_path_factory.mktemp("portal")
    with throwaway_database(directory, "portal") as url:
        container = Container.from_settings(Settings(instance_path=directory / "instance", database_url=url))
        build_demo(container, resource_count=40, password="pw123456")
        yield container
        container.dispose()


@pytest.fixture(scope="module")
def client(container):
    return create_app(container=container).test_client()


def _resources(container, **where) -> list[Resource]:
    with container.unit_of_work() as session:
        query = select(Resource).options(selectinload(Resource.items)).order_by(Resource.id)
        for name, value in where.items():
            query = query.where(getattr(Resource, name) == value)
        resources = session.scalars(query).all()
        session.expunge_all()
        return resources


def _linked_ids(html: str) -> set[int]:
    return {int(number) for number in re.findall(r'href="/resources/(\d+)', html)}


def test_index_lists_only_published_resources_open_to_the_public(client, container):
    html = client.get("/").get_data(as_text=True)
    visible = {r.id for r in _resources(container, status="published", open_is_open=True)}
    assert visible and _linked_ids(html) == visible
    assert f"已发布的信息资源 <span class=\"muted\">({len(visible)})</span>" in html
    # Published but not open to the public, and everything unpublished, stay out.
    hidden = {r.id for r in _resources(container)} - visible
    assert {r.id for r in _resources(container, status="published", open_is_open=False)} <= hidden
    for resource in _resources(container, status="published", open_is_open=True):
        assert resource.title in html and resource.code in html


def test_index_in_english_keeps_the_language_in_its_links(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert "<h1>Published resources" in html and '<html lang="en">' in html
    assert re.search(r'href="/resources/\d+\?lang=en"', html)
    chinese = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "政务信息资源目录" in chinese and '<html lang="zh-CN">' in chinese
    assert "<h1>Published resources" in client.get("/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)


def test_a_resource_page_shows_labels_not_codes(client, container):
    resource = next(r for r in _resources(container, status="published", open_is_open=True)
                    if r.share_type == "unconditional" and r.items)
    response = client.get(f"/resources/{resource.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"<h1>{resource.title}</h1>" in html and resource.code in html and "已发布" in html
    assert "<th style=\"width:14em\">共享属性</th>" in html
    assert "共享类型：无条件共享" in html
    assert "是否向社会开放：是" in html
    assert "数据范围" in html and ("市级" in html or "县区级" in html)
    # The raw keys and codes of the code lists are not shown.
    for raw in ("unconditional", "not_open", "共享类型：1"):
        assert raw not in html
    cycle = container.vocab.get("update_cycle").get(resource.update_cycle)
    assert f"<td>{cycle.label('zh')}</td>" in html and f"<td>{resource.update_cycle}</td>" not in html
    theme = container.vocab.get("theme").get(resource.theme)
    assert f"<td>{theme.label('zh')}</td>" in html
    # The 分类码 keeps its digits and says what they mean.
    assert f"{resource.classification_code}（" in html
    # Information items with their data types as labels.
    assert "<h2>信息项</h2>" in html and resource.items[0].name in html
    assert re.search(r"<td>(字符型|整型|日期型|数值型|备注型|日期时间型)</td>", html)

    english = client.get(f"/resources/{resource.id}?lang=en").get_data(as_text=True)
    assert "<th style=\"width:14em\">Sharing</th>" in english
    assert "Share type: Unconditional sharing" in english
    assert "Open to the public: yes" in english and "Published" in english
    assert "<h2>Information items</h2>" in english


def test_a_published_resource_shows_its_published_version_while_a_change_awaits_review(client, container):
    resource = _resources(container, status="published", open_is_open=True)[0]
    with container.unit_of_work() as session:
        service = ResourceService(container, session, Actor.system("test"))
        data = service.to_json(service.get(resource.id)) | {"abstract": "变更后的摘要，尚待审核。"}
        assert isinstance(service.update(resource.id, data, comment="测试变更"), ResourceChange)
    html = client.get(f"/resources/{resource.id}").get_data(as_text=True)
    assert resource.abstract in html and "变更后的摘要" not in html


@pytest.mark.parametrize("state", ["draft", "pending_registration", "returned", "registered",
                                   "pending_publication", "withdrawn"])
def test_unpublished_resources_are_not_found(client, container, state):
    resources = _resources(container, status=state)
    assert resources
    for resource in resources:
        response = client.get(f"/resources/{resource.id}")
        assert response.status_code == 404, (state, resource.id)


def test_published_resources_not_open_to_the_public_are_not_found(client, container):
    closed = _resources(container, status="published", open_is_open=False)
    assert closed
    for resource in closed:
        assert client.get(f"/resources/{resource.id}").status_code == 404


def test_unknown_resources_and_pages_are_not_found(client):
    response = client.get("/resources/999999")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "页面不存在" in html and "返回目录" in html
    assert "Page not found" in client.get("/resources/999999?lang=en").get_data(as_text=True)
    assert client.get("/resources/abc").status_code == 404
    assert client.get("/nothing-here").status_code == 404


def test_odd_page_numbers_show_the_first_page(client):
    first = client.get("/").get_data(as_text=True)
    for page in ("0", "-3", "abc"):
        response = client.get(f"/?page={page}")
        assert response.status_code == 200
        assert _linked_ids(response.get_data(as_text=True)) == _linked_ids(first)
    assert _linked_ids(client.get("/?page=99").get_data(as_text=True)) == set()
