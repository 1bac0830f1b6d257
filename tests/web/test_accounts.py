"""Accounts: sign in and out, CSRF on every POST, password change, secure cookies, 403 pages."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD, ROLES, csrf_token, sign_in


def test_sign_in_and_out(client):
    response = sign_in(client, "officer")
    assert response.location == "/"
    html = client.get("/").get_data(as_text=True)
    assert 'action="/logout"' in html and "编目员" in html and "我的部门" in html
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert 'action="/logout"' not in html and 'href="/login' in html


def test_a_wrong_password_says_so_without_saying_which_half(client):
    response = client.post("/login", data={"username": "officer", "password": "nope-nope",
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "用户名或密码错误" in html and 'value="officer"' in html
    unknown = client.post("/login", data={"username": "nobody", "password": "nope-nope",
                                          "csrf_token": csrf_token(client, "/login")})
    assert "用户名或密码错误" in unknown.get_data(as_text=True)


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client):
    token = csrf_token(client, "/login?next=/review")
    response = client.post("/login", data={"username": "manager", "password": PASSWORD, "next": "/review",
                                           "csrf_token": token})
    assert response.location == "/review"
    other = client.application.test_client()
    token = csrf_token(other, "/login")
    response = other.post("/login", data={"username": "manager", "password": PASSWORD,
                                          "next": "https://evil.example/", "csrf_token": token})
    assert response.location == "/"


@pytest.mark.parametrize("url", ["/login", "/logout", "/account/password", "/resources/1/workflow/submit"])
def test_a_post_without_the_csrf_token_is_refused(signed_in, url):
    client = signed_in("officer")
    response = client.post(url, data={"username": "officer", "password": PASSWORD, "comment": "x"})
    assert response.status_code == 400
    assert "表单已失效" in response.get_data(as_text=True)
    assert 'action="/logout"' in client.get("/").get_data(as_text=True)  # still signed in: the logout was refused


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(app):
    client = app.test_client()
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client().get("/login", base_url="https://mulu.example")
    assert "Secure" in secure.headers["Set-Cookie"]


def test_staff_pages_ask_anonymous_visitors_to_sign_in(client):
    for url in ("/workspace", "/review", "/account/password"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/login?next="), url


def test_change_password_needs_the_current_one(signed_in, app):
    client = signed_in("auditor")
    response = client.post("/account/password", data={
        "current_password": "wrong-password", "new_password": "a-new-password", "confirm": "a-new-password",
        "csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 400 and "当前密码" in response.get_data(as_text=True)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "short", "confirm": "short",
        "csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 400
    other = signed_in("auditor")  # a second browser of the same user
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a-new-password", "confirm": "a-new-password",
        "csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 302
    assert 'action="/logout"' in client.get("/").get_data(as_text=True)
    # The other session ends with the old password; the new password signs in.
    assert 'action="/logout"' not in other.get("/").get_data(as_text=True)
    fresh = app.test_client()
    sign_in(fresh, "auditor", "a-new-password")
    response = fresh.post("/account/password", data={
        "current_password": "a-new-password", "new_password": PASSWORD, "confirm": PASSWORD,
        "csrf_token": csrf_token(fresh, "/account/password")})
    assert response.status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_its_menu(signed_in, role):
    html = signed_in(role).get("/").get_data(as_text=True)
    assert ("我的部门" in html) == (role in ("officer", "reviewer", "admin"))
    assert (">审核</a>" in html) == (role in ("reviewer", "manager", "admin"))


def test_forbidden_actions_show_a_403_page(signed_in, container):
    from tests.web.conftest import resources

    client = signed_in("auditor")
    resource = resources(container, status="pending_registration")[0]
    response = client.post(f"/resources/{resource.id}/workflow/register",
                           data={"csrf_token": csrf_token(client, f"/resources/{resource.id}")})
    assert response.status_code == 403
    assert "您无权进行此操作" in response.get_data(as_text=True)
    assert resources(container, id=resource.id)[0].status == "pending_registration"
