"""Fixtures of the API tests: one demo catalog for the package, an app with generous limits, tokens per demo user.

The tests share the catalog, so each one creates the resources it changes (or only reads).
"""

from __future__ import annotations

import pytest

from catalog.actor import Actor
from catalog.config import Settings
from catalog.container import Container
from catalog.demo.builder import build_demo
from catalog.services.token import TokenService
from catalog.services.user import UserService
from tests.clitools import throwaway_database
from tests.web.conftest import PASSWORD
from web import create_app

# Limits high enough that no test but the rate-limit ones ever meets them.
UNLIMITED = {"api_rate_limit": "100000 per minute", "api_write_rate_limit": "100000 per minute"}
# A draft the demo officer (民政局, hn-mzj) may create; complete enough to be submitted.
DRAFT = {
    "title": "接口测试资源",
    "abstract": "通过接口登记的测试资源。",
    "department": "hn-mzj",
    "classification_code": "307",
    "format": {"class": "数据库", "type": "oracle"},
    "items": [{"name": "姓名", "data_type": "C", "length": 50}],
    "share": {"type": "无条件共享", "method": "1-2"},
    "open": {"is_open": False},
    "update_cycle": "每月",
    "theme": "R",
    "keywords": ["测试"],
    "source_system": "测试系统",
}


@pytest.fixture(scope="package")
def container(tmp_path_factory):
    directory = tmp_path_factory.mktemp("api")
    with throwaway_database(directory, "api") as url:
        container = Container.from_settings(Settings(instance_path=directory / "instance", database_url=url,
                                                     **UNLIMITED))
        build_demo(container, resource_count=40, password=PASSWORD)
        yield container
        container.dispose()


@pytest.fixture(scope="package")
def app(container):
    return create_app(container=container)


@pytest.fixture(scope="package")
def token_of(container):
    """``token_of("officer")`` → a plaintext API token of that demo user (one per user, made once)."""
    made: dict[str, str] = {}

    def make(username: str) -> str:
        if username not in made:
            with container.unit_of_work() as session:
                user = UserService(container, session, Actor.system("test")).get_by_username(username)
                _token, made[username] = TokenService(container, session, Actor.system("test")).create(
                    "tests", user_id=user.id)
        return made[username]

    return make


@pytest.fixture
def auth(token_of):
    """``auth("officer")`` → request headers carrying that user's token (``auth(None)``: none)."""

    def headers(username: str | None, **extra) -> dict[str, str]:
        found = {"Authorization": f"Bearer {token_of(username)}"} if username else {}
        return {**found, **extra}

    return headers


@pytest.fixture
def create(client, auth):
    """``create("officer", **changes)`` → a new draft's JSON, made through the API."""

    def make(username: str = "officer", **changes) -> dict:
        response = client.post("/api/v1/resources", json={**DRAFT, **changes}, headers=auth(username))
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    return make


def error_of(response) -> dict:
    """The ``error`` object of a response, after checking the one error shape."""
    body = response.get_json()
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:500]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body["error"]["fields"].values())
    return body["error"]
