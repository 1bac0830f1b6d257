"""Every failure under /api has the one error shape, the right status, and a message in the caller's language."""

from __future__ import annotations

import pytest

from tests.web.api.conftest import DRAFT, error_of


def test_unknown_address_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert error_of(client.get("/api/nothing-here"))["code"] == "not_found"


def test_the_portal_keeps_its_html_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_wrong_method_is_a_json_405_with_allow(client):
    response = client.delete("/api/v1/departments")
    assert response.status_code == 405
    error = error_of(response)
    assert error["code"] == "method_not_allowed" and "DELETE" in error["message"]
    assert "GET" in response.headers["Allow"]


def test_messages_follow_accept_language(client):
    zh = error_of(client.get("/api/v1/no-such-thing"))["message"]
    en = error_of(client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en-US,en;q=0.9"}))["message"]
    assert en == "There is no such resource or address."
    assert zh != en and any("\u4e00" <= c <= "\u9fff" for c in zh)  # Chinese by default
    domain_en = error_of(client.get("/api/v1/resources/999999", headers={"Accept-Language": "en"}))["message"]
    assert domain_en == "Resource 999999 was not found."
    assert error_of(client.get("/api/v1/resources/999999"))["message"] == "未找到信息资源 999999。"


def test_malformed_json_is_a_400(client, auth):
    response = client.post("/api/v1/resources", data='{"title": "x",', content_type="application/json",
                           headers=auth("officer"))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "malformed_json" and "1" in error["message"]


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "42"])
def test_a_body_that_is_not_an_object_is_a_422(client, auth, body):
    response = client.post("/api/v1/resources", data=body, content_type="application/json", headers=auth("officer"))
    assert response.status_code == 422 and "_body" in error_of(response)["fields"]


@pytest.mark.parametrize("body", ['{"record_count": NaN}', '{"x": Infinity}', "\xff\xfe"])
def test_non_json_constants_and_bad_encodings_are_400(client, auth, body):
    response = client.post("/api/v1/resources", data=body.encode("latin-1"), content_type="application/json",
                           headers=auth("officer"))
    assert response.status_code == 400 and error_of(response)["code"] == "malformed_json"


def test_nul_characters_are_refused_naming_the_field(client, auth):
    response = client.post("/api/v1/resources", json={**DRAFT, "items": [{"name": "a\x00b", "data_type": "C"}]},
                           headers=auth("officer"))
    assert response.status_code == 422 and list(error_of(response)["fields"]) == ["items.0.name"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_is_a_415(client, auth, content_type):
    response = client.post("/api/v1/resources", data="title=x", content_type=content_type, headers=auth("officer"))
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported_media_type"


def test_an_oversized_body_is_a_413(client, auth):
    huge = '{"title": "' + "x" * (1024 * 1024 + 10) + '"}'
    response = client.post("/api/v1/resources", data=huge, content_type="application/json", headers=auth("officer"))
    assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"


def test_unknown_fields_are_refused_by_name(client, auth):
    response = client.post("/api/v1/resources", json={**DRAFT, "colour": "red", "share": {"type": "无条件共享",
                                                                                           "mood": "x"}},
                           headers=auth("officer"))
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error" and {"colour", "share.mood"} <= set(error["fields"])
    assert "unknown field" in error_of(client.post("/api/v1/resources", json={**DRAFT, "colour": "red"},
                                                   headers=auth("officer", **{"Accept-Language": "en"})))[
        "fields"]["colour"][0]


def test_wrong_types_are_422_with_field_messages(client, auth):
    response = client.post("/api/v1/resources", json={**DRAFT, "record_count": "many", "keywords": {"a": 1}},
                           headers=auth("officer", **{"Accept-Language": "en"}))
    fields = error_of(response)["fields"]
    assert response.status_code == 422 and {"record_count", "keywords"} <= set(fields)
    assert "whole number" in fields["record_count"][0]


def test_validation_names_missing_fields_with_profile_labels(client, auth):
    response = client.post("/api/v1/resources", json={"abstract": "no title"}, headers=auth("officer"))
    fields = error_of(response)["fields"]
    assert response.status_code == 422 and "title" in fields and "信息资源名称" in fields["title"][0]


def test_unknown_query_parameters_are_refused(client):
    response = client.get("/api/v1/resources?departmnet=hn-mzj")
    assert response.status_code == 422 and list(error_of(response)["fields"]) == ["departmnet"]
    assert client.get("/api/v1/resources?lang=en").status_code == 200  # the language switch is always allowed


@pytest.mark.parametrize("query", ["page=0", "size=101", "size=-1", "page=abc", "sort=random", "facets=colour",
                                   "q=" + "x" * 201, "highlight=perhaps"])
def test_bad_search_parameters_are_422(client, query):
    response = client.get(f"/api/v1/resources?{query}")
    assert response.status_code == 422, response.get_data(as_text=True)
    assert error_of(response)["fields"]


def test_parameter_messages_are_translated(client):
    zh = error_of(client.get("/api/v1/resources?size=101&sort=random"))["fields"]
    assert zh == {"size": ["应在 0 至 100 之间。"], "sort": ["应为以下之一：relevance, updated, title。"]}
    en = error_of(client.get("/api/v1/resources?size=101", headers={"Accept-Language": "en"}))["fields"]
    assert en == {"size": ["Must be between 0 and 100."]}


def test_a_nul_in_a_query_parameter_is_refused(client):
    response = client.get("/api/v1/resources?q=a%00b")
    assert response.status_code in (400, 422)
    error_of(response)


def test_a_server_error_is_a_json_500_and_nothing_leaks(app, client, monkeypatch):
    from web.api import profile

    def boom():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(profile.deps, "container", boom)
    response = client.get("/api/v1/profile")
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "server_error" and "secret" not in response.get_data(as_text=True)


def test_domain_conflicts_are_409(client, auth, create):
    created = create("officer")
    response = client.post(f"/api/v1/resources/{created['id']}/transitions", json={"action": "publish"},
                           headers=auth("manager"))
    assert response.status_code in (403, 409)
    assert error_of(response)["code"] in ("workflow_error", "permission_denied")
    impossible = client.post(f"/api/v1/resources/{created['id']}/transitions", json={"action": "publish"},
                             headers=auth("admin"))
    assert impossible.status_code == 409 and error_of(impossible)["code"] == "workflow_error"
