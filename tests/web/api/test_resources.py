"""Resources through the API: search with facets and pages, reading with ETags, visibility, create, PUT, PATCH, delete."""

from __future__ import annotations

import pytest

from catalog.search.documents import FACETS
from tests.web.api.conftest import DRAFT, error_of
from tests.web.conftest import resources


def _published_open(container):
    return [r for r in resources(container, status="published") if r.open_is_open]


def _not_public(container):
    return [r for r in resources(container, status="published") if not r.open_is_open]


# -- search ----------------------------------------------------------------------------------------


def test_search_pages_with_links_and_a_link_header(client, container):
    total = len(_published_open(container))
    first = client.get("/api/v1/resources?size=5&sort=title")
    body = first.get_json()
    assert first.status_code == 200 and body["total"] == total and body["size"] == 5 and body["page"] == 1
    assert body["pages"] == -(-total // 5) and len(body["items"]) == 5
    assert "prev" not in body["links"] and body["links"]["next"].endswith("page=2")
    assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' not in first.headers["Link"]
    second = client.get(body["links"]["next"]).get_json()
    assert second["page"] == 2 and second["links"]["prev"].endswith("page=1") and "sort=title" in second["links"]["prev"]
    assert not {h["id"] for h in body["items"]} & {h["id"] for h in second["items"]}
    last = client.get(body["links"]["last"]).get_json()
    assert "next" not in last["links"]
    hit = body["items"][0]
    assert set(hit) == {"id", "title", "code", "status", "department", "updated_at", "score", "highlights", "url"}
    assert hit["url"].endswith(f"/api/v1/resources/{hit['id']}")


def test_search_text_facets_and_filters_as_in_the_portal(client):
    body = client.get("/api/v1/resources?facets=department,theme&facets=classification&size=0").get_json()
    assert set(body["facets"]) == {"department", "theme", "classification"} and body["items"] == []
    department = max((v for v in body["facets"]["department"] if v["parent"]), key=lambda v: v["count"])
    assert department["label"] and department["labels"]["zh"]
    filtered = client.get(f"/api/v1/resources?department={department['value']}&facets=department").get_json()
    assert filtered["total"] == department["count"]
    assert any(v["selected"] for v in filtered["facets"]["department"])
    word = filtered["items"][0]["title"][:2]
    found = client.get("/api/v1/resources", query_string={"q": word, "highlight": "true"}).get_json()
    assert found["total"] >= 1 and "<mark>" in found["items"][0]["highlights"].get("title", "")


def test_search_accepts_every_facet_name_of_the_contract(client):
    for name in FACETS:
        assert client.get(f"/api/v1/resources?{name}=x&facets={name}&size=0").status_code == 200, name


def test_search_shows_each_caller_what_the_portal_shows(client, auth, container):
    public = client.get("/api/v1/resources?size=0").get_json()["total"]
    staff = client.get("/api/v1/resources?size=0", headers=auth("manager")).get_json()["total"]
    assert public == len(_published_open(container)) < staff == len(resources(container))
    drafts = client.get("/api/v1/resources?status=draft&size=0", headers=auth("manager")).get_json()["total"]
    assert drafts == len(resources(container, status="draft"))


# -- reading ---------------------------------------------------------------------------------------


def test_read_by_id_and_by_code_with_an_etag(client, container):
    resource = next(r for r in _published_open(container) if r.code)
    by_id = client.get(f"/api/v1/resources/{resource.id}")
    assert by_id.status_code == 200 and by_id.headers["ETag"] == f'"{resource.version}"'
    data = by_id.get_json()
    assert data["id"] == resource.id and data["code"] == resource.code and data["version"] == resource.version
    assert data["created_at"].endswith("+00:00") and data["department"]["id"] == resource.department_id
    by_code = client.get(f"/api/v1/resources/by-code/{resource.code}")
    assert by_code.status_code == 200 and by_code.get_json() == data
    by_metadata_id = client.get(f"/api/v1/resources/by-code/{resource.metadata_id}")
    assert by_metadata_id.get_json()["id"] == resource.id
    unchanged = client.get(f"/api/v1/resources/{resource.id}", headers={"If-None-Match": by_id.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == by_id.headers["ETag"]


def test_what_is_not_public_is_a_404_for_anonymous_callers(client, auth, container):
    hidden = _not_public(container)[0]
    assert client.get(f"/api/v1/resources/{hidden.id}").status_code == 404
    if hidden.code:
        assert client.get(f"/api/v1/resources/by-code/{hidden.code}").status_code == 404
    assert client.get(f"/api/v1/resources/{hidden.id}", headers=auth("auditor")).status_code == 200


@pytest.mark.parametrize("username", [None, "officer", "reviewer", "manager", "auditor", "admin"])
def test_drafts_are_read_by_their_department_and_staff_only(client, auth, create, username):
    draft = create("officer")
    expected = 200 if username in ("officer", "reviewer", "manager", "auditor", "admin") else 404
    assert client.get(f"/api/v1/resources/{draft['id']}", headers=auth(username)).status_code == expected


def test_another_departments_draft_is_hidden_from_an_officer(client, auth, container):
    foreign = next(r for r in resources(container, status="draft") if r.department.key != "hn-mzj")
    assert client.get(f"/api/v1/resources/{foreign.id}", headers=auth("officer")).status_code == 404


# -- creating --------------------------------------------------------------------------------------


def test_an_officer_creates_a_draft_for_their_department(client, auth):
    response = client.post("/api/v1/resources", json=DRAFT, headers=auth("officer"))
    assert response.status_code == 201
    data = response.get_json()
    assert data["status"] == "draft" and data["code"] is None and data["department"]["name"] == "淮南市民政局"
    assert response.headers["Location"].endswith(f"/api/v1/resources/{data['id']}")
    assert response.headers["ETag"] == f'"{data["version"]}"'
    assert data["classification_code"] == "307008"  # 类+项 + the provider's 目


def test_without_department_the_callers_own_is_the_provider(client, auth):
    body = {k: v for k, v in DRAFT.items() if k != "department"}
    response = client.post("/api/v1/resources", json=body, headers=auth("officer"))
    assert response.status_code == 201 and response.get_json()["department"]["name"] == "淮南市民政局"


@pytest.mark.parametrize(("username", "status"), [(None, 401), ("reviewer", 403), ("manager", 403),
                                                  ("auditor", 403), ("admin", 201)])
def test_who_may_create(client, auth, username, status):
    response = client.post("/api/v1/resources", json=DRAFT, headers=auth(username))
    assert response.status_code == status
    if status >= 400:
        assert error_of(response)["code"] == ("unauthorized" if status == 401 else "permission_denied")


def test_an_officer_may_not_create_for_another_department(client, auth):
    response = client.post("/api/v1/resources", json={**DRAFT, "department": "hn-jyj"}, headers=auth("officer"))
    assert response.status_code == 403 and error_of(response)["code"] == "permission_denied"


def test_nothing_is_half_written_when_creation_fails(client, auth, container):
    before = len(resources(container))
    client.post("/api/v1/resources", json={**DRAFT, "classification_code": "999"}, headers=auth("officer"))
    client.post("/api/v1/resources", json={**DRAFT, "department": "hn-jyj"}, headers=auth("officer"))
    assert len(resources(container)) == before


# -- updating with ETags ---------------------------------------------------------------------------


def test_put_needs_if_match_and_refuses_a_stale_one(client, auth, create):
    draft = create("officer")
    url = f"/api/v1/resources/{draft['id']}"
    missing = client.put(url, json={**DRAFT, "title": "新名称"}, headers=auth("officer"))
    assert missing.status_code == 428 and error_of(missing)["code"] == "precondition_required"
    stale = client.put(url, json={**DRAFT, "title": "新名称"}, headers=auth("officer", **{"If-Match": '"999"'}))
    assert stale.status_code == 412 and error_of(stale)["code"] == "precondition_failed"
    assert stale.headers["ETag"] == f'"{draft["version"]}"'
    done = client.put(url, json={**DRAFT, "title": "新名称"},
                      headers=auth("officer", **{"If-Match": f'"{draft["version"]}"'}))
    assert done.status_code == 200 and done.get_json()["title"] == "新名称"
    assert done.headers["ETag"] == f'"{draft["version"] + 1}"'
    again = client.put(url, json={**DRAFT, "title": "再改"}, headers=auth("officer", **{"If-Match": f'"{draft["version"]}"'}))
    assert again.status_code == 412  # the old ETag is stale now
    assert client.get(url, headers=auth("officer")).get_json()["title"] == "新名称"


def test_put_replaces_the_whole_resource(client, auth, create):
    draft = create("officer")
    body = {k: v for k, v in DRAFT.items() if k not in ("keywords", "items", "source_system")}
    response = client.put(f"/api/v1/resources/{draft['id']}", json=body,
                          headers=auth("officer", **{"If-Match": "*"}))
    data = response.get_json()
    assert response.status_code == 200 and data["keywords"] == [] and data["items"] == []
    assert data["source_system"] is None


def test_patch_merges_objects_and_null_clears(client, auth, create):
    draft = create("officer")
    response = client.patch(f"/api/v1/resources/{draft['id']}",
                            json={"share": {"condition": "仅限核查"}, "keywords": ["低保"], "source_system": None},
                            headers=auth("officer", **{"If-Match": f'"{draft["version"]}"'}))
    data = response.get_json()
    assert response.status_code == 200, data
    assert data["share"]["condition"] == "仅限核查" and data["share"]["type"] == draft["share"]["type"]
    assert data["keywords"] == ["低保"] and data["source_system"] is None
    assert data["title"] == draft["title"] and len(data["items"]) == len(draft["items"])
    merge_type = client.patch(f"/api/v1/resources/{draft['id']}", data='{"title": "合并"}',
                              content_type="application/merge-patch+json",
                              headers=auth("officer", **{"If-Match": f'"{data["version"]}"'}))
    assert merge_type.status_code == 200 and merge_type.get_json()["title"] == "合并"


def test_patch_without_if_match_is_428_and_bad_values_are_422(client, auth, create):
    draft = create("officer")
    url = f"/api/v1/resources/{draft['id']}"
    assert client.patch(url, json={"title": "x"}, headers=auth("officer")).status_code == 428
    bad = client.patch(url, json={"update_cycle": "every full moon"}, headers=auth("officer", **{"If-Match": "*"}))
    assert bad.status_code == 422 and "update_cycle" in error_of(bad)["fields"]


@pytest.mark.parametrize(("username", "status"), [(None, 401), ("reviewer", 403), ("manager", 403)])
def test_who_may_update(client, auth, create, username, status):
    draft = create("officer")
    response = client.patch(f"/api/v1/resources/{draft['id']}", json={"title": "x"},
                            headers=auth(username, **{"If-Match": "*"}))
    assert response.status_code == status


def test_editing_a_published_resource_proposes_a_change(client, auth, container):
    published = next(r for r in resources(container, status="published") if r.department.key == "hn-mzj")
    url = f"/api/v1/resources/{published.id}"
    current = client.get(url, headers=auth("officer"))
    response = client.patch(url, json={"abstract": "通过接口提出的变更。"},
                            headers=auth("officer", **{"If-Match": current.headers["ETag"]}))
    assert response.status_code == 202, response.get_data(as_text=True)
    change = response.get_json()
    assert change["status"] == "pending" and change["data"]["abstract"] == "通过接口提出的变更。"
    assert client.get(url, headers=auth("officer")).get_json()["abstract"] == current.get_json()["abstract"]
    assert client.get(f"{url}/change", headers=auth("manager")).get_json()["id"] == change["id"]
    assert client.get(f"{url}/change").status_code == 401
    decided = client.post(f"{url}/change", json={"decision": "approve"}, headers=auth("manager"))
    assert decided.status_code == 200 and decided.get_json()["abstract"] == "通过接口提出的变更。"
    assert client.get(f"{url}/change", headers=auth("manager")).status_code == 404


# -- deleting --------------------------------------------------------------------------------------


def test_delete_a_draft(client, auth, create):
    draft = create("officer")
    url = f"/api/v1/resources/{draft['id']}"
    assert client.delete(url, headers=auth("reviewer")).status_code == 403
    assert client.delete(url, headers=auth("officer", **{"If-Match": '"999"'})).status_code == 412
    assert client.delete(url, headers=auth("officer")).status_code == 204
    assert client.get(url, headers=auth("officer")).status_code == 404


def test_a_submitted_resource_cannot_be_deleted(client, auth, create):
    draft = create("officer")
    url = f"/api/v1/resources/{draft['id']}"
    assert client.post(f"{url}/transitions", json={"action": "submit"}, headers=auth("officer")).status_code == 200
    response = client.delete(url, headers=auth("officer"))
    assert response.status_code == 409 and error_of(response)["code"] == "workflow_error"
