"""Fixtures of the domain-core tests: a populated world, and a container with department review on."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from catalog.container import Container
from tests.catalog.factories import World, build_world


@pytest.fixture
def world(container, session, monkeypatch) -> World:
    # Cheap Argon2 parameters for the many users of the world; test_user_service checks the real ones.
    monkeypatch.setattr("catalog.services.user._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return build_world(container, session)


@pytest.fixture(scope="session")
def review_container(container) -> Container:
    """A second container with the internal department review switched on, sharing the engine."""
    return Container(
        settings=container.settings.replace(department_review=True),
        engine=container.engine,
        session_factory=container.session_factory,
    )
