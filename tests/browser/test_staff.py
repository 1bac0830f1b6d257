"""Staff in a real browser: the officer's form and its tables, review with reasons, registration, bulk decisions, import."""

from __future__ import annotations

import re

from catalog.template_workbook import write_workbook
from tests.browser.conftest import DESKTOP, PHONE, layout_problems, sign_in, snapshot, sync_api

if sync_api is not None:
    from playwright.sync_api import expect

TITLE = "淮南市困难家庭入户走访记录信息"
PASTE = "名称\t数据类型\t长度\t说明\n性别\t字符型\t2\t男或女\n出生日期\tD\t8\t\n"


def _names(page) -> list[str]:
    return page.locator("#table-items tbody input[name$='-name']").evaluate_all("all => all.map(e => e.value)")


def _status(page) -> str:
    return page.locator("main .badge[class*='status-']").first.inner_text()


def _act(page, label: str, reason: str | None = None) -> None:
    """Take a workflow action from the resource page's workflow card."""
    form = page.locator("section[aria-labelledby=actions-title] form").filter(
        has=page.get_by_role("button", name=label, exact=True))
    if reason is not None:
        form.locator("textarea").fill(reason)
    form.get_by_role("button", name=label, exact=True).click()
    page.wait_for_load_state()


def _fill_the_form(page) -> None:
    page.fill("#f-classification_code", "307")
    page.fill("#f-title", TITLE)
    page.select_option("#f-format-class", "2")
    page.select_option("#f-share-method", "1-2")
    page.select_option("#f-open-is_open", "true")  # open to the public: a visitor will find it
    page.select_option("#f-open-type", "unconditional")
    page.select_option("#f-update_cycle", "4")
    page.select_option("#f-theme", "A")
    page.fill("#f-keywords", "困难家庭\n走访")
    page.select_option("#f-data_scope", "1")
    page.select_option("#f-secrecy", "1")


def _edit_the_items(page) -> None:
    """Three rows typed, one added, one moved up, one removed, two pasted from the clipboard, one pasted as text."""
    rows = page.locator("#table-items tbody tr")
    for index, (name, kind, length) in enumerate((("姓名", "C", "50"), ("身份证号", "C", "18"), ("临时列", "C", "10"))):
        page.fill(f"#f-items-{index}-name", name)
        page.select_option(f"#f-items-{index}-data_type", kind)
        page.fill(f"#f-items-{index}-length", length)
    page.locator("[data-row=add][data-table=items]").click()
    expect(rows).to_have_count(4)
    expect(page.locator("#f-items-3-name")).to_be_focused()
    rows.nth(2).locator("[data-row=up]").click()
    assert _names(page) == ["姓名", "临时列", "身份证号", ""]
    expect(rows.nth(1).locator("[data-row=up]")).to_be_focused()  # focus stays on the moved row
    assert page.input_value("#f-items-1-name") == "临时列" and page.input_value("#f-items-1-length") == "10"
    rows.nth(1).locator("[data-row=remove]").click()
    assert _names(page) == ["姓名", "身份证号", ""]
    # Rows copied in Excel, pasted onto the table: the heading is skipped, blank rows fill first.
    page.locator("#f-items-2-name").evaluate("""(cell, text) => {
        const data = new DataTransfer();
        data.setData("text/plain", text);
        cell.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
    }""", PASTE)
    assert _names(page) == ["姓名", "身份证号", "性别", "出生日期"]
    assert page.input_value("#f-items-2-data_type") == "C" and page.input_value("#f-items-3-data_type") == "D"
    # The same through the text box under the table.
    page.locator("details summary", has_text="粘贴").click()
    page.fill("#items_paste", "户籍地址\tC\t200\t")
    page.locator("#paste-rows").click()
    assert _names(page) == ["姓名", "身份证号", "性别", "出生日期", "户籍地址"]
    assert page.input_value("#items_paste") == ""


def test_an_officer_catalogs_a_resource_that_goes_through_review_to_publication(new_page, portal):
    officer = new_page()
    sign_in(officer, "officer")
    officer.goto("/workspace")
    snapshot(officer, "workspace")
    officer.get_by_role("link", name="新建资源").click()
    expect(officer.locator("h1")).to_have_text("新建资源")
    snapshot(officer, "form-new")
    # On a phone the items table scrolls sideways inside its container; the page itself does not.
    officer.set_viewport_size(PHONE)
    widths = officer.locator("#table-items").evaluate(
        "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth, document.documentElement.scrollWidth]")
    assert widths[0] > widths[1] and widths[2] <= PHONE["width"], widths
    officer.set_viewport_size(DESKTOP)

    # The share condition appears for 有条件共享 only; hidden, it is disabled and not posted.
    condition = officer.locator('[data-path="share.condition"]')
    expect(condition).to_be_hidden()
    officer.select_option("#f-share-type", "conditional")
    expect(condition).to_be_visible()
    officer.select_option("#f-share-type", "unconditional")
    expect(condition).to_be_hidden()
    expect(officer.locator("#f-share-condition")).to_be_disabled()
    officer.select_option("#f-share-type", "conditional")
    expect(officer.locator("#f-share-condition")).to_be_enabled()

    _fill_the_form(officer)
    _edit_the_items(officer)

    # Submitting without an abstract and without the share condition: every error beside its field.
    officer.get_by_role("button", name="保存并提交").click()
    errors = officer.locator("#form-errors")
    expect(errors).to_be_visible()
    for field in ("#f-abstract", "#f-share-condition"):
        expect(officer.locator(field)).to_have_class(re.compile(r"\bis-invalid\b"))
        expect(officer.locator(f"{field}-error")).to_be_visible()
    errors.locator("a[href='#f-abstract']").click()
    expect(officer.locator("#f-abstract")).to_be_focused()
    assert officer.input_value("#f-title") == TITLE  # what was typed is kept
    assert _names(officer)[:5] == ["姓名", "身份证号", "性别", "出生日期", "户籍地址"]
    snapshot(officer, "form-errors")

    officer.fill("#f-abstract", "困难家庭入户走访的时间、人员和情况记录。")
    officer.fill("#f-share-condition", "仅限民政救助业务使用")
    officer.get_by_role("button", name="保存草稿").click()
    officer.wait_for_url("**/resources/*")
    assert _status(officer) == "草稿" and officer.locator("h1").inner_text() == TITLE
    resource_url = officer.url
    snapshot(officer, "resource-draft")
    officer.get_by_role("link", name="编辑", exact=True).click()
    assert _names(officer)[:5] == ["姓名", "身份证号", "性别", "出生日期", "户籍地址"]
    officer.get_by_role("button", name="保存并提交").click()
    officer.wait_for_url(resource_url)
    assert _status(officer) == "待部门审核"

    # The department's reviewer returns it with a reason.
    reviewer = new_page()
    sign_in(reviewer, "reviewer")
    reviewer.goto("/review")
    snapshot(reviewer, "review-queue-reviewer")
    reviewer.locator("#review-queue a", has_text=TITLE).click()
    expect(reviewer.locator("#comment-return")).to_have_attribute("required", "")
    _act(reviewer, "退回修改", "请补充每个信息项的说明。")
    assert _status(reviewer) == "退回修改"

    # The officer sees the reason, fixes and resubmits.
    officer.goto("/workspace")
    returned = officer.locator("section[aria-labelledby=group-returned]")
    expect(returned).to_contain_text("请补充每个信息项的说明。")
    snapshot(officer, "workspace-returned")
    returned.locator("a", has_text=TITLE).click()
    officer.get_by_role("link", name="编辑", exact=True).click()
    officer.fill("#f-items-0-description", "户主姓名")
    officer.get_by_role("button", name="保存并提交").click()
    officer.wait_for_url(resource_url)
    assert _status(officer) == "待部门审核"

    reviewer.goto(resource_url)
    _act(reviewer, "部门审核通过")
    assert _status(reviewer) == "待注册审核"

    # The catalog manager registers (the code is assigned and shown) and publishes.
    manager = new_page()
    sign_in(manager, "manager")
    manager.goto(resource_url)
    _act(manager, "注册")
    expect(manager.locator(".resource-code")).to_have_text(re.compile(r"^307\d*/\d{6}$"))
    code = manager.locator(".resource-code").inner_text()
    assert _status(manager) == "已注册"
    _act(manager, "申请发布")
    _act(manager, "发布")
    assert _status(manager) == "已发布"
    snapshot(manager, "resource-published")
    history = manager.locator("a[href$='/history']")
    if history.count():
        history.first.click()
        snapshot(manager, "history")

    # A visitor finds it by a Chinese word of its title.
    visitor = new_page()
    visitor.goto("/")
    visitor.fill("#q", "走访")
    visitor.press("#q", "Enter")
    visitor.wait_for_url("**/search?**")
    visitor.locator("article.result a", has_text=re.compile("走访")).first.click()
    expect(visitor.locator(".resource-code")).to_have_text(code)
    assert visitor.locator("h1").inner_text() == TITLE


def test_the_manager_registers_and_publishes_several_at_once(new_page):
    manager = new_page()
    sign_in(manager, "manager")
    manager.goto("/review?status=pending_registration")
    snapshot(manager, "review-queue")
    boxes = manager.locator("#review-queue input[name=resource]")
    assert boxes.count() >= 2
    manager.locator("#select-all").check()
    assert all(box.is_checked() for box in boxes.all())
    manager.locator("#select-all").uncheck()
    chosen = [boxes.nth(0).get_attribute("value"), boxes.nth(1).get_attribute("value")]
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(manager.locator("#select-all")).to_have_js_property("indeterminate", boxes.count() > 2)
    manager.get_by_role("button", name="批量注册并发布").click()
    results = manager.locator("#bulk-results")
    expect(results).to_be_visible()
    expect(results.locator("h2")).to_contain_text("2 项已完成，0 项未完成")
    for resource_id in chosen:
        row = results.locator(f"tr[data-resource='{resource_id}']")
        expect(row).to_have_attribute("data-outcome", "done")
        expect(row.locator("code")).to_have_text(re.compile(r"^\d+/\d{6}$"))
        expect(row.locator(".badge")).to_have_text("已发布")
    assert manager.url.endswith("/review?status=pending_registration")  # the filter is kept
    for resource_id in chosen:
        expect(manager.locator(f"#review-queue input[value='{resource_id}']")).to_have_count(0)
    snapshot(manager, "review-bulk-results")


def test_an_officer_previews_an_xlsx_import_before_anything_is_written(new_page, portal, tmp_path):
    container = portal.container
    good = {
        "title": "浏览器导入好资源", "classification_code": "30701502", "abstract": "导入测试。",
        "department": {"name": "淮南市民政局"}, "format": {"class": "2"},
        "share": {"type": "unconditional", "method": "1-2"}, "open": {"is_open": False}, "update_cycle": "4",
        "theme": "A", "keywords": ["导入"], "data_scope": "1", "secrecy": "1",
        "items": [{"name": "姓名", "data_type": "C", "length": 50}],
    }
    bad = {**good, "title": "浏览器导入坏资源", "update_cycle": "每千年"}
    path = tmp_path / "fill.xlsx"
    with path.open("wb") as handle:
        write_workbook(handle, container.profile, container.vocab, [good, bad])

    officer = new_page()
    sign_in(officer, "officer")
    officer.goto("/workspace/import")
    with officer.expect_download() as download:
        officer.get_by_role("link", name=re.compile("下载")).click()
    assert download.value.suggested_filename == "mulu-template.xlsx"
    officer.set_input_files("input[type=file]", str(path))
    officer.get_by_role("button", name="检查文件").click()
    preview = officer.locator("#import-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("tbody tr")).to_have_count(2)
    expect(preview.locator("tr.table-danger")).to_contain_text("每千年")
    snapshot(officer, "import-preview")
    officer.locator("#skip_invalid").check()
    officer.get_by_role("button", name="导入", exact=True).click()
    officer.wait_for_url("**/workspace")
    expect(officer.locator("main .alert-success")).to_be_visible()
    expect(officer.locator("main", has_text="浏览器导入好资源")).to_be_visible()
    assert "浏览器导入坏资源" not in officer.locator("main").inner_text()


def test_the_navbar_stays_on_one_line_for_the_busiest_menus(new_page):
    """The administrator has every menu entry, the manager a long name: one line at 1280 px in both languages."""
    for username in ("admin", "manager"):
        page = new_page()
        sign_in(page, username)
        for lang in ("en", "zh"):
            page.goto(f"/review?lang={lang}")
            assert layout_problems(page) == [], (username, lang)
        expect(page.locator(".navbar .user-menu")).to_have_attribute("title", re.compile(r"（.+）"))
    snapshot(page, "review-queue-manager")
    page.goto("/review?lang=en")
    snapshot(page, "review-queue-manager-en")
