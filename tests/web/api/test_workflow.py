"""The workflow through the API, the history it leaves, and the whole story told with HTTP only.

The end-to-end test does what a developer reading /api/docs does: signs in to the portal, creates
a token on the API token page, catalogs the documented example resource, submits it, and has a
manager (with a token of their own) register and publish it.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from tests.web.api.conftest import error_of
from tests.web.conftest import PASSWORD, csrf_token


def _portal_token(app, username: str) -> str:
    """Sign in with the login form and create a token on the API token page, as a person would."""
    browser = app.test_client()
    login = browser.post("/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": csrf_token(browser, "/login")})
    assert login.status_code == 302
    page = browser.post("/account/tokens", data={"name": f"{username} script", "lifetime": "30",
                                                 "csrf_token": csrf_token(browser, "/account/tokens")})
    assert page.status_code == 201
    found = re.search(r'id="new-token" readonly value="(mulu_[^"]+)"', page.get_data(as_text=True))
    assert found, "the new token is shown on the page"
    return found.group(1)


def test_create_token_then_catalog_submit_register_and_publish_over_http(app):
    http = app.test_client()
    officer = {"Authorization": f"Bearer {_portal_token(app, 'officer')}"}
    manager = {"Authorization": f"Bearer {_portal_token(app, 'manager')}"}
    assert http.get("/api/v1/me", headers=officer).get_json()["role"] == "officer"

    spec = http.get("/api/v1/openapi.json").get_json()
    example = spec["paths"]["/resources"]["post"]["requestBody"]["content"]["application/json"]["example"]
    created = http.post("/api/v1/resources", json=example, headers=officer)
    assert created.status_code == 201, created.get_data(as_text=True)
    url = created.headers["Location"]

    actions = http.get(f"{url}/transitions", headers=officer).get_json()
    assert actions["status"] == "draft" and [a["action"] for a in actions["actions"]] == ["submit"]
    submitted = http.post(f"{url}/transitions", json={"action": "submit", "comment": "请审核"}, headers=officer)
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "pending_registration"

    assert http.post(f"{url}/transitions", json={"action": "register"}, headers=officer).status_code == 403
    registered = http.post(f"{url}/transitions", json={"action": "register"},
                           headers={**manager, "If-Match": submitted.headers["ETag"]})
    assert registered.status_code == 200
    code = registered.get_json()["code"]
    assert registered.get_json()["status"] == "registered" and re.fullmatch(r"307008\d*/\d{6}", code)

    for action, headers in (("request_publication", officer), ("publish", manager)):
        assert http.post(f"{url}/transitions", json={"action": action}, headers=headers).status_code == 200
    public = http.get(f"/api/v1/resources/by-code/{code}")  # published and open? else only staff see it
    staff = http.get(f"/api/v1/resources/by-code/{code}", headers=manager)
    assert staff.get_json()["status"] == "published"
    assert public.status_code == (200 if example["open"]["is_open"] else 404)

    history = http.get(f"{url}/history", headers=officer).get_json()["items"]
    assert [e["action"] for e in history] == ["submit", "register", "request_publication", "publish"]
    assert history[0]["comment"] == "请审核" and history[1]["actor"] == "manager"


def test_the_commands_on_the_docs_page_work(app, client, auth):
    """Run the docs page's getting-started commands (their bodies and paths) against the app."""
    page = html.unescape(client.get("/api/docs").get_data(as_text=True))
    commands = re.findall(r"<pre class=\"api-code\"><code>(curl .*?)</code></pre>", page, flags=re.S)
    create = next(c for c in commands if "-X POST" in c and "/resources \\" in c)
    body = json.loads(re.search(r"-d '(.*)'", create, flags=re.S).group(1))
    created = client.post("/api/v1/resources", json=body, headers=auth("officer"))
    assert created.status_code == 201, created.get_data(as_text=True)
    url = f"/api/v1/resources/{created.get_json()['id']}/transitions"
    for username, needle in (("officer", '"submit"'), ("manager", '"register"')):
        command = next(c for c in commands if needle in c)
        action = json.loads(re.search(r"-d '(.*)'", command).group(1))
        answer = client.post(url, json=action, headers=auth(username))
        assert answer.status_code == 200, answer.get_data(as_text=True)
    assert client.get(url.rsplit("/", 1)[0], headers=auth("officer")).get_json()["code"]


def test_transition_input_is_checked(client, auth, create):
    draft = create("officer")
    url = f"/api/v1/resources/{draft['id']}/transitions"
    unknown = client.post(url, json={"action": "fly"}, headers=auth("officer"))
    assert unknown.status_code == 422 and "action" in error_of(unknown)["fields"]
    extra = client.post(url, json={"action": "submit", "urgent": True}, headers=auth("officer"))
    assert extra.status_code == 422 and "urgent" in error_of(extra)["fields"]
    stale = client.post(url, json={"action": "submit"}, headers=auth("officer", **{"If-Match": '"99"'}))
    assert stale.status_code == 412
    assert client.post(url, json={"action": "submit"}).status_code == 401


def test_submitting_an_incomplete_resource_names_every_field(client, auth, create):
    draft = create("officer", abstract=None, keywords=[], theme=None)
    response = client.post(f"/api/v1/resources/{draft['id']}/transitions", json={"action": "submit"},
                           headers=auth("officer"))
    assert response.status_code == 422
    assert {"abstract", "keywords", "theme"} <= set(error_of(response)["fields"])
    assert client.get(f"/api/v1/resources/{draft['id']}", headers=auth("officer")).get_json()["status"] == "draft"


def test_returning_needs_a_comment(client, auth, create):
    draft = create("officer")
    url = f"/api/v1/resources/{draft['id']}/transitions"
    client.post(url, json={"action": "submit"}, headers=auth("officer"))
    silent = client.post(url, json={"action": "return"}, headers=auth("manager"))
    assert silent.status_code == 422 and error_of(silent)["fields"]
    done = client.post(url, json={"action": "return", "comment": "请补充摘要"}, headers=auth("manager"))
    assert done.status_code == 200 and done.get_json()["status"] == "returned"


def test_revisions_and_diffs(client, auth, create):
    draft = create("officer")
    url = f"/api/v1/resources/{draft['id']}"
    client.patch(url, json={"title": "改过的名称"}, headers=auth("officer", **{"If-Match": "*"}))
    revisions = client.get(f"{url}/revisions", headers=auth("officer")).get_json()["items"]
    assert [(r["number"], r["action"]) for r in revisions] == [(1, "create"), (2, "update")]
    second = client.get(revisions[1]["url"], headers=auth("officer")).get_json()
    assert second["snapshot"]["title"] == "改过的名称"
    diff = client.get(f"{url}/diff?from=1&to=2", headers=auth("officer", **{"Accept-Language": "en"})).get_json()
    assert diff["from"] == 1 and any(c["path"] == "title" and c["new"] == "改过的名称" for c in diff["changes"])
    assert client.get(f"{url}/revisions/9", headers=auth("officer")).status_code == 404
    assert client.get(f"{url}/diff?from=1", headers=auth("officer")).status_code == 422
    assert client.get(f"{url}/diff?from=1&to=9", headers=auth("officer")).status_code == 404


@pytest.mark.parametrize(("username", "status"), [(None, 401), ("officer", 200), ("auditor", 200)])
def test_who_may_read_history(client, auth, container, username, status):
    from tests.web.conftest import resources

    public = next(r for r in resources(container, status="published") if r.open_is_open
                  and r.department.key == "hn-mzj")
    for tail in ("revisions", "history"):
        response = client.get(f"/api/v1/resources/{public.id}/{tail}", headers=auth(username))
        assert response.status_code == status, tail


def test_another_department_may_not_read_history(client, auth, container):
    from tests.web.conftest import resources

    foreign = next(r for r in resources(container, status="published") if r.department.key != "hn-mzj"
                   and r.share_type != "not_shared")
    response = client.get(f"/api/v1/resources/{foreign.id}/revisions", headers=auth("officer"))
    assert response.status_code == 403 and error_of(response)["code"] == "permission_denied"
