"""API tokens over HTTP: the portal page, the API endpoints, the token's life, and sessions that need CSRF."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from catalog.models import ApiToken
from tests.web.api.conftest import DRAFT, error_of
from tests.web.conftest import csrf_token, sign_in

_SHOWN = re.compile(r'id="new-token" readonly value="(mulu_[^"]+)"')


def _stored(container, prefix: str) -> ApiToken:
    with container.unit_of_work() as session:
        token = session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).one()
        session.expunge(token)
        return token


def _browser_token(browser, name: str = "script", lifetime: str = "30") -> tuple[str, str]:
    page = browser.post("/account/tokens", data={"name": name, "lifetime": lifetime,
                                                 "csrf_token": csrf_token(browser, "/account/tokens")})
    assert page.status_code == 201
    html = page.get_data(as_text=True)
    return _SHOWN.search(html).group(1), html


# -- the portal page -------------------------------------------------------------------------------


def test_the_token_page_needs_a_signed_in_user(client):
    response = client.get("/account/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_token_is_shown_once_listed_after_and_stored_hashed(app, container, signed_in):
    browser = signed_in("reviewer")
    plaintext, html = _browser_token(browser, "报表脚本")
    assert "仅显示这一次" in html
    prefix = plaintext.split("_")[1]
    listing = browser.get("/account/tokens")
    assert listing.headers["Cache-Control"] == "no-store"
    text = listing.get_data(as_text=True)
    assert "报表脚本" in text and f"mulu_{prefix}_…" in text and plaintext not in text
    stored = _stored(container, prefix)
    assert plaintext not in (stored.token_hash, stored.prefix, stored.name) and len(stored.token_hash) == 64
    assert stored.expires_at is not None
    assert browser.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"}).get_json()["username"] == \
        "reviewer"


def test_the_page_refuses_a_form_without_its_csrf_token_and_an_empty_name(signed_in):
    browser = signed_in("officer")
    assert browser.post("/account/tokens", data={"name": "x", "lifetime": "30"}).status_code == 400
    empty = browser.post("/account/tokens", data={"name": " ", "lifetime": "30",
                                                  "csrf_token": csrf_token(browser, "/account/tokens")})
    assert empty.status_code == 400


def test_revoking_on_the_page_stops_the_token(app, signed_in, container):
    browser = signed_in("officer")
    plaintext, _html = _browser_token(browser, "to revoke", lifetime="")
    token = _stored(container, plaintext.split("_")[1])
    assert token.expires_at is None
    revoked = browser.post(f"/account/tokens/{token.id}/revoke",
                           data={"csrf_token": csrf_token(browser, "/account/tokens")})
    assert revoked.status_code == 302
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 401 and error_of(response)["code"] == "token_revoked"


def test_the_account_menu_links_the_token_page(signed_in):
    assert 'href="/account/tokens"' in signed_in("officer").get("/").get_data(as_text=True)


# -- the API endpoints -----------------------------------------------------------------------------


def test_list_and_revoke_through_the_api(app, client, auth, token_of, container):
    headers = auth("auditor")
    listed = client.get("/api/v1/tokens", headers=headers).get_json()["items"]
    assert listed and all("token" not in item and item["state"] == "active" for item in listed)
    prefix = token_of("auditor").split("_")[1]
    assert any(item["prefix"] == prefix for item in listed)
    # Revoking somebody else's token: as if it did not exist.
    other = _stored(container, token_of("officer").split("_")[1])
    assert client.delete(f"/api/v1/tokens/{other.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/tokens").status_code == 401


def test_a_session_creates_tokens_with_its_csrf_header_and_a_token_cannot(app, auth):
    browser = app.test_client()
    sign_in(browser, "officer")
    body = {"name": "from the browser", "expires_in_days": 7}
    no_header = browser.post("/api/v1/tokens", json=body)
    assert no_header.status_code == 403 and error_of(no_header)["code"] == "csrf_failed"
    header = {"X-CSRFToken": csrf_token(browser, "/account/tokens")}
    created = browser.post("/api/v1/tokens", json=body, headers=header)
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    data = created.get_json()
    assert data["token"].startswith(f"mulu_{data['prefix']}_") and data["state"] == "active"
    expires = datetime.fromisoformat(data["expires_at"])
    assert timedelta(days=6) < expires - datetime.now(UTC) <= timedelta(days=7)
    listed = browser.get("/api/v1/tokens").get_json()["items"]
    assert data["prefix"] in {item["prefix"] for item in listed} and all("token" not in i for i in listed)

    with_token = app.test_client().post("/api/v1/tokens", json=body, headers=auth("officer"))
    assert with_token.status_code == 403 and error_of(with_token)["code"] == "session_required"
    assert app.test_client().post("/api/v1/tokens", json=body).status_code == 401

    both = browser.post("/api/v1/tokens", json={**body, "expires_at": "2099-01-01T00:00:00+00:00"}, headers=header)
    assert both.status_code == 422 and "expires_in_days" in error_of(both)["fields"]
    naive = browser.post("/api/v1/tokens", json={"name": "x", "expires_at": "2030-01-01T00:00:00"}, headers=header)
    assert naive.status_code == 422 and "expires_at" in error_of(naive)["fields"]
    unknown = browser.post("/api/v1/tokens", json={"name": "x", "scope": "all"}, headers=header)
    assert unknown.status_code == 422 and "scope" in error_of(unknown)["fields"]


def test_session_writes_to_resources_need_the_csrf_header(app):
    browser = app.test_client()
    sign_in(browser, "officer")
    refused = browser.post("/api/v1/resources", json=DRAFT)
    assert refused.status_code == 403 and error_of(refused)["code"] == "csrf_failed"
    allowed = browser.post("/api/v1/resources", json=DRAFT,
                           headers={"X-CSRFToken": csrf_token(browser, "/account/tokens")})
    assert allowed.status_code == 201
    assert browser.get("/api/v1/me").get_json()["authenticated_by"] == "session"


# -- the token's life ------------------------------------------------------------------------------


def _set(container, prefix: str, **values) -> None:
    with container.unit_of_work() as session:
        token = session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).one()
        for name, value in values.items():
            setattr(token, name, value)


def test_expired_revoked_malformed_and_unknown_tokens_get_401(app, container, signed_in):
    browser = signed_in("officer")
    plaintext, _html = _browser_token(browser, "short-lived")
    prefix = plaintext.split("_")[1]
    http = app.test_client()

    def me(value: str, scheme: str = "Bearer"):
        return http.get("/api/v1/me", headers={"Authorization": f"{scheme} {value}"})

    assert me(plaintext).status_code == 200
    _set(container, prefix, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    expired = me(plaintext)
    assert expired.status_code == 401 and error_of(expired)["code"] == "token_expired"
    assert "invalid_token" in expired.headers["WWW-Authenticate"]
    assert error_of(http.get("/api/v1/resources", headers={"Authorization": f"Bearer {plaintext}"}))
    for bad in (plaintext[:-3] + "abc", "mulu_00000000_" + "x" * 43, "nonsense"):
        response = me(bad)
        assert response.status_code == 401 and error_of(response)["code"] == "invalid_token"
    basic = me("dXNlcjpwYXNz", scheme="Basic")
    assert basic.status_code == 401 and error_of(basic)["code"] == "invalid_token"
    # A bad token is refused even where no token is needed: a caller must know their token is wrong.
    assert http.get("/api/v1/resources", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(app, container, signed_in):
    plaintext, _html = _browser_token(signed_in("officer"), "busy")
    prefix = plaintext.split("_")[1]
    assert _stored(container, prefix).last_used_at is None
    http = app.test_client()
    http.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    first = _stored(container, prefix).last_used_at
    assert first is not None
    http.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert _stored(container, prefix).last_used_at == first
    _set(container, prefix, last_used_at=datetime.now(UTC) - timedelta(minutes=5))
    http.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    later = _stored(container, prefix).last_used_at
    assert later.replace(tzinfo=later.tzinfo or UTC) > datetime.now(UTC) - timedelta(minutes=1)


def test_a_token_acts_with_its_users_role_and_department(client, auth):
    me = client.get("/api/v1/me", headers=auth("officer")).get_json()
    assert me["role"] == "officer" and me["department"]["key"] == "hn-mzj" and me["authenticated_by"] == "token"
    assert client.get("/api/v1/me", headers=auth("officer", **{"Accept-Language": "en"})).get_json()[
        "role_label"] == "Department officer"


def test_a_disabled_user_loses_the_api(app, container, token_of):
    from catalog.models import User

    plaintext = token_of("auditor")
    with container.unit_of_work() as session:
        session.scalars(select(User).where(User.username == "auditor")).one().is_active = False
    try:
        response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
        assert response.status_code == 401 and error_of(response)["code"] == "user_inactive"
    finally:
        with container.unit_of_work() as session:
            session.scalars(select(User).where(User.username == "auditor")).one().is_active = True


def test_the_audit_log_names_the_token(app, container, auth, client):
    from catalog.models import AuditEvent

    client.post("/api/v1/resources", json=DRAFT, headers=auth("officer"))
    with container.unit_of_work() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "resource.create")
                                .order_by(AuditEvent.id.desc())).first()
        assert event.actor_name == "officer" and event.client.startswith("api token ")
