"""The officer's form generated from the profile, the items table, stale edits and the template import."""

from __future__ import annotations

import io
import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from catalog.models import Resource, ResourceChange
from catalog.template_workbook import write_workbook
from tests.web.conftest import csrf_token, resources
from web.resource_form import parse_pasted

NEW = "/workspace/resources/new"


def _own(container, status: str) -> Resource:
    """A resource of the demo officer's department (hn-mzj) in ``status``."""
    return next(r for r in resources(container, status=status) if r.department.key == "hn-mzj")


def _new_draft(client, container, title: str) -> Resource:
    response = _post(client, NEW, {"title": title, "classification_code": "307", "abstract": "草稿。"})
    assert response.status_code == 302
    return resources(container, title=title)[0]


def _valid(**overrides) -> dict[str, str]:
    data = {
        "title": "城市低保对象名册（表单测试）", "classification_code": "307", "abstract": "城市最低生活保障对象的基本信息。",
        "format.class": "2", "format.type": "", "share.type": "conditional", "share.condition": "仅限民政业务使用",
        "share.method": "1-2", "open.is_open": "false", "update_cycle": "4", "theme": "A",
        "keywords": "低保\n救助", "data_scope": "1", "secrecy": "1",
        "items-0-name": "姓名", "items-0-data_type": "C", "items-0-length": "50",
        "items-1-name": "身份证号", "items-1-data_type": "字符型", "items-1-length": "18",
    }
    data.update(overrides)
    return data


def _post(client, url: str, data: dict[str, str], action: str = "draft", token_url: str | None = None):
    token = csrf_token(client, token_url or url)
    return client.post(url, data={**data, "csrf_token": token, "action": action})


# -- the form -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_form_has_every_profile_element_with_its_label(signed_in, container, lang):
    client = signed_in("officer")
    html = client.get(f"{NEW}?lang={lang}").get_data(as_text=True)
    code = "zh" if lang == "zh_CN" else "en"
    for path, element in container.profile.walk():
        if element.system or path.split(".")[0] in ("metadata_id",):
            continue
        assert str(escape(element.label.values[code])) in html, path
        top = path.split(".")[0]
        if container.profile.get(top).is_list and "." in path:
            assert f'name="{top}-0-{element.name}"' in html, path
        elif element.type != "object" and not element.is_list:
            assert f'name="{path}"' in html, path
    # Required marks, help, code-list pickers with labels in the language, and the extension elements.
    assert "abbr" in html and "text-danger" in html
    assert ("有条件共享" if code == "zh" else "Conditional sharing") in html
    assert 'name="source_system"' in html and 'name="secrecy"' in html
    # Format types are grouped by their class for the script; only classes are offered for the class.
    assert 'data-filter-by="format.class"' in html and 'data-group="1"' in html
    assert 'name="csrf_token"' in html
    assert ("保存草稿" if code == "zh" else "Save as draft") in html
    assert ("保存并提交" if code == "zh" else "Save and submit") in html


def test_conditional_fields_are_marked_for_the_script(signed_in):
    html = signed_in("officer").get(NEW).get_data(as_text=True)
    assert 'data-path="share.condition"\n     data-depends="share.type" data-values="conditional" data-negate="false"' in html
    assert 'data-depends="share.type" data-values="not_shared" data-negate="true"' in html  # the method
    assert html.count('data-depends="open.is_open"') == 2
    assert "resource_form.js" in html


def test_a_valid_submit_creates_and_submits(signed_in, container):
    client = signed_in("officer")
    response = _post(client, NEW, _valid(), action="submit")
    assert response.status_code == 302, re.findall(r"<li><a href=\"#[^<]*</a>|alert[^<]*<[^<]*", response.get_data(as_text=True))
    created = resources(container, title="城市低保对象名册（表单测试）")[0]
    assert created.status.startswith("pending")
    assert [(i.name, i.data_type, i.length) for i in created.items] == [("姓名", "C", 50), ("身份证号", "C", 18)]
    assert created.share_type == "conditional" and created.share_condition == "仅限民政业务使用"
    assert created.extras.get("secrecy") == "1"


def test_save_as_draft_needs_only_the_draft_fields(signed_in, container):
    client = signed_in("officer")
    response = _post(client, NEW, {"title": "草稿资源（表单测试）", "classification_code": "307"})
    assert response.status_code == 302
    assert resources(container, title="草稿资源（表单测试）")[0].status == "draft"


def test_errors_are_shown_beside_their_fields_and_the_values_are_kept(signed_in, container):
    client = signed_in("officer")
    before = len(resources(container))
    data = _valid(title="保留输入的资源", abstract="", **{"items-1-length": "abc", "share.condition": ""})
    response = _post(client, NEW, data, action="submit")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert len(resources(container)) == before
    # Beside the abstract, the share condition and the second item's length, each linked from the summary.
    for field_id in ("f-abstract", "f-items-1-length", "f-share-condition"):
        assert f'id="{field_id}-error"' in html, field_id
        assert f'href="#{field_id}"' in html
    assert re.search(r'id="f-items-1-length" name="items-1-length" value="abc"', html)
    assert 'value="保留输入的资源"' in html and ">低保\n救助</textarea>" in html
    assert 'value="身份证号"' in html
    # The pickers keep the choice; a label typed for a code (字符型) is kept as typed.
    assert '<option value="conditional" selected>' in html


def test_the_item_table_keeps_rows_adds_blank_ones_and_pastes_without_script(signed_in):
    client = signed_in("officer")
    data = _valid(items_paste="名称\t数据类型\t长度\t说明\n地址\t字符型\t200\t居住地址\n出生日期\tD\t\t")
    html = _post(client, NEW, data, action="paste").get_data(as_text=True)
    assert 'name="items-2-name" value="地址"' in html.replace('id="f-items-2-name" ', "")
    # 字符型 became its code C, D stayed D: the pickers show them chosen.
    assert re.search(r'name="items-2-data_type"[^>]*>\s*<option value="">—</option>[\s\S]*?<option value="C"[^>]* selected>', html)
    assert re.search(r'name="items-3-data_type"[^>]*>\s*<option value="">—</option>[\s\S]*?<option value="D"[^>]* selected>', html)
    assert 'name="items-4-name"' in html  # blank rows after the pasted ones
    html = _post(client, NEW, _valid(), action="add_rows").get_data(as_text=True)
    assert 'name="items-4-name"' in html and 'name="items-5-name"' in html  # 2 rows + 3 blank + 3 more


def test_blank_rows_are_ignored_and_the_order_is_the_posted_order(signed_in, container):
    client = signed_in("officer")
    data = _valid(title="行序测试", **{"items-0-name": "", "items-0-data_type": "", "items-0-length": "",
                                   "items-5-name": "末行", "items-5-data_type": "I"})
    assert _post(client, NEW, data).status_code == 302
    created = resources(container, title="行序测试")[0]
    assert [i.name for i in created.items] == ["身份证号", "末行"]


def test_parse_pasted_rows():
    from catalog.container import Container  # noqa: F401  (the registry below is the shipped one)
    from vocab import load_registry

    vocab = load_registry([])
    text = "信息项名称\t数据类型\t数据长度\t说明\r\n姓名\t字符型\t50\t公民姓名\r\n\r\n金额\tN\t1,000\n备注\n"
    assert parse_pasted(text, vocab) == [
        {"name": "姓名", "data_type": "C", "length": "50", "description": "公民姓名"},
        {"name": "金额", "data_type": "N", "length": "1000", "description": ""},
        {"name": "备注", "data_type": "", "length": "", "description": ""},
    ]
    assert parse_pasted("甲\t不存在的类型\t5", vocab)[0]["data_type"] == "不存在的类型"
    assert parse_pasted("") == []


# -- editing --------------------------------------------------------------------------------------


def test_editing_a_draft_keeps_its_values_and_saves(signed_in, container):
    client = signed_in("officer")
    draft = _new_draft(client, container, "待编辑的草稿")
    html = client.get(f"/resources/{draft.id}/edit").get_data(as_text=True)
    assert f'value="{draft.title}"' in html and f'name="expected_version" type="hidden" value="{draft.version}"' in html
    token = csrf_token(client, f"/resources/{draft.id}/edit")
    form = dict(re.findall(r'<input class="form-control[^"]*" id="[^"]+" name="([^"]+)" value="([^"]*)"', html))
    form.update({"title": draft.title + "（改）", "expected_version": str(draft.version), "csrf_token": token})
    response = client.post(f"/resources/{draft.id}/edit", data=form)
    assert response.status_code == 302, re.findall(r"<li><a href=\"#[^<]*</a>|alert[^<]*<[^<]*", response.get_data(as_text=True))
    assert resources(container, id=draft.id)[0].title == draft.title + "（改）"


def test_editing_a_published_resource_yields_a_pending_change(signed_in, container):
    client = signed_in("officer")
    published = _own(container, "published")
    url = f"/resources/{published.id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert "保存后将生成一项等待审核的变更" in html
    data = _valid(title=published.title + "（变更）", classification_code=published.classification_code,
                  expected_version=str(published.version))
    response = _post(client, url, data)
    assert response.status_code == 302, re.findall(r"<li><a href=\"#[^<]*</a>|alert[^<]*<[^<]*", response.get_data(as_text=True))
    assert resources(container, id=published.id)[0].title == published.title
    with container.unit_of_work() as session:
        change = session.scalars(select(ResourceChange).where(ResourceChange.resource_id == published.id,
                                                              ResourceChange.status == "pending")).one()
        assert change.data["title"] == published.title + "（变更）"


def test_a_stale_edit_shows_both_versions_and_changes_nothing(signed_in, container):
    client = signed_in("officer")
    draft = _new_draft(client, container, "将被并发修改的草稿")
    url = f"/resources/{draft.id}/edit"
    data = _valid(title="我的标题", classification_code=draft.classification_code,
                  expected_version=str(draft.version - 1 if draft.version > 1 else draft.version + 5))
    response = _post(client, url, data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "我的标题" in html and draft.title in html and 'id="conflict"' in html
    after = resources(container, id=draft.id)[0]
    assert after.title == draft.title and after.version == draft.version
    # Taking the values into a fresh edit: the form comes back with them and the current version.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    restored = client.post(url, data={**hidden, "csrf_token": token, "expected_version": str(draft.version),
                                      "action": "restore"}).get_data(as_text=True)
    assert 'value="我的标题"' in restored and f'name="expected_version" type="hidden" value="{draft.version}"' in restored


# -- permissions ----------------------------------------------------------------------------------


def test_another_departments_officer_gets_403_and_visitors_go_to_sign_in(signed_in, client, container):
    other = next(r for r in resources(container, status="draft") if r.department.key != "hn-mzj")
    officer = signed_in("officer")
    assert officer.get(f"/resources/{other.id}/edit").status_code in (403, 404)
    token = csrf_token(officer, NEW)
    assert officer.post(f"/resources/{other.id}/edit", data={"csrf_token": token, "title": "x"}).status_code in (403, 404)
    assert signed_in("auditor").get(NEW).status_code == 403
    for url in (NEW, f"/resources/{other.id}/edit", "/workspace/import"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location


# -- import ---------------------------------------------------------------------------------------


def _workbook(container, records) -> bytes:
    buffer = io.BytesIO()
    write_workbook(buffer, container.profile, container.vocab, records)
    return buffer.getvalue()


def _record(title: str, **overrides):
    record = {
        "title": title, "classification_code": "30701502", "abstract": "导入测试。", "department": {"name": "淮南市民政局"},
        "format": {"class": "2"}, "share": {"type": "unconditional", "method": "1-2"}, "open": {"is_open": False},
        "update_cycle": "4", "theme": "A", "keywords": ["导入"], "data_scope": "1", "secrecy": "1",
        "items": [{"name": "姓名", "data_type": "C", "length": 50}],
    }
    record.update(overrides)
    return record


def _upload(client, content: bytes):
    token = csrf_token(client, "/workspace/import")
    return client.post("/workspace/import", data={"csrf_token": token, "file": (io.BytesIO(content), "fill.xlsx")},
                       content_type="multipart/form-data")


def test_the_template_downloads(signed_in):
    response = signed_in("officer").get("/workspace/import/template.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"


def test_import_preview_lists_bad_rows_writes_nothing_and_confirm_imports(signed_in, container):
    client = signed_in("officer")
    before = len(resources(container))
    content = _workbook(container, [_record("导入好资源"), _record("导入坏资源", update_cycle="每千年")])
    response = _upload(client, content)
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    html = response.get_data(as_text=True)
    assert "导入好资源" in html and "导入坏资源" in html and "每千年" in html and "table-danger" in html
    assert len(resources(container)) == before
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    confirm = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html.split("import/confirm")[1]).group(1)
    # All or nothing by default: the bad row rejects the file.
    rejected = client.post("/workspace/import/confirm", data={"csrf_token": confirm, "token": token})
    assert rejected.status_code == 400 and len(resources(container)) == before
    done = client.post("/workspace/import/confirm", data={"csrf_token": confirm, "token": token, "skip_invalid": "1"})
    assert done.status_code == 302
    assert len(resources(container)) == before + 1 and resources(container, title="导入好资源")
    # Somebody else's upload cannot be confirmed.
    admin = signed_in("admin")
    admin_token = csrf_token(admin, "/workspace/import")
    assert admin.post("/workspace/import/confirm", data={"csrf_token": admin_token, "token": token}).status_code == 400
