"""The coverage audit dashboard: who sees it, that its numbers are CoverageService's, drill-down, charts, exports.

The demo catalog of this module is built with a fixed end of history, so its figures are the same on
every run; one in-scope department without any inventory is added to it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract
from openpyxl import load_workbook

from catalog.actor import Actor
from catalog.config import Settings
from catalog.container import Container
from catalog.coverage.quality_service import QualityService
from catalog.coverage.service import CoverageService
from catalog.demo.builder import build_demo
from catalog.services.department import DepartmentService
from catalog.uscc import build
from tests.clitools import throwaway_database
from tests.web.conftest import PASSWORD, sign_in
from web import create_app
from web.i18n import translations_for

UNTIL = datetime(2026, 6, 30, 4, tzinfo=UTC)  # the demo's history ends here: figures are the same on every run
AS_OF = date(2026, 6, 30)
EARLY = date(2025, 9, 30)
EMPTY = "hn-no-inventory"  # an in-scope department the test adds, without inventory
STAFF = ("manager", "auditor", "admin")
PAGES = ("/coverage/", "/coverage/divisions/340400", "/coverage/departments/", "/coverage/departments/hn-mzj",
         "/coverage/quality/", "/coverage/quality/hn-mzj", "/coverage/overlap", "/coverage/export/coverage.xlsx",
         "/coverage/export/quality.csv", "/coverage/export/overlap.json")
CITY_LEVEL = "340400"


@pytest.fixture(scope="module")
def container(tmp_path_factory):
    directory = tmp_path_factory.mktemp("coverage-web")
    with throwaway_database(directory, "coverage") as url:
        container = Container.from_settings(Settings(instance_path=directory / "instance", database_url=url))
        build_demo(container, resource_count=40, password=PASSWORD, until=UNTIL)
        with container.unit_of_work() as session:
            DepartmentService(container, session, Actor.system("test")).create({
                "key": EMPTY, "name": "淮南市无清单测试局", "division": CITY_LEVEL, "catalog_segment": "989",
                "uscc": build(CITY_LEVEL, 98989), "kind": "department", "in_scope": True})
        yield container
        container.dispose()


@pytest.fixture(scope="module")
def app(container):
    return create_app(container=container)


@pytest.fixture(scope="module")
def clients(app):
    """One signed-in client per demo user (signing in hashes a password: do it once per module)."""
    made = {}
    for username in ("officer", "reviewer", *STAFF):
        client = app.test_client()
        sign_in(client, username)
        made[username] = client
    return made


def report(container, as_of=AS_OF, **kwargs):
    with container.unit_of_work() as session:
        return CoverageService(container, session, Actor.system("test")).report(as_of, **kwargs)


class Tables(HTMLParser):
    """The text of every table row of a page: ``[[cell, …], …]`` (th and td alike), and the links of each row."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
            self.links.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []
        elif tag == "a" and self.links:
            self.links[-1].append(dict(attrs).get("href", ""))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def row(self, first: str) -> list[str]:
        found = [row for row in self.rows if row and row[0] == first]
        assert len(found) == 1, (first, [row[:1] for row in self.rows])
        return found[0]


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


# -- who sees it -----------------------------------------------------------------------------------


def test_the_navigation_links_the_dashboard_for_staff_only(app, clients):
    for username, client in clients.items():
        assert ('href="/coverage/"' in page(client, "/")) == (username in STAFF), username
    assert 'href="/coverage/"' not in page(app.test_client(), "/")


@pytest.mark.parametrize("url", PAGES)
def test_pages_per_role(app, clients, url):
    for username in STAFF:
        assert clients[username].get(url).status_code == 200, (username, url)
    for username in ("officer", "reviewer"):
        allowed = url.endswith("/hn-mzj")  # their own department's coverage and quality
        assert clients[username].get(url).status_code == (200 if allowed else 403), (username, url)
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_officers_see_their_own_department_only(clients):
    assert clients["officer"].get("/coverage/departments/hn-rsj").status_code == 403
    html = page(clients["officer"], "/coverage/departments/hn-mzj")
    assert 'href="/coverage/?' not in html and 'href="/coverage/"' not in html  # no way up to the city


# -- the numbers are CoverageService's ---------------------------------------------------------------


def test_the_city_and_district_figures_are_the_services(container, clients):
    expected = report(container)
    tables = Tables(page(clients["auditor"], f"/coverage/?as_of={AS_OF}"))
    for line in expected.lines("division"):
        f = line.figures
        cells = tables.row(line.label("zh_CN"))
        assert cells[1:8] == [str(v) for v in (f.departments, f.departments_covered, f.departments_meeting_target,
                                               f.expected, f.cataloged, f.registered, f.published)], line.key
        assert cells[8] == ("—" if f.ratio_published is None else f"{100 * f.ratio_published:.1f}%")
    city = expected.city.figures
    assert city.expected > city.published > 0 and city.departments == 85  # 84 demo departments and the added one


def test_the_department_table_and_its_no_inventory_line(container, clients):
    expected = report(container, trend=False)
    tables = Tables(page(clients["manager"], f"/coverage/departments/?as_of={AS_OF}"))
    for line in expected.departments:
        f = line.figures
        cells = tables.row(line.label("zh_CN"))
        assert cells[2:6] == [str(f.expected), str(f.cataloged), str(f.registered), str(f.published)], line.key
    empty = tables.row("淮南市无清单测试局")
    assert empty[2] == "0" and empty[6] == "—" and empty[7] == "无清单" and "100" not in " ".join(empty)
    only = Tables(page(clients["manager"], "/coverage/departments/?status=no_inventory"))
    assert [row[0] for row in only.rows[1:]] == ["淮南市无清单测试局"]


def test_an_empty_inventory_is_no_inventory_never_100_percent(clients):
    html = page(clients["admin"], f"/coverage/departments/{EMPTY}?lang=en")
    assert "No inventory" in html and "has no expected inventory yet" in html
    assert "100.0%" not in html.split("Trend and projection")[0]


def test_a_date_before_any_data_gives_zeros(container, clients):
    expected = report(container, date(2000, 1, 1))
    assert expected.city.figures.published == 0 and expected.trend[-1].city.published == 0
    city = Tables(page(clients["auditor"], "/coverage/?as_of=2000-01-01")).row("全市")
    assert city[4:9] == [str(expected.city.figures.expected), "0", "0", "0", "0.0%"]


def test_the_quality_page_is_the_services(container, clients):
    with container.unit_of_work() as session:
        quality = QualityService(container, session, Actor.system("test")).report()
    tables = Tables(page(clients["auditor"], "/coverage/quality/"))
    for department in quality.departments:
        cells = tables.row(department.name)
        score = "—" if department.rollup.score is None else f"{department.rollup.score:.1f}"
        assert cells[1:3] == [str(department.rollup.resources), score], department.key
    drill = Tables(page(clients["auditor"], "/coverage/quality/hn-mzj"))
    mzj = _id(quality, "hn-mzj")
    assert {f"/resources/{r.id}" for r in quality.resources if r.department_id == mzj} == {
        link for links in drill.links for link in links if link.startswith("/resources/")}


def _id(quality, key: str) -> int:
    return next(d.id for d in quality.departments if d.key == key)


# -- drill-down and the address --------------------------------------------------------------------


def test_drill_down_from_the_city_to_missing_items_keeps_the_date(container, clients):
    client = clients["auditor"]
    city = Tables(page(client, f"/coverage/?as_of={EARLY}&period=quarter"))
    division_link = f"/coverage/divisions/{CITY_LEVEL}?as_of={EARLY}&amp;period=quarter".replace("&amp;", "&")
    assert division_link in {link for links in city.links for link in links}
    district = Tables(page(client, division_link))
    department_link = f"/coverage/departments/hn-mzj?as_of={EARLY}&period=quarter"
    assert department_link in {link for links in district.links for link in links}
    expected = report(container, EARLY, department_id=_department(container, "hn-mzj"), period="quarter")
    line = expected.departments[0]
    html = page(client, department_link)
    assert f"尚未发布的清单资源（{len(line.missing)} 项）" in html and line.missing
    for item in line.missing:
        assert f'id="item-{item.id}"' in html and item.title in html
        if item.resource is not None:
            assert f'href="/resources/{item.resource.id}"' in html
    assert all(re.fullmatch(r"\d{4}-Q\d", point.label) for point in expected.trend)
    assert expected.trend[-1].label in html


def _department(container, key: str) -> int:
    with container.unit_of_work() as session:
        return DepartmentService(container, session, Actor.system("test")).get_by_key(key).id


@pytest.mark.parametrize("url", ["/coverage/?as_of=2026-02-30", "/coverage/?as_of=1200-01-01",
                                 "/coverage/?period=week", "/coverage/departments/?status=great",
                                 "/coverage/export/coverage.csv?by=nothing"])
def test_bad_addresses_are_400(clients, url):
    assert clients["auditor"].get(url).status_code == 400


@pytest.mark.parametrize("url", ["/coverage/divisions/999999", "/coverage/departments/no-such",
                                 "/coverage/export/coverage.pdf", "/coverage/export/overlap.csv",
                                 "/coverage/departments/hn-mzj-shjz"])
def test_unknown_things_are_404(clients, container, url):
    if url.endswith("hn-mzj-shjz") and not _exists(container, "hn-mzj-shjz"):
        pytest.skip("the demo has no such internal unit")
    assert clients["auditor"].get(url).status_code == 404


def _exists(container, key: str) -> bool:
    from catalog.errors import NotFoundError

    try:
        _department(container, key)
    except NotFoundError:
        return False
    return True


# -- charts ------------------------------------------------------------------------------------------


def test_charts_are_inline_svg_without_outside_assets(clients):
    html = page(clients["auditor"], f"/coverage/?as_of={AS_OF}")
    charts = re.findall(r'<svg [^>]*class="coverage-chart".*?</svg>', html, flags=re.S)
    assert len(charts) == 4
    for chart in charts:
        root = ET.fromstring(chart)  # well-formed
        assert root.get("role") == "img" and root.find("{http://www.w3.org/2000/svg}title").text
        assert not re.search(r"(href|src)=", chart)
    assert "<script" not in html.split("<main")[1].split("</main>")[0]
    assert "polyline" in charts[0] and "stroke-dasharray" in charts[0]  # the trend, with target and projection


# -- exports ------------------------------------------------------------------------------------------


def test_the_excel_export_is_the_reports(container, clients):
    response = clients["auditor"].get(f"/coverage/export/coverage.xlsx?as_of={AS_OF}")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert f'filename="coverage-{AS_OF}.xlsx"' in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    assert workbook.sheetnames == ["说明", "按区划", "按部门", "缺项", "趋势"]
    rows = list(workbook["按区划"].iter_rows(values_only=True))
    header, city = rows[0], dict(zip(rows[0], rows[1], strict=True))
    expected = report(container).city.figures
    assert "发布率 (ratio_published)" in header
    assert (city["清单资源数 (expected)"], city["已发布 (published)"]) == (expected.expected, expected.published)
    missing = list(workbook["缺项"].iter_rows(values_only=True))[1:]
    assert len(missing) == sum(len(line.missing) for line in report(container).departments)


def test_the_csv_and_json_exports_are_the_reports(container, clients):
    client = clients["manager"]
    text = client.get(f"/coverage/export/coverage.csv?as_of={AS_OF}&by=department").get_data(as_text=True)
    rows = {row["标识 (key)"]: row for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    expected = report(container)
    for line in expected.departments:
        assert int(rows[line.key]["已发布 (published)"]) == line.figures.published
    assert rows[EMPTY]["发布率 (ratio_published)"] == ""  # no inventory: no ratio
    data = json.loads(client.get(f"/coverage/export/coverage.json?as_of={AS_OF}").data)
    assert data == json.loads(json.dumps(expected.to_dict("zh_CN"), ensure_ascii=False))
    quality = load_workbook(io.BytesIO(client.get("/coverage/export/quality.xlsx").data), read_only=True)
    assert quality.sheetnames == ["按部门", "按资源", "权重"]
    overlap = json.loads(client.get("/coverage/export/overlap.json").data)
    assert {"resources", "items", "libraries"} == set(overlap)


# -- translations ---------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "web" / "coverage.py", ROOT / "web" / "coverage_charts.py", ROOT / "web" / "api" / "coverage.py"]
TEMPLATES = sorted((ROOT / "web" / "templates" / "coverage").glob("*.html"))
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_every_text_of_the_dashboard_has_a_zh_cn_translation():
    found: dict[str, str] = {}
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None}
    for path in SOURCES:
        for lineno, msgid, _comments, _context in extract_from_file("python", str(path), keywords=keywords):
            if isinstance(msgid, str) and msgid:
                found.setdefault(msgid, f"{path.name}:{lineno}")
    for path in TEMPLATES:
        with path.open("rb") as handle:
            for lineno, _function, msgid, _comments in babel_extract(handle, ("_", "gettext"), [], {}):
                msgid = msgid[0] if isinstance(msgid, tuple) else msgid
                if isinstance(msgid, str) and msgid:
                    found.setdefault(msgid, f"{path.name}:{lineno}")
    assert "Coverage audit" in found and "Trend and projection" in found
    translations = translations_for("zh_CN")
    missing = [f"{where}: {msgid!r}" for msgid, where in found.items() if translations.gettext(msgid) == msgid]
    wrong = [msgid for msgid in found if sorted(PLACEHOLDER.findall(translations.gettext(msgid)))
             != sorted(PLACEHOLDER.findall(msgid))]
    assert not missing, "add to web/translations/zh_CN/LC_MESSAGES/coverage_web.po:\n" + "\n".join(missing)
    assert not wrong


def test_the_dashboard_speaks_both_languages(clients):
    assert "目录审计" in page(clients["auditor"], "/coverage/?lang=zh")
    english = page(clients["auditor"], "/coverage/?lang=en")
    assert "Coverage audit" in english and "Trend and projection" in english and "By county and district" in english
    page(clients["auditor"], "/coverage/?lang=zh")  # the choice is remembered: leave the client in Chinese
