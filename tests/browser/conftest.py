"""Fixtures of the browser tests: Debian's chromium, driven by Playwright, against a real server on a demo catalog.

Playwright never downloads a browser here: it launches ``MULU_TEST_CHROMIUM`` or ``/usr/bin/chromium``
(``apt-get install chromium fonts-noto-cjk``), and the tests skip, saying why, when neither is there.
One werkzeug server (127.0.0.1, a free port, a thread of this process) serves a demo catalog built on a
throwaway database, with the internal department review switched on so that every role has a part.
Screenshots go to ``tests/_artifacts/browser/`` (ignored by git).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from catalog.actor import Actor
from catalog.config import Settings
from catalog.container import Container
from catalog.demo.builder import build_demo
from catalog.services.resource import ResourceService
from tests.clitools import throwaway_database
from web import create_app

try:
    from playwright import sync_api
except ImportError:  # the test extra is not installed
    sync_api = None

PASSWORD = "pw123456"
ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts" / "browser"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000
# Public resources about 人口 from two departments, so that a search for 人口 / renkou has suggestions,
# results and a department facet that narrows them.
POPULATION = (
    ("淮南市常住人口统计信息", "淮南市民政局", ["人口", "常住人口"]),
    ("淮南市流动人口居住登记信息", "淮南市民政局", ["人口", "流动人口"]),
    ("淮南市人口老龄化监测信息", "淮南市教育局", ["人口", "老龄化"]),
)


def chromium_path() -> str | None:
    """The chromium the tests drive: ``MULU_TEST_CHROMIUM``, else Debian's ``/usr/bin/chromium``."""
    candidate = os.environ.get("MULU_TEST_CHROMIUM") or "/usr/bin/chromium"
    return candidate if os.path.isfile(candidate) and os.access(candidate, os.X_OK) else None


def published_resource(service: ResourceService, title: str, department: str, keywords: list[str]) -> int:
    resource = service.create({
        "title": title, "classification_code": "307", "abstract": f"{title}，供浏览器测试检索。",
        "department": {"name": department}, "format": {"class": "2"},
        "share": {"type": "unconditional", "method": "1-2"}, "open": {"is_open": True, "type": "1"},
        "update_cycle": "4", "theme": "A", "keywords": keywords, "data_scope": "1", "secrecy": "1",
        "items": [{"name": "统计指标", "data_type": "C", "length": 50}],
    }, draft=True)
    for action in ("submit", "register", "request_publication", "publish"):
        service.transition(resource.id, action)
    return resource.id


@dataclass
class Portal:
    url: str
    container: Container


class _QuietHandler(WSGIRequestHandler):
    def log(self, *_args) -> None:  # the request log would drown pytest's output
        pass


@pytest.fixture(scope="session")
def portal(tmp_path_factory):
    """The portal served over HTTP on 127.0.0.1 (a free port) by a thread, on its own demo database."""
    if sync_api is None:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    if chromium_path() is None:
        where = os.environ.get("MULU_TEST_CHROMIUM") or "/usr/bin/chromium"
        pytest.skip(f"no chromium at {where}: apt-get install chromium fonts-noto-cjk, or set MULU_TEST_CHROMIUM")
    directory = tmp_path_factory.mktemp("browser")
    with throwaway_database(directory, "browser") as url:
        settings = Settings(instance_path=directory / "instance", database_url=url)
        builder = Container.from_settings(settings)
        build_demo(builder, resource_count=40, password=PASSWORD)
        with builder.unit_of_work() as session:
            service = ResourceService(builder, session, Actor.system("test"))
            for title, department, keywords in POPULATION:
                published_resource(service, title, department, keywords)
        builder.dispose()
        container = Container.from_settings(settings.replace(department_review=True))
        server = make_server("127.0.0.1", 0, create_app(container=container), threaded=True,
                             request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="portal", daemon=True)
        thread.start()
        try:
            yield Portal(f"http://127.0.0.1:{server.server_port}", container)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            container.dispose()


@pytest.fixture(scope="session")
def browser(portal):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, portal):
    """``new_page()`` → a page in a fresh browser context (no cookies), Chinese, 1280×800.

    Every page fails its test on a script error or a server error (5xx).
    """
    contexts, problems = [], []

    def make(locale: str = "zh-CN"):
        context = browser.new_context(base_url=portal.url, viewport=DESKTOP, locale=locale, accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("response", lambda r: r.status >= 500 and problems.append(f"{r.status} {r.url}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


def sign_in(page, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


# -- screenshots and layout ------------------------------------------------------------------------

LAYOUT_SCRIPT = """
(wide) => {
  const problems = [];
  const width = window.innerWidth;
  const doc = document.documentElement;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  if (doc.scrollWidth > width) {
    // What sticks out: not what scrolls inside a table's container, unless it is positioned out of it.
    const wide = [...document.body.querySelectorAll("*")].filter((el) => {
      const box = el.getBoundingClientRect();
      const clipped = el.closest(".table-responsive") && !["absolute", "fixed"].includes(getComputedStyle(el).position);
      return box.width && box.right > width + 1 && !clipped && !el.closest("[hidden]");
    }).slice(0, 5).map(describe);
    problems.push(`horizontal scrollbar: the page is ${doc.scrollWidth}px wide in ${width}px (${wide.join(", ")})`);
  }
  for (const table of document.querySelectorAll("main table")) {
    const box = table.closest(".table-responsive");
    if (!box) { problems.push(`${describe(table)} is not inside a .table-responsive`); continue; }
    if (box.getBoundingClientRect().right > width + 1) { problems.push(`${describe(box)} is wider than the page`); }
  }
  if (wide) {
    const items = [...document.querySelectorAll(".navbar-brand, .navbar-nav > .nav-item")]
      .filter((el) => el.offsetParent !== null);
    const centres = items.map((el) => { const b = el.getBoundingClientRect(); return b.top + b.height / 2; });
    if (items.length && Math.max(...centres) - Math.min(...centres) > 6) {
      problems.push("the navbar wraps onto more than one line: " + items.map((el, i) =>
        `${el.textContent.trim().replace(/\\s+/g, " ")} @${Math.round(centres[i])}`).join(" | "));
    }
    for (const el of document.querySelectorAll(".navbar-brand, .navbar-nav .nav-link")) {
      const style = getComputedStyle(el);
      const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
      const inner = el.getBoundingClientRect().height - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
      if (el.offsetParent !== null && inner > line * 1.5) {
        problems.push(`"${el.textContent.trim().replace(/\\s+/g, " ")}" wraps inside the navbar`);
      }
    }
  }
  return problems;
}
"""


def layout_problems(page) -> list[str]:
    return page.evaluate(LAYOUT_SCRIPT, page.viewport_size["width"] >= 992)


def snapshot(page, name: str) -> None:
    """Screenshots of the page at 1280×800 and 390×844 under tests/_artifacts/browser/, with layout checks.

    At both widths: no horizontal scrollbar, tables scroll inside their own container; at 1280 the navbar
    stays on one line. The screenshots are saved before the checks fail, to show what went wrong.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    problems = []
    try:
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
            page.screenshot(path=str(ARTIFACTS / f"{name}-{size['width']}.png"), full_page=True)
            problems += [f"{size['width']}px: {p}" for p in layout_problems(page)]
    finally:
        page.set_viewport_size(original)
    assert not problems, f"{name} ({page.url}): {problems}"
