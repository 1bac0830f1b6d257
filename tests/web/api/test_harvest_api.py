"""Harvest sources, jobs and per-record reports in the API: visibility, pages, languages, credentials, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalog.actor import Actor
from harvesters.models import HarvestJob, HarvestRecord
from harvesters.services import HarvestSourceService
from tests.web.api.conftest import error_of


@pytest.fixture(scope="module")
def harvested(container):
    """Two sources of 民政局 (hn-mzj, the demo officer's), one of 发改委 (hn-fgw); jobs and records inserted directly."""
    made = {}
    with container.unit_of_work() as session:
        service = HarvestSourceService(container, session, Actor.system("test"))
        for name, department in (("api-mzj", "hn-mzj"), ("api-mzj-2", "hn-mzj"), ("api-fgw", "hn-fgw")):
            source = service.create({"name": name, "type": "ckan", "url": "https://data.example.gov.cn",
                                     "department": department, "title": f"{name} 门户",
                                     "config": {"auth_header": "env:API_MZJ_TOKEN", "rows": 50},
                                     "defaults": {"classification_code": "307"}})
            made[name] = source.id
        start = datetime(2026, 11, 1, 8, tzinfo=UTC)
        jobs = []
        for number in range(3):
            job = HarvestJob(source_id=made["api-mzj"], status="done_with_errors" if number == 2 else "done",
                             started_at=start + timedelta(days=number), finished_at=start + timedelta(days=number, minutes=5),
                             heartbeat_at=start, settings_hash="", total=3, counts={"created": 2, "error": 1},
                             errors=[{"message": {"zh_CN": "第 2 页读取失败。", "en": "Page 2 could not be read."},
                                      "url": "https://data.example.gov.cn/api/3/action/package_search?start=100",
                                      "hint": {"zh_CN": "下次运行时会重试。", "en": "The next run tries again."}}],
                             client="test")
            session.add(job)
            jobs.append(job)
        session.flush()
        last = jobs[-1]
        for index in range(2):
            session.add(HarvestRecord(job_id=last.id, remote_id=f"p{index}", url=f"https://data.example.gov.cn/dataset/p{index}",
                                      status="created", message={}, hint={}, fields={}))
        session.add(HarvestRecord(job_id=last.id, remote_id="p9", url="https://data.example.gov.cn/dataset/p9",
                                  status="error", message={"zh_CN": "记录无效。", "en": "The record is not valid."},
                                  hint={"zh_CN": "请在源端更正该记录。", "en": "Correct the record at its source."},
                                  fields={"title": {"zh_CN": ["信息资源名称：必填项。"], "en": ["Title: this field is required."]}}))
        made["job"] = last.id
    return made


def test_anonymous_callers_get_401(client, harvested):
    for path in ("/api/v1/harvest/sources", "/api/v1/harvest/sources/api-mzj", f"/api/v1/harvest/jobs/{harvested['job']}"):
        response = client.get(path)
        assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"


def test_sources_follow_the_portal_visibility_and_hide_the_credential(client, auth, harvested):
    manager = client.get("/api/v1/harvest/sources?size=100", headers=auth("manager")).get_json()
    names = {s["name"] for s in manager["items"]}
    assert {"api-mzj", "api-mzj-2", "api-fgw"} <= names
    officer = client.get("/api/v1/harvest/sources?size=100", headers=auth("officer")).get_json()
    assert {"api-mzj", "api-mzj-2"} <= {s["name"] for s in officer["items"]} and "api-fgw" not in {
        s["name"] for s in officer["items"]}
    source = client.get("/api/v1/harvest/sources/api-mzj", headers=auth("officer")).get_json()
    assert source["credential"] == "API_MZJ_TOKEN" and "auth_header" not in source["config"]
    assert source["config"]["rows"] == 50 and source["department"]["key"] == "hn-mzj"
    assert source["last_job"]["id"] == harvested["job"] and source["last_job"]["status"] == "done_with_errors"
    assert source["jobs_url"].endswith("/api/v1/harvest/sources/api-mzj/jobs")
    hidden = client.get("/api/v1/harvest/sources/api-fgw", headers=auth("officer"))
    assert hidden.status_code == 404 and error_of(hidden)["code"] == "not_found"
    by_id = client.get(f"/api/v1/harvest/sources/{harvested['api-mzj']}", headers=auth("auditor"))
    assert by_id.status_code == 200 and by_id.get_json()["name"] == "api-mzj"
    for name in ("99999999999999999999999", "²", "no-such-source"):
        assert client.get(f"/api/v1/harvest/sources/{name}", headers=auth("manager")).status_code == 404


def test_pages_with_links(client, auth, harvested):
    response = client.get("/api/v1/harvest/sources/api-mzj/jobs?size=2", headers=auth("reviewer"))
    body = response.get_json()
    assert response.status_code == 200 and (body["total"], body["pages"], body["page"]) == (3, 2, 1)
    assert [j["id"] for j in body["items"]][0] == harvested["job"]  # newest first
    assert 'rel="next"' in response.headers["Link"] and "page=2" in body["links"]["next"]
    second = client.get(body["links"]["next"], headers=auth("reviewer")).get_json()
    assert len(second["items"]) == 1 and "next" not in second["links"]
    unknown = client.get("/api/v1/harvest/sources?colour=red", headers=auth("manager"))
    assert unknown.status_code == 422 and set(error_of(unknown)["fields"]) == {"colour"}
    too_big = client.get("/api/v1/harvest/sources?size=1000", headers=auth("manager"))
    assert too_big.status_code == 422 and set(error_of(too_big)["fields"]) == {"size"}


def test_a_job_and_its_records_in_the_callers_language(client, auth, harvested):
    job_url = f"/api/v1/harvest/jobs/{harvested['job']}"
    en = client.get(job_url, headers=auth("officer", **{"Accept-Language": "en"})).get_json()
    zh = client.get(job_url, headers=auth("officer")).get_json()
    assert en["status_label"] == "done with errors" and zh["status_label"] == "完成但有错误"
    assert en["errors"][0] == {"message": "Page 2 could not be read.",
                               "url": "https://data.example.gov.cn/api/3/action/package_search?start=100",
                               "hint": "The next run tries again."}
    assert zh["errors"][0]["message"] == "第 2 页读取失败。" and en["source"] == "api-mzj"
    records = client.get(en["records_url"], headers=auth("officer", **{"Accept-Language": "en"})).get_json()
    assert records["total"] == 3 and {r["status"] for r in records["items"]} == {"created", "error"}
    errors = client.get(f"{job_url}/records?status=error", headers=auth("officer")).get_json()
    [record] = errors["items"]
    assert record["url"] == "https://data.example.gov.cn/dataset/p9" and record["hint"] == "请在源端更正该记录。"
    assert record["fields"] == {"title": ["信息资源名称：必填项。"]} and record["status_label"] == "错误"
    bad = client.get(f"{job_url}/records?status=unchanged", headers=auth("officer"))
    assert bad.status_code == 422 and "status" in error_of(bad)["fields"]
    assert client.get(job_url, headers=auth("officer")).status_code == 200
    other = client.get("/api/v1/harvest/jobs/2147483647", headers=auth("manager"))
    assert other.status_code == 404 and error_of(other)["code"] == "not_found"


def test_another_departments_jobs_are_not_found(client, auth, harvested):
    assert client.get("/api/v1/harvest/sources/api-fgw/jobs", headers=auth("officer")).status_code == 404
    assert client.get("/api/v1/harvest/sources/api-fgw/jobs", headers=auth("manager")).status_code == 200


def test_the_harvest_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/harvest/sources", "/harvest/sources/{name}", "/harvest/sources/{name}/jobs", "/harvest/jobs/{job_id}",
                 "/harvest/jobs/{job_id}/records"):
        assert "get" in spec["paths"][path], path
    schemas = spec["components"]["schemas"]
    assert {"HarvestSourcePage", "HarvestSourceInfo", "HarvestJobInfo", "HarvestRecordPage"} <= set(schemas)
    assert "credential" in schemas["HarvestSourceInfo"]["properties"]
