"""The migrations build exactly the schema the models declare, and every one of them can be undone.

Runs on the test database's engine (SQLite, or PostgreSQL with ``MULU_TEST_DATABASE_URL``) but
always in a fresh database of its own, so the session's ``container`` database is never touched.

When ``test_models_and_migrations_agree`` fails, a model changed without a migration: add one
with ``alembic revision --autogenerate`` (see docs/development.md).
"""

from __future__ import annotations

import pprint
import secrets

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Engine, make_url

import catalog.models  # noqa: F401  (registers every table on Base.metadata)
from catalog import schema_setup
from catalog.db import Base, make_engine, normalise_url
from migrations import include_name

HOW_TO_FIX = (
    "the models and the migrations disagree; add a migration from the project root with\n"
    '    alembic revision --autogenerate --rev-id NNNN -m "what changed"\n'
    "then read and tidy it (docs/development.md, 'Changing the schema')"
)


@pytest.fixture
def fresh_url(database_url, tmp_path):
    """The URL of an empty database used by one test and thrown away after it."""
    url = make_url(normalise_url(database_url))
    backend = url.get_backend_name()
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    if backend != "postgresql":
        pytest.skip(f"no throwaway-database recipe for {backend}")
    name = f"mulu_migrations_{secrets.token_hex(6)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def engine(fresh_url) -> Engine:
    engine = make_engine(fresh_url)
    yield engine
    engine.dispose()


def _schema(engine: Engine) -> dict[str, dict]:
    """Tables with their columns, indexes, unique and foreign keys, as names (comparable across runs)."""
    inspector = inspect(engine)
    schema = {}
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version" or not include_name(table, "table", {}):
            continue
        schema[table] = {
            "columns": [column["name"] for column in inspector.get_columns(table)],
            "indexes": sorted(index["name"] for index in inspector.get_indexes(table)),
            "unique": sorted(str(uq["name"]) for uq in inspector.get_unique_constraints(table)),
            "foreign_keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in inspector.get_foreign_keys(table)
            ),
        }
    return schema


def test_history_is_linear_and_documented():
    script = ScriptDirectory.from_config(schema_setup.alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: merge them (alembic merge heads)"
    assert schema_setup.head() == heads[0]
    for revision in script.walk_revisions():
        doc = (revision.module.__doc__ or "").strip()
        assert doc and not doc.startswith("empty message"), (
            f"{revision.path} needs a docstring saying what it does"
        )


def test_models_and_migrations_agree(engine):
    schema_setup.upgrade(engine)
    assert schema_setup.current(engine) == schema_setup.head()

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        diff = compare_metadata(context, Base.metadata)
    assert not diff, f"{HOW_TO_FIX}\n\ndifferences (database → models):\n{pprint.pformat(diff)}"

    # The same check through env.py, as `alembic check` runs it by hand.
    with engine.connect() as connection:
        config = schema_setup.alembic_config()
        config.attributes["connection"] = connection
        command.check(config)


def test_downgrade_to_base_and_upgrade_again(engine):
    schema_setup.upgrade(engine)
    built = _schema(engine)
    assert set(built) == set(Base.metadata.tables)

    schema_setup.downgrade(engine, "base")
    assert schema_setup.current(engine) is None
    assert _schema(engine) == {}, "downgrade to base left tables behind"

    schema_setup.upgrade(engine)
    assert schema_setup.current(engine) == schema_setup.head()
    assert _schema(engine) == built


def test_every_revision_steps_down_and_up(engine):
    """The 'stairway': each revision upgrades, downgrades and upgrades again on top of the previous one."""
    script = ScriptDirectory.from_config(schema_setup.alembic_config())
    for revision in reversed(list(script.walk_revisions())):
        schema_setup.upgrade(engine, revision.revision)
        before = _schema(engine)
        schema_setup.downgrade(engine, revision.down_revision or "base")
        schema_setup.upgrade(engine, revision.revision)
        assert _schema(engine) == before, f"{revision.revision} does not come back the same after a downgrade"
    assert schema_setup.current(engine) == schema_setup.head()


def test_reset_database_leaves_only_the_migrated_schema(engine):
    schema_setup.upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE leftover (id INTEGER PRIMARY KEY)")
    schema_setup.reset_database(engine)
    assert "leftover" not in inspect(engine).get_table_names()
    assert schema_setup.current(engine) == schema_setup.head()
    assert set(_schema(engine)) == set(Base.metadata.tables)
