"""Create or reset the database schema through the Alembic migrations (tests and ``mulu init``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from catalog.db import make_engine

EngineOrUrl = Engine | Connection | str


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration of Mulu, built in code (no ``alembic.ini`` needed).

    The scripts are found through the installed ``migrations`` package, so this works from a
    checkout and from an installed wheel alike.

    :param url: the database URL stored as ``sqlalchemy.url`` (only used when no connection is
        passed in ``config.attributes["connection"]``).
    :returns: the configuration.
    """
    config = Config()
    config.set_main_option("script_location", str(files("migrations")))
    # ConfigParser interpolates "%": escape it (URL-encoded passwords contain it).
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@contextlib.contextmanager
def _connection(engine_or_url: EngineOrUrl) -> Iterator[Connection]:
    """A connection for Alembic; a connection passed in is used as is and not committed."""
    if isinstance(engine_or_url, Connection):
        yield engine_or_url
        return
    owned = not isinstance(engine_or_url, Engine)
    engine = make_engine(engine_or_url) if owned else engine_or_url
    try:
        with engine.connect() as connection:
            yield connection
            if connection.in_transaction():
                connection.commit()
    finally:
        if owned:
            engine.dispose()


def _run(engine_or_url: EngineOrUrl, fn, *args) -> None:
    with _connection(engine_or_url) as connection:
        config = alembic_config(connection.engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        fn(config, *args)


def upgrade(engine_or_url: EngineOrUrl, revision: str = "head") -> None:
    """Migrate the database up to ``revision``.

    :param engine_or_url: an engine, a connection (the caller commits) or a URL.
    :param revision: the target revision; ``"head"`` for the newest.
    """
    _run(engine_or_url, command.upgrade, revision)


def downgrade(engine_or_url: EngineOrUrl, revision: str) -> None:
    """Migrate the database down to ``revision`` (``"base"`` removes every table).

    :param engine_or_url: an engine, a connection (the caller commits) or a URL.
    :param revision: the target revision, e.g. ``"base"``, ``"-1"`` or ``"0001"``.
    """
    _run(engine_or_url, command.downgrade, revision)


def current(engine_or_url: EngineOrUrl) -> str | None:
    """The revision the database is at, or ``None`` when it has never been migrated."""
    with _connection(engine_or_url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    """The newest revision of the shipped migrations.

    :raises alembic.util.CommandError: when the history has several heads (two branches to merge).
    """
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def reset_database(engine: Engine) -> None:
    """Drop everything in the database and migrate it to the newest revision (tests only).

    On PostgreSQL the ``public`` schema is dropped and created again; on SQLite every table,
    view and trigger goes, ``alembic_version`` included.

    :param engine: the engine of a database whose content may be thrown away.
    """
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    elif engine.dialect.name == "sqlite":
        _drop_sqlite(engine)
    else:
        from sqlalchemy import MetaData

        with engine.begin() as connection:
            metadata = MetaData()
            metadata.reflect(connection)
            metadata.drop_all(connection)
    upgrade(engine, "head")


def _drop_sqlite(engine: Engine) -> None:
    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    with engine.connect() as connection:
        # Foreign keys off, set before the first BEGIN (the pragma is ignored inside one), so
        # tables can go in any order without cascading deletes.
        driver = connection.connection.driver_connection
        driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                rows = connection.exec_driver_sql(
                    "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
                ).fetchall()
                for kind in ("trigger", "view"):
                    for type_, name, _sql in rows:
                        if type_ == kind:
                            connection.exec_driver_sql(f"DROP {kind.upper()} IF EXISTS {quote(name)}")
                # Virtual tables (FTS5) first: dropping one drops its shadow tables too.
                tables = [(name, sql or "") for type_, name, sql in rows if type_ == "table"]
                tables.sort(key=lambda row: not row[1].upper().startswith("CREATE VIRTUAL"))
                for name, _sql in tables:
                    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(name)}")
        finally:
            driver.execute("PRAGMA foreign_keys=ON")
