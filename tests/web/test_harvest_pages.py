"""Harvest sources, jobs and notifications in the portal: who sees what, the forms, running a source, the badge."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract

from catalog.actor import Actor
from catalog.config import Settings
from catalog.container import Container
from catalog.demo.builder import build_demo
from harvesters import worker
from harvesters.models import HarvestJob
from harvesters.services import HarvestSourceService
from tests.clitools import throwaway_database
from tests.harvest.conftest import Site, _request_handler
from tests.web.conftest import PASSWORD, csrf_token
from web.i18n import translations_for

ROOT = Path(__file__).resolve().parents[2]
TURTLE = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<http://example.gov.cn/catalog> a dcat:Catalog ; dcat:dataset <http://example.gov.cn/d/1>, <http://example.gov.cn/d/2>,
  <http://example.gov.cn/d/3> .
<http://example.gov.cn/d/1> a dcat:Dataset ; dct:title "城乡低保对象名册"@zh ; dcat:landingPage <http://example.gov.cn/p/1> .
<http://example.gov.cn/d/2> a dcat:Dataset ; dct:title "养老机构名录"@zh .
<http://example.gov.cn/d/3> a dcat:Dataset ; dct:description "没有标题的数据集"@zh .
"""


@pytest.fixture(scope="module")
def container(tmp_path_factory):
    """The demo catalog, with harvesting allowed to reach the test server on 127.0.0.1."""
    directory = tmp_path_factory.mktemp("harvest-pages")
    with throwaway_database(directory, "harvestpages") as url:
        container = Container.from_settings(Settings(instance_path=directory / "instance", database_url=url,
                                                     harvest_allow_hosts=("127.0.0.1",)))
        build_demo(container, resource_count=20, password=PASSWORD)
        yield container
        container.dispose()


@pytest.fixture(scope="module")
def site():
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _request_handler(site))
    server.daemon_threads = True
    site.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site.add("/catalog.ttl", TURTLE, content_type="text/turtle")
    site.add("/broken.ttl", "this is not turtle {", content_type="text/turtle")
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def seeded(container, site):
    """Two sources of the officer's department (hn-mzj) and one of another (hn-fgw), made by the system."""
    with container.unit_of_work() as session:
        service = HarvestSourceService(container, session, Actor.system("test"))
        for name, department, path in (("mzj-dcat", "hn-mzj", "/catalog.ttl"), ("mzj-broken", "hn-mzj", "/broken.ttl"),
                                       ("fgw-dcat", "hn-fgw", "/catalog.ttl")):
            service.create({"name": name, "type": "dcat", "url": site.url(path), "department": department,
                            "title": f"{name} 目录", "defaults": {"classification_code": "307"}})
    return True


def _run(client, name: str) -> HarvestJob:
    """Press "Run now" and wait for the background run to end."""
    response = client.post(f"/harvest/sources/{name}/run", data={"csrf_token": csrf_token(client, f"/harvest/sources/{name}")})
    assert response.status_code == 302
    with client.application.app_context():
        container = client.application.extensions["mulu"]
        with container.unit_of_work() as session:
            source = HarvestSourceService(container, session, Actor.system("test")).get(name)
            thread = worker.BACKGROUND.get(source.id)
            source_id = source.id
    assert thread is not None
    thread.join(timeout=60)
    with container.unit_of_work() as session:
        job = HarvestSourceService(container, session, Actor.system("test")).jobs(source_id, limit=1)[0]
        session.expunge(job)
    return job


def test_harvest_pages_need_a_staff_account(client, seeded):
    assert client.get("/harvest/").status_code == 302
    assert client.get("/notifications").status_code == 302


def test_managers_see_every_source_officers_their_departments(signed_in, seeded):
    manager = signed_in("manager").get("/harvest/").get_data(as_text=True)
    assert all(name in manager for name in ("mzj-dcat", "mzj-broken", "fgw-dcat")) and "/harvest/new" in manager
    officer = signed_in("officer").get("/harvest/").get_data(as_text=True)
    assert "mzj-dcat" in officer and "fgw-dcat" not in officer and "/harvest/new" in officer
    reviewer = signed_in("reviewer").get("/harvest/").get_data(as_text=True)
    assert "mzj-dcat" in reviewer and "fgw-dcat" not in reviewer and "/harvest/new" not in reviewer
    auditor = signed_in("auditor").get("/harvest/").get_data(as_text=True)
    assert "fgw-dcat" in auditor and "/harvest/new" not in auditor
    # Another department's source does not exist for the officer; the reviewer may read but not change.
    assert signed_in("officer").get("/harvest/sources/fgw-dcat").status_code == 404
    reviewer_client = signed_in("reviewer")
    page = reviewer_client.get("/harvest/sources/mzj-dcat").get_data(as_text=True)
    assert "Run now" not in page and "立即采集" not in page
    assert reviewer_client.get("/harvest/sources/mzj-dcat/edit").status_code == 403
    assert reviewer_client.get("/harvest/new").status_code == 403


def _department_of(container, source: str) -> str:
    with container.unit_of_work() as session:
        return str(HarvestSourceService(container, session, Actor.system("test")).get(source).department_id)


def test_an_officer_adds_a_source_and_credentials_are_never_shown(signed_in, site, seeded, container):
    client = signed_in("officer")
    form = {"name": "mzj-ckan", "title": "民政 CKAN", "type": "ckan", "url": site.base, "schedule": "daily",
            "department": _department_of(container, "mzj-dcat"),
            "classification": "307", "config": '{"rows": 50}', "auth_header": "Bearer s3cret-value",
            "withdraw_after_days": "7", "timeout_minutes": "60", "active": "y"}
    assert client.post("/harvest/new", data=form).status_code == 400  # no CSRF token
    token = csrf_token(client, "/harvest/new")
    refused = client.post("/harvest/new", data={**form, "csrf_token": token})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "environment variable" in html or "环境变量" in html or "env:" in html
    assert "s3cret-value" not in html  # not even echoed back into the form
    bad_json = client.post("/harvest/new", data={**form, "auth_header": "", "config": "{rows", "csrf_token": token})
    assert bad_json.status_code == 400 and ("Not valid JSON" in bad_json.get_data(as_text=True)
                                            or "不是有效的 JSON" in bad_json.get_data(as_text=True))
    created = client.post("/harvest/new", data={**form, "auth_header": "env:MZJ_CKAN_TOKEN", "csrf_token": token})
    assert created.status_code == 302 and created.headers["Location"].endswith("/harvest/sources/mzj-ckan")
    page = client.get("/harvest/sources/mzj-ckan").get_data(as_text=True)
    assert "MZJ_CKAN_TOKEN" in page and "s3cret" not in page
    edit = client.get("/harvest/sources/mzj-ckan/edit").get_data(as_text=True)
    assert 'value="env:MZJ_CKAN_TOKEN"' in edit and "&#34;rows&#34;: 50" in edit


def test_an_officer_cannot_add_a_source_for_another_department(signed_in, site, container, seeded):
    client = signed_in("officer")
    token = csrf_token(client, "/harvest/new")
    other = _department_of(container, "fgw-dcat")
    response = client.post("/harvest/new", data={"name": "sneaky", "type": "dcat", "url": site.base, "classification": "307",
                                                 "department": other, "schedule": "manual", "csrf_token": token})
    assert response.status_code == 400  # not a department the form offers
    assert signed_in("manager").get("/harvest/sources/sneaky").status_code == 404


def test_edit_saves_the_settings(signed_in, seeded):
    client = signed_in("officer")
    token = csrf_token(client, "/harvest/sources/mzj-dcat/edit")
    response = client.post("/harvest/sources/mzj-dcat/edit", data={
        "title": "民政 DCAT 目录", "url": "http://127.0.0.1:1/elsewhere.ttl", "schedule": "weekly", "classification": "307",
        "defaults": '{"update_cycle": "每月"}', "withdraw_after_days": "3", "timeout_minutes": "30", "csrf_token": token})
    assert response.status_code == 302
    page = client.get("/harvest/sources/mzj-dcat?lang=en").get_data(as_text=True)
    assert "民政 DCAT 目录" in page and "elsewhere.ttl" in page and "inactive" in page and "3 days" in page
    assert "每月" in page and "weekly" in page
    bad = client.post("/harvest/sources/mzj-dcat/edit", data={
        "url": "ftp://example.gov.cn/x", "schedule": "weekly", "classification": "", "csrf_token": token})
    assert bad.status_code == 400


def test_run_now_harvests_in_the_background_and_the_job_page_reports_each_record(signed_in, site, seeded):
    client = signed_in("officer")
    client.post("/harvest/sources/mzj-dcat/edit", data={
        "title": "民政 DCAT 目录", "url": site.url("/catalog.ttl"), "schedule": "manual", "classification": "307",
        "active": "y", "csrf_token": csrf_token(client, "/harvest/sources/mzj-dcat/edit")})
    job = _run(client, "mzj-dcat")
    assert job.status == "done_with_errors" and job.counts == {"created": 2, "error": 1}, job.errors
    assert job.client.startswith("portal")
    page = client.get(f"/harvest/jobs/{job.id}?lang=en").get_data(as_text=True)
    assert "http://example.gov.cn/p/1" in page and "created" in page
    assert "Correct the record at its source" in page  # the hint of the record without a title
    errors_only = client.get(f"/harvest/jobs/{job.id}?status=error").get_data(as_text=True)
    assert "http://example.gov.cn/d/3" in errors_only and "http://example.gov.cn/p/1" not in errors_only
    source_page = client.get("/harvest/sources/mzj-dcat").get_data(as_text=True)
    assert f"/harvest/jobs/{job.id}" in source_page
    assert signed_in("officer").get("/harvest/jobs/999999").status_code == 404


def test_a_failed_run_notifies_the_officer_with_a_badge_and_a_link_to_the_job(signed_in, seeded):
    client = signed_in("officer")
    job = _run(client, "mzj-broken")
    assert job.status == "failed"
    home = client.get("/?lang=en").get_data(as_text=True)
    assert re.search(r'badge rounded-pill text-bg-danger">\d+<span class="visually-hidden"> unread', home)
    listing = client.get("/notifications?lang=en").get_data(as_text=True)
    assert "The harvest of mzj-broken 目录 failed." in listing
    found = re.search(r'action="/notifications/(\d+)/read"', listing)
    token = csrf_token(client, "/notifications")
    opened = client.post(f"/notifications/{found.group(1)}/read", data={"open": "1", "csrf_token": token})
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/harvest/jobs/{job.id}")
    assert client.post("/notifications/read-all", data={}).status_code == 400  # CSRF
    client.post("/notifications/read-all", data={"csrf_token": token})
    assert "text-bg-danger" not in client.get("/notifications?unread=1").get_data(as_text=True).split("<main")[0]
    # The manager was not told (not an officer of the department), and cannot open the officer's notice.
    manager = signed_in("manager")
    assert "mzj-broken" not in manager.get("/notifications?lang=en").get_data(as_text=True)
    token = csrf_token(manager, "/notifications")
    assert manager.post(f"/notifications/{found.group(1)}/read", data={"csrf_token": token}).status_code == 404


def test_run_now_needs_csrf_and_the_right_to_manage(signed_in, seeded):
    officer = signed_in("officer")
    assert officer.post("/harvest/sources/mzj-dcat/run", data={}).status_code == 400
    reviewer = signed_in("reviewer")
    token = csrf_token(reviewer, "/notifications")
    assert reviewer.post("/harvest/sources/mzj-dcat/run", data={"csrf_token": token}).status_code == 403


# -- translations -----------------------------------------------------------------------------------

SOURCES = [ROOT / "web" / "harvest.py", ROOT / "web" / "notifications.py"]
TEMPLATES = [*sorted((ROOT / "web" / "templates" / "harvest").glob("*.html")), ROOT / "web" / "templates" / "notifications.html"]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_every_harvest_page_text_has_a_zh_cn_translation():
    found: dict[str, str] = {}
    for path in SOURCES:
        for lineno, msgid, _c, _x in extract_from_file("python", str(path), keywords={"_": None, "_l": None}):
            if isinstance(msgid, str) and msgid:
                found.setdefault(msgid, f"{path.name}:{lineno}")
    for path in TEMPLATES:
        with path.open("rb") as handle:
            for lineno, _f, msgid, _c in babel_extract(handle, ("_", "gettext"), [], {}):
                msgid = msgid[0] if isinstance(msgid, tuple) else msgid
                if isinstance(msgid, str) and msgid:
                    found.setdefault(msgid, f"{path.name}:{lineno}")
    assert "Harvest sources" in found and "Mark all as read" in found
    translations = translations_for("zh_CN")
    missing = [f"{where}: {msgid!r}" for msgid, where in found.items() if translations.gettext(msgid) == msgid]
    wrong = [msgid for msgid in found if translations.gettext(msgid) != msgid
             and sorted(PLACEHOLDER.findall(translations.gettext(msgid))) != sorted(PLACEHOLDER.findall(msgid))]
    assert not missing, "add to web/translations/zh_CN/LC_MESSAGES/harvest_web.po:\n" + "\n".join(missing)
    assert not wrong


def test_the_new_source_form_offers_the_deployments_withdrawal_grace(signed_in, seeded, container, monkeypatch):
    client = signed_in("officer")
    assert re.search(r'name="withdraw_after_days"[^>]*value="7"', client.get("/harvest/new").get_data(as_text=True))
    monkeypatch.setattr(container, "settings", replace(container.settings, harvest_withdraw_after_days=30))
    assert re.search(r'name="withdraw_after_days"[^>]*value="30"', client.get("/harvest/new").get_data(as_text=True))
