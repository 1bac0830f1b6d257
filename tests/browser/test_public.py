"""A visitor in a real browser: suggestions, facets, the URL as the state, the back button, languages, layout."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from tests.browser.conftest import snapshot, sync_api

if sync_api is not None:
    from playwright.sync_api import expect


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _results(page) -> list[str]:
    page.locator("#results").wait_for()
    return page.locator("article.result h3").all_inner_texts()


def test_search_with_suggestions_facets_and_the_back_button(new_page):
    page = new_page()
    page.goto("/")
    snapshot(page, "home")
    expect(page.locator("#q")).to_be_focused()  # the home page is for searching: the box has the focus

    box, options = page.locator("#q"), page.locator("#q-suggestions [role=option]")
    box.fill("人口")
    expect(options.first).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    values = options.evaluate_all("all => all.map(o => o.dataset.value)")
    assert "人口" in values and all("人口" in v for v in values), values
    snapshot(page, "suggestions")
    page.locator('#q-suggestions [role=option][data-value="人口"]').click()
    page.wait_for_url("**/search?**")
    assert _query(page) == {"q": ["人口"]}
    everything = _results(page)
    assert len(everything) >= 3 and any("常住人口" in t for t in everything), everything
    snapshot(page, "search")

    # A facet narrows the results, and the URL carries it.
    page.locator("aside a", has_text="淮南市教育局").first.click()
    page.wait_for_url("**department=**")
    narrowed = _results(page)
    assert 0 < len(narrowed) < len(everything) and any("老龄化" in t for t in narrowed), narrowed
    state = _query(page)
    assert state["q"] == ["人口"] and state["department"]
    expect(page.locator("aside a[aria-current=true]", has_text="淮南市教育局")).to_be_visible()
    snapshot(page, "search-facet")
    shared = page.url

    # Back restores the wider search, forward the narrow one; the URL alone rebuilds it in another browser.
    page.go_back()
    assert _query(page) == {"q": ["人口"]} and _results(page) == everything
    page.go_forward()
    assert _results(page) == narrowed
    other = new_page()
    other.goto(shared)
    assert _results(other) == narrowed

    page.locator("article.result h3 a").first.click()
    page.wait_for_url("**/resources/*")
    expect(page.locator(".resource-code")).to_have_text(re.compile(r"^\d+/\d{6}$"))
    assert page.locator("h1").inner_text() == narrowed[0]
    snapshot(page, "resource")


def test_pinyin_suggestions_by_keyboard(new_page):
    page = new_page()
    page.goto("/")
    box, options = page.locator("#q"), page.locator("#q-suggestions [role=option]")
    box.fill("renkou")
    expect(options.first).to_be_visible()
    first = options.first.get_attribute("data-value")
    assert "人口" in first
    box.press("Escape")
    expect(page.locator("#q-suggestions")).to_be_hidden()
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    box.press("Enter")
    page.wait_for_url("**/search?**")
    assert _query(page) == {"q": [first]} and _results(page)


def test_switching_to_english_and_back_keeps_the_page_and_is_remembered(new_page):
    page = new_page()
    page.goto("/search?q=人口")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.locator(".lang-switch a[lang=en]").click()
    page.wait_for_url("**lang=en**")
    assert page.locator("html").get_attribute("lang") == "en"
    assert _query(page)["q"] == ["人口"] and page.locator("h1").inner_text() == "Catalog search"
    snapshot(page, "search-en")
    page.locator(".navbar a", has_text="Departments").click()
    assert page.locator("html").get_attribute("lang") == "en"  # remembered for the visit
    snapshot(page, "departments-en")
    page.locator(".lang-switch a[lang=zh-CN]").click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() != "Departments"


def test_browsing_pages_lay_out_at_desktop_and_phone_width(new_page):
    page = new_page()
    for name, url in (("departments", "/departments"), ("classification", "/classification"), ("login", "/login"),
                      ("not-found", "/resources/999999"), ("empty-search", "/search?q=不存在的词语组合")):
        page.goto(url)
        snapshot(page, name)
    page.goto("/departments")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()  # the keyboard's first stop: skip to the content
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.locator("main a[href^='/departments/']").first.click()
    snapshot(page, "department")
    page.goto("/classification")
    page.locator("main a[href^='/classification/']").first.click()
    snapshot(page, "classification-item")
    # The phone layout: the menu collapses behind the toggler and opens from it.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#nav")).to_be_hidden()
    page.locator(".navbar-toggler").click()
    expect(page.locator("#nav")).to_be_visible()
    expect(page.locator("#nav a", has_text="部门")).to_be_visible()
