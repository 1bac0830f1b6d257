"""The coverage audit in a real browser: a planner moves the date, drills from the city to a department's inventory, exports."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import sign_in, snapshot, sync_api

if sync_api is not None:
    from playwright.sync_api import expect


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_a_planner_audits_coverage_from_the_city_down_to_a_departments_inventory(new_page):
    page = new_page()
    sign_in(page, "auditor")
    page.goto("/coverage/")
    expect(page.locator("h1")).to_have_text("目录审计")
    # The city's published share, as a percentage, and the trend drawn as a chart with its table.
    expect(page.locator(".card .display-6").first).to_have_text(re.compile(r"^\d+(\.\d+)?\s*%$"))
    trend = page.locator("section[aria-labelledby=trend-heading]")
    expect(trend.locator("svg").first).to_be_visible()
    snapshot(page, "coverage-city")

    # An earlier date and a quarterly trend: the page says which day its figures are for, and the URL keeps it.
    page.fill("#as_of", "2026-06-30")
    page.select_option("#period", "quarter")
    page.locator("form.coverage-date button[type=submit]").click()
    page.wait_for_load_state()
    assert _query(page)["as_of"] == ["2026-06-30"] and _query(page)["period"] == ["quarter"]
    expect(page.locator("main")).to_contain_text("2026-06-30")
    expect(page.locator("#as_of")).to_have_value("2026-06-30")

    # The export buttons carry the date: the workbook downloaded is an XLSX file of that day.
    with page.expect_download() as download:
        page.locator("a[download]", has_text="Excel").click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(path, "rb") as workbook:
        assert workbook.read(4) == b"PK\x03\x04"
    assert "as_of=2026-06-30" in download.value.url

    # City → district → department, the date kept at every step.
    page.locator("section[aria-labelledby=divisions-heading] table tbody a").first.click()
    page.wait_for_load_state()
    assert "/coverage/divisions/" in page.url and _query(page)["as_of"] == ["2026-06-30"]
    page.locator("main table tbody a[href*='/coverage/departments/']").first.click()
    page.wait_for_load_state()
    assert "/coverage/departments/" in page.url and _query(page)["as_of"] == ["2026-06-30"]
    department = page.locator("h1").inner_text()
    expect(page.locator("nav[aria-label] .breadcrumb-item").first).to_have_text("全市")
    snapshot(page, "coverage-department")

    # The department's expected inventory, which the auditor reads without forms.
    page.locator("a[href^='/inventory/']").first.click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1] != "inventory"
    expect(page.locator("main")).to_contain_text(department)
    assert page.locator("main form[method=post]").count() == 0
    snapshot(page, "coverage-inventory-auditor")

    # Back at the overview in English, with the date chosen earlier dropped by "Today".
    page.goto("/coverage/?as_of=2026-06-30&lang=en")
    expect(page.locator("h1")).to_have_text("Coverage audit")
    page.get_by_role("link", name="Today").click()
    page.wait_for_load_state()
    assert "as_of" not in _query(page)
