"""The expected inventory pages of a department: add, remove, confirm or reject a suggestion, link by code,
who may read and edit, CSRF, errors beside the fields, and the zh_CN translations of every text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract
from sqlalchemy import select

from catalog.actor import Actor
from catalog.coverage.inventory import InventoryService
from catalog.models import Department, InventoryItem, Resource
from tests.web.conftest import csrf_token
from web.i18n import translations_for

HOME = "hn-mzj"  # the demo officer's and reviewer's department
PAGE = f"/inventory/{HOME}"


@pytest.fixture(scope="module")
def ids(container):
    """A coded resource of the home department, a coded one of another, and another department's key."""
    with container.unit_of_work() as session:
        home = session.scalars(select(Department).where(Department.key == HOME)).one()
        coded = select(Resource).where(Resource.code.is_not(None)).order_by(Resource.id)
        own = session.scalars(coded.where(Resource.department_id == home.id)).first()
        other = session.scalars(coded.where(Resource.department_id != home.id)).first()
        other_department = session.get(Department, other.department_id)
        return {"home": home.id, "own": (own.id, own.code), "other": (other.id, other.code),
                "other_key": other_department.key}


def make_item(container, title, suggested=None):
    with container.unit_of_work() as session:
        service = InventoryService(container, session, Actor.system("test"))
        item = service.create({"department": HOME, "title": title})
        if suggested is not None:
            item.suggested_resource_id, item.suggestion_score = suggested, 0.9
        session.flush()
        return item.id


def item(container, item_id):
    with container.unit_of_work() as session:
        found = session.get(InventoryItem, item_id)
        if found is not None:
            session.expunge(found)
        return found


def post(client, url, data=None):
    return client.post(url, data={"csrf_token": csrf_token(client, PAGE), **(data or {})})


def test_the_dashboard_department_page_links_to_the_inventory(signed_in):
    html = signed_in("manager").get(f"/coverage/departments/{HOME}?lang=en").get_data(as_text=True)
    assert f'href="{PAGE}"' in html


def test_an_officer_adds_an_item_and_sees_it(signed_in, container):
    client = signed_in("officer")
    response = post(client, f"{PAGE}/items", {"title": "测试应编目资源甲", "source": "matter", "basis": "某事项",
                                              "item_names": "姓名、地址"})
    assert response.status_code == 302
    with container.unit_of_work() as session:
        added = session.scalars(select(InventoryItem).where(InventoryItem.title == "测试应编目资源甲")).one()
        assert (added.source, added.basis, added.item_names) == ("matter", "某事项", ["姓名", "地址"])
    assert "测试应编目资源甲" in client.get(PAGE).get_data(as_text=True)


def test_bad_input_is_shown_beside_the_field_and_kept(signed_in):
    client = signed_in("officer")
    response = post(client, f"{PAGE}/items?lang=en", {"title": "", "basis": "留着的依据", "source": "duty"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="field-title-error"' in html and "Title: this field is required." in html
    assert "留着的依据" in html
    response = post(client, f"{PAGE}/items?lang=zh", {"title": "x" * 300, "basis": "留着的依据"})
    assert response.status_code == 400 and 'id="field-title-error"' in response.get_data(as_text=True)
    assert "x" * 300 in response.get_data(as_text=True)


def test_a_duplicate_title_is_refused_beside_the_title(signed_in, container):
    make_item(container, "测试重复资源")
    response = post(signed_in("officer"), f"{PAGE}/items?lang=en", {"title": "测试重复资源"})
    assert response.status_code == 400 and 'id="field-title-error"' in response.get_data(as_text=True)


def test_confirm_a_suggestion(signed_in, container, ids):
    item_id = make_item(container, "测试待确认资源", suggested=ids["own"][0])
    assert post(signed_in("officer"), f"{PAGE}/items/{item_id}/confirm").status_code == 302
    found = item(container, item_id)
    assert found.resource_id == ids["own"][0] and found.suggested_resource_id is None
    assert found.linked_by_name


def test_reject_a_suggestion(signed_in, container, ids):
    item_id = make_item(container, "测试待驳回资源", suggested=ids["own"][0])
    assert post(signed_in("manager"), f"{PAGE}/items/{item_id}/reject").status_code == 302
    found = item(container, item_id)
    assert found.resource_id is None and found.suggested_resource_id is None


def test_link_by_code(signed_in, container, ids):
    item_id = make_item(container, "测试按代码关联")
    client = signed_in("officer")
    response = post(client, f"{PAGE}/items/{item_id}/link?lang=en", {"code": "no-such-code"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and f'id="code-{item_id}-error"' in html and "no-such-code" in html
    response = post(client, f"{PAGE}/items/{item_id}/link?lang=en", {"code": ids["other"][1]})
    assert response.status_code == 400 and "another department" in response.get_data(as_text=True)
    response = post(client, f"{PAGE}/items/{item_id}/link?lang=zh", {"code": ""})
    assert response.status_code == 400 and "资源代码" in response.get_data(as_text=True)
    assert item(container, item_id).resource_id is None
    assert post(client, f"{PAGE}/items/{item_id}/link", {"code": ids["own"][1]}).status_code == 302
    assert item(container, item_id).resource_id == ids["own"][0]


def test_remove_an_item(signed_in, container):
    item_id = make_item(container, "测试待删除资源")
    assert post(signed_in("admin"), f"{PAGE}/items/{item_id}/delete").status_code == 302
    assert item(container, item_id) is None


@pytest.mark.parametrize("role", ["reviewer", "auditor"])
def test_readers_see_the_page_without_forms_and_cannot_write(signed_in, container, role, ids):
    item_id = make_item(container, f"测试只读资源{role}", suggested=ids["own"][0])
    client = signed_in(role)
    response = client.get(PAGE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f"测试只读资源{role}" in html
    assert f"{PAGE}/items" not in html  # no form posts anywhere
    token = csrf_token(client, PAGE)  # the page's sign-out form: a valid token of the reader's session
    for action, data in (("items", {"title": "不应添加"}), (f"items/{item_id}/confirm", {}),
                         (f"items/{item_id}/reject", {}), (f"items/{item_id}/link", {"code": ids["own"][1]}),
                         (f"items/{item_id}/delete", {})):
        response = client.post(f"{PAGE}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 403, action
    found = item(container, item_id)
    assert found.suggested_resource_id == ids["own"][0] and found.resource_id is None


@pytest.mark.parametrize("role,status", [("officer", 200), ("reviewer", 200), ("manager", 200), ("auditor", 200),
                                         ("admin", 200)])
def test_who_reads_the_home_page(signed_in, role, status):
    assert signed_in(role).get(PAGE).status_code == status


def test_other_departments_are_forbidden_to_department_users(signed_in, ids):
    for role in ("officer", "reviewer"):
        assert signed_in(role).get(f"/inventory/{ids['other_key']}").status_code == 403
    assert signed_in("auditor").get(f"/inventory/{ids['other_key']}").status_code == 200
    assert signed_in("officer").get("/inventory/no-such-department").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get(PAGE).status_code == 302


def test_a_post_without_a_csrf_token_is_refused(signed_in, container):
    response = signed_in("officer").post(f"{PAGE}/items", data={"title": "无令牌资源"})
    assert response.status_code == 400
    with container.unit_of_work() as session:
        assert session.scalars(select(InventoryItem).where(InventoryItem.title == "无令牌资源")).first() is None


ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_every_text_of_the_inventory_pages_has_a_zh_cn_translation():
    found: dict[str, str] = {}
    for lineno, msgid, _comments, _context in extract_from_file("python", str(ROOT / "web" / "inventory.py"),
                                                                keywords={"_": None, "gettext": None}):
        found.setdefault(msgid, f"inventory.py:{lineno}")
    for path in sorted((ROOT / "web" / "templates" / "inventory").glob("*.html")):
        with path.open("rb") as handle:
            for lineno, _function, msgid, _comments in babel_extract(handle, ("_", "gettext"), [], {}):
                msgid = msgid[0] if isinstance(msgid, tuple) else msgid
                if isinstance(msgid, str) and msgid:
                    found.setdefault(msgid, f"{path.name}:{lineno}")
    assert "Expected inventory" in found
    translations = translations_for("zh_CN")
    missing = [f"{where}: {msgid!r}" for msgid, where in found.items() if translations.gettext(msgid) == msgid]
    assert not missing, "add to web/translations/zh_CN/LC_MESSAGES/inventory_web.po:\n" + "\n".join(missing)
    assert all(sorted(PLACEHOLDER.findall(translations.gettext(m))) == sorted(PLACEHOLDER.findall(m)) for m in found)
