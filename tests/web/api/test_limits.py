"""Rate limits (per token, per address, writes on top; 429 with Retry-After) and CORS on reads only."""

from __future__ import annotations

import secrets

import pytest

from catalog.container import Container
from tests.web.api.conftest import DRAFT, error_of
from web import create_app


def _app(container, **limits):
    settings = container.settings.replace(**limits)
    return create_app(container=Container(settings=settings, engine=container.engine,
                                          session_factory=container.session_factory))


@pytest.fixture(scope="module")
def tight(container):
    """An app on the same catalog allowing 3 requests and 2 writes a minute."""
    return _app(container, api_rate_limit="3 per minute", api_write_rate_limit="2 per minute")


def test_the_fourth_request_a_minute_gets_429_with_retry_after(tight):
    client = tight.test_client()
    ip = {"REMOTE_ADDR": "10.0.0.1"}
    answers = [client.get("/api/v1/departments", environ_base=ip) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "3" and answers[1].headers["X-RateLimit-Remaining"] == "1"
    assert "Retry-After" not in answers[0].headers
    refused = answers[3]
    error = error_of(refused)
    assert error["code"] == "rate_limited" and "3 per 1 minute" in error["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # Another address has its own allowance; so has every token.
    assert client.get("/api/v1/departments", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 200


def test_tokens_are_counted_apart_from_their_address(tight, token_of):
    client = tight.test_client()
    ip = {"REMOTE_ADDR": "10.0.0.3"}
    for _ in range(3):
        client.get("/api/v1/departments", environ_base=ip)
    assert client.get("/api/v1/departments", environ_base=ip).status_code == 429
    headers = {"Authorization": f"Bearer {token_of('reviewer')}"}
    assert client.get("/api/v1/departments", environ_base=ip, headers=headers).status_code == 200
    # A wrong token does not escape the address's count.
    bad = client.get("/api/v1/departments", environ_base=ip, headers={"Authorization": "Bearer mulu_x"})
    assert bad.status_code == 429


def test_writes_have_their_own_smaller_limit(tight, token_of):
    client = tight.test_client()
    headers = {"Authorization": f"Bearer {token_of('officer')}"}
    codes = [client.post("/api/v1/resources", json={**DRAFT, "title": f"限流{n}"}, headers=headers).status_code
             for n in range(3)]
    assert codes == [201, 201, 429]


def test_the_ckan_api_is_limited_too_when_present(tight):
    if "ckan_api" not in tight.blueprints:
        pytest.skip("the CKAN Action API is not registered")
    client = tight.test_client()
    ip = {"REMOTE_ADDR": "10.0.0.4"}
    codes = [client.get("/api/3/action/status_show", environ_base=ip).status_code for _ in range(4)]
    assert codes[-1] == 429


def test_counters_live_in_redis_when_it_is_configured(container):
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    shared = dict(api_rate_limit="2 per minute", api_write_rate_limit="2 per minute", redis_url=url)
    first, second = _app(container, **shared), _app(container, **shared)
    assert type(first.extensions["mulu_limiter"].storage).__name__ == "RedisStorage"
    ip = {"REMOTE_ADDR": f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"}
    # Two app processes share the count: that is what Redis is for.
    assert first.test_client().get("/api/v1/profile", environ_base=ip).status_code == 200
    assert second.test_client().get("/api/v1/profile", environ_base=ip).status_code == 200
    assert second.test_client().get("/api/v1/profile", environ_base=ip).status_code == 429


def test_the_portal_is_not_limited(tight):
    client = tight.test_client()
    assert all(client.get("/departments", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 200
               for _ in range(5))


# -- CORS --------------------------------------------------------------------------------------------


def test_reads_allow_other_origins(client):
    response = client.get("/api/v1/departments", headers={"Origin": "https://data.example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflights_allow_reads_with_a_token_but_no_writes(client):
    read = client.options("/api/v1/resources", headers={
        "Origin": "https://data.example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization"})
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    assert "authorization" in read.headers["Access-Control-Allow-Headers"].lower()
    write = client.options("/api/v1/resources", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert "POST" not in write.headers.get("Access-Control-Allow-Methods", "")


def test_write_answers_carry_no_cors_headers(client, auth):
    response = client.post("/api/v1/resources", json=DRAFT, headers=auth("officer", Origin="https://evil.example"))
    assert response.status_code == 201 and "Access-Control-Allow-Origin" not in response.headers


def test_the_portal_has_no_cors(client):
    assert "Access-Control-Allow-Origin" not in client.get("/", headers={"Origin": "https://x.example"}).headers
