"""Helpers of the tests that commit: throwaway databases and a runner of the ``mulu`` command line.

The shared ``container`` database of ``tests/conftest.py`` is rolled back after every test, which
the command line cannot do (each command commits). These tests get a database of their own instead:
a fresh SQLite file, or — when ``MULU_TEST_DATABASE_URL`` is a PostgreSQL URL — a PostgreSQL
database created for them on the same server and dropped afterwards, so the same tests run on both.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from catalog.actor import Actor
from catalog.config import Settings
from catalog.container import Container
from catalog.db import normalise_url
from catalog.services.department import DepartmentService
from catalog.services.user import UserService
from catalog.uscc import build
from cli import main

# Departments of the command-line tests: a city government, two departments and an internal unit.
DEPARTMENTS = (
    {"key": "hn-gov", "name": "淮南市人民政府", "division": "340400", "catalog_segment": "001", "kind": "government"},
    {"key": "hn-mzj", "name": "淮南市民政局", "division": "340400", "catalog_segment": "015", "parent": "hn-gov"},
    {"key": "hn-rsj", "name": "淮南市人力资源和社会保障局", "division": "340400", "catalog_segment": "016",
     "parent": "hn-gov"},
    {"key": "hn-mzj-jz", "name": "社会救助科", "division": "340400", "kind": "internal_unit", "in_scope": False,
     "parent": "hn-mzj"},
)
PASSWORD = "correct horse battery"


@contextlib.contextmanager
def throwaway_database(directory: Path, name: str) -> Iterator[str]:
    """The URL of an empty database of its own, removed when the block ends.

    :param directory: where the SQLite file goes.
    :param name: part of the database's name (``mulu demo`` wants "demo" in a PostgreSQL name).
    """
    test_url = os.environ.get("MULU_TEST_DATABASE_URL", "")
    url = make_url(normalise_url(test_url)) if test_url else None
    if url is None or url.get_backend_name() != "postgresql":
        yield f"sqlite:///{directory / f'{name}.db'}"
        return
    database = f"{url.database}_{name}_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
        yield url.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.dispose()


class Cli:
    """Runs ``mulu`` against one database and instance folder, as a user's shell would."""

    def __init__(self, database_url: str, instance: Path):
        self.database_url = database_url
        self.instance = instance
        self.runner = CliRunner()
        self._containers: list[Container] = []

    @property
    def env(self) -> dict[str, str]:
        return {"MULU_DATABASE_URL": self.database_url, "MULU_INSTANCE_PATH": str(self.instance)}

    def __call__(self, *args: str, input: str | None = None) -> Result:
        """Run ``mulu ARGS``; exceptions other than exits propagate, so a crash fails with its traceback."""
        return self.runner.invoke(main, list(args), env=self.env, input=input, catch_exceptions=False)

    def ok(self, *args: str, input: str | None = None) -> Result:
        """Run ``mulu ARGS`` and check that it succeeded."""
        result = self(*args, input=input)
        assert result.exit_code == 0, f"mulu {' '.join(args)} exited {result.exit_code}:\n{result.output}"
        return result

    def container(self) -> Container:
        """A container on the same database and instance folder, for looking at what the commands did."""
        container = Container.from_settings(Settings(instance_path=self.instance, database_url=self.database_url))
        self._containers.append(container)
        return container

    def seed(self) -> Container:
        """Migrate the database and add the departments and an administrator (through the services)."""
        from catalog.schema_setup import upgrade

        container = self.container()
        upgrade(container.engine)
        with container.unit_of_work() as session:
            departments = DepartmentService(container, session, Actor.system("test"))
            for serial, row in enumerate(DEPARTMENTS, start=1):
                uscc = None if row.get("kind") == "internal_unit" else build(row["division"], 7000 + serial)
                departments.create({**row, "uscc": uscc})
            UserService(container, session, Actor.system("test")).create("admin", PASSWORD, "admin")
        return container

    def close(self) -> None:
        for container in self._containers:
            container.dispose()


@contextlib.contextmanager
def cli_on_fresh_database(directory: Path, name: str = "cli") -> Iterator[Cli]:
    """A :class:`Cli` on a throwaway database, with its instance folder next to it."""
    directory.mkdir(parents=True, exist_ok=True)
    with throwaway_database(directory, name) as url:
        cli = Cli(url, directory / f"{name}-instance")
        try:
            yield cli
        finally:
            cli.close()


def jsonl(result: Result) -> list[dict]:
    """The objects of a JSON Lines output."""
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def write_jsonl(path: Path, records) -> Path:
    """Write records (dicts, or raw strings for broken lines) as JSON Lines."""
    with path.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write((record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)) + "\n")
    return path
