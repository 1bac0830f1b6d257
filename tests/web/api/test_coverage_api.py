"""``/api/v1/coverage`` and ``/api/v1/quality``: the CLI's numbers, the API's conventions (auth, errors, pages)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from catalog.actor import Actor
from catalog.coverage.quality_service import QualityService
from catalog.coverage.service import CoverageService
from catalog.services.department import DepartmentService
from cli import main
from tests.web.api.conftest import error_of

AS_OF = date(2026, 1, 31)


def _report(container, **kwargs):
    with container.unit_of_work() as session:
        return CoverageService(container, session, Actor.system("test")).report(AS_OF, **kwargs)


def test_coverage_is_what_the_cli_prints(client, auth, container):
    response = client.get(f"/api/v1/coverage?as_of={AS_OF}", headers=auth("auditor"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    env = {"MULU_DATABASE_URL": container.settings.database_url,
           "MULU_INSTANCE_PATH": str(container.settings.instance_path)}
    printed = CliRunner().invoke(main, ["coverage", "report", "--format", "json", "--as-of", str(AS_OF)], env=env,
                                 catch_exceptions=False)
    assert printed.exit_code == 0, printed.output
    assert body == json.loads(printed.stdout)
    assert body == json.loads(json.dumps(_report(container).to_dict("zh_CN"), ensure_ascii=False))
    assert {"city", "divisions", "departments", "trend", "period"} <= set(body)


def test_by_trend_and_missing_select_parts(client, auth):
    by_division = client.get(f"/api/v1/coverage?as_of={AS_OF}&by=division&trend=false",
                             headers=auth("manager")).get_json()
    assert "departments" not in by_division and "trend" not in by_division and by_division["divisions"]
    by_department = client.get(f"/api/v1/coverage?as_of={AS_OF}&by=department&missing=false&period=quarter",
                               headers=auth("admin")).get_json()
    assert "divisions" not in by_department and all("missing" not in d for d in by_department["departments"])
    assert by_department["period"] == "quarter" and by_department["trend"][-1]["period"].endswith("Q1")


def test_a_date_before_any_data_gives_zeros(client, auth):
    body = client.get("/api/v1/coverage?as_of=2000-01-01&trend=false", headers=auth("auditor")).get_json()
    city = body["city"]
    assert city["expected"] > 0 and (city["cataloged"], city["published"], city["ratio_published"]) == (0, 0, 0.0)


def test_anonymous_callers_get_401_and_other_departments_403(client, auth):
    anonymous = client.get("/api/v1/coverage")
    assert anonymous.status_code == 401 and error_of(anonymous)["code"] == "unauthorized"
    assert client.get("/api/v1/quality").status_code == 401
    for url in ("/api/v1/coverage", "/api/v1/quality", "/api/v1/coverage?department=hn-rsj"):
        denied = client.get(url, headers=auth("officer"))
        assert denied.status_code == 403 and error_of(denied)["code"] == "permission_denied", url


def test_an_officer_reads_their_own_department(client, auth, container):
    body = client.get(f"/api/v1/coverage?department=hn-mzj&as_of={AS_OF}", headers=auth("officer")).get_json()
    assert [d["key"] for d in body["departments"]] == ["hn-mzj"]
    with container.unit_of_work() as session:
        mzj = DepartmentService(container, session, Actor.system("test")).get_by_key("hn-mzj").id
    assert body["departments"][0]["published"] == _report(container, department_id=mzj).departments[0].figures.published
    quality = client.get("/api/v1/quality?department=hn-mzj", headers=auth("reviewer"))
    assert quality.status_code == 200 and quality.get_json()["department"]["key"] == "hn-mzj"


@pytest.mark.parametrize(("query", "field"), [("as_of=2026-13-01", "as_of"), ("as_of=1800-01-01", "as_of"),
                                              ("by=county", "by"), ("period=week", "period"), ("window=0", "window"),
                                              ("department=no-such", "department"), ("colour=red", "colour")])
def test_bad_parameters_are_422_naming_them(client, auth, query, field):
    response = client.get(f"/api/v1/coverage?{query}", headers=auth("auditor"))
    assert response.status_code == 422 and field in error_of(response)["fields"]


def test_quality_per_department_is_the_services(client, auth, container):
    body = client.get("/api/v1/quality", headers=auth("auditor")).get_json()
    with container.unit_of_work() as session:
        report = QualityService(container, session, Actor.system("test")).report(today=date.fromisoformat(body["date"]))
    assert body == json.loads(json.dumps(report.to_dict(resources=False)))
    assert "items" not in body and body["weights"]["links"] == 10


def test_quality_per_resource_is_paged(client, auth, container):
    first = client.get("/api/v1/quality?department=hn-mzj&size=2", headers=auth("manager"))
    body = first.get_json()
    assert body["total"] > 2 and len(body["items"]) == 2 and body["page"] == 1 and body["pages"] == -(-body["total"] // 2)
    assert 'rel="next"' in first.headers["Link"] and "page=2" in body["links"]["next"]
    second = client.get("/api/v1/quality?department=hn-mzj&size=2&page=2", headers=auth("manager")).get_json()
    assert not {r["id"] for r in body["items"]} & {r["id"] for r in second["items"]}
    item = body["items"][0]
    assert set(item["components"]) == set(body["weights"]) and 0 <= item["score"] <= 100
    assert item["components"]["links"]["state"] in ("not_measured", "not_applicable", "measured")
    unknown = client.get("/api/v1/quality?department=no-such", headers=auth("manager"))
    assert unknown.status_code == 422 and "department" in error_of(unknown)["fields"]


def test_the_openapi_document_describes_both(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["paths"]["/coverage"]["get"]["tags"] == ["coverage"]
    assert {"CoverageReport", "CoverageLine", "QualityReport"} <= set(spec["components"]["schemas"])
    names = {p["name"] for p in spec["paths"]["/coverage"]["get"]["parameters"]}
    assert {"as_of", "by", "period", "window", "department", "trend", "missing"} == names
