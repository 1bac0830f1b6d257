"""Shared fixtures: a real database (SQLite, or PostgreSQL with MULU_TEST_DATABASE_URL) and rolled-back sessions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

import harvesters.models  # noqa: F401  (the harvest tables take part in every test database)
from catalog.config import Settings
from catalog.container import Container
from catalog.db import Base

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"


def pytest_configure(config):
    # Tests never read a developer's MULU_* environment, except the test database URL.
    for name in list(os.environ):
        if name.startswith("MULU_") and not name.startswith("MULU_TEST_"):
            del os.environ[name]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("MULU_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def settings(tmp_path_factory, database_url) -> Settings:
    return Settings(instance_path=tmp_path_factory.mktemp("instance"), database_url=database_url)


@pytest.fixture(scope="session")
def container(settings) -> Container:
    from catalog.schema_setup import reset_database

    container = Container.from_settings(settings)
    reset_database(container.engine)
    yield container
    container.dispose()


@pytest.fixture
def session(container) -> Session:
    """A session whose every write is rolled back at the end of the test (commits become savepoints)."""
    connection = container.engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not available (fresh clone)")
    return FIXTURES


__all__ = ["Base"]
