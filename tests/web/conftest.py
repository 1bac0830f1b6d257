"""Fixtures of the portal tests: a demo catalog per test module on a throwaway database, clients, sign-in.

``build_demo`` resets whatever database it is given, so each module gets a database of its own
(tests/clitools.py): SQLite, or a PostgreSQL database beside ``MULU_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalog.config import Settings
from catalog.container import Container
from catalog.demo.builder import build_demo
from catalog.models import Resource
from tests.clitools import throwaway_database
from web import create_app

PASSWORD = "pw123456"
ROLES = ("officer", "reviewer", "manager", "auditor", "admin")  # the demo's usernames are their roles
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="module")
def container(tmp_path_factory):
    directory = tmp_path_factory.mktemp("portal")
    with throwaway_database(directory, "portal") as url:
        container = Container.from_settings(Settings(instance_path=directory / "instance", database_url=url))
        build_demo(container, resource_count=40, password=PASSWORD)
        yield container
        container.dispose()


@pytest.fixture(scope="module")
def app(container):
    return create_app(container=container)


@pytest.fixture
def client(app):
    """A fresh browser: no cookies, no language chosen, signed out."""
    return app.test_client()


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on ``url``, as a browser would submit it."""
    html = client.get(url).get_data(as_text=True)
    found = _TOKEN.search(html)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


@pytest.fixture
def signed_in(app):
    """``signed_in("manager")`` → a client signed in as that demo user."""

    def make(username: str):
        client = app.test_client()
        sign_in(client, username)
        return client

    return make


def resources(container, **where) -> list[Resource]:
    with container.unit_of_work() as session:
        query = select(Resource).options(selectinload(Resource.items), selectinload(Resource.department)) \
            .order_by(Resource.id)
        for name, value in where.items():
            query = query.where(getattr(Resource, name) == value)
        found = session.scalars(query).all()
        session.expunge_all()
        return found


def linked_ids(html: str) -> set[int]:
    return {int(number) for number in re.findall(r'href="/resources/(\d+)"', html)}
