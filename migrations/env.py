"""Alembic environment: runs the Mulu migrations on a connection handed over by the caller or on a URL.

Callers in code (``catalog.schema_setup``) put a live connection into
``config.attributes["connection"]``; by hand, ``alembic`` reads ``sqlalchemy.url`` from
``alembic.ini`` or ``-x url=…``.  This module imports only ``catalog.db`` and the models (those of
``catalog.models`` and ``harvesters.models``), so the
migrations never depend on services, settings or the web layer.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

import catalog.models  # noqa: F401  (registers every table on Base.metadata)
import harvesters.models  # noqa: F401  (the harvest tables, issue #6)
from catalog.db import Base, make_engine, normalise_url
from migrations import include_name

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and not config.attributes.get("connection"):
    # Only when run by hand with alembic.ini: configure logging from its [logger_*] sections.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: set sqlalchemy.url in the Alembic config or pass -x url=…")
    return url


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        include_name=include_name,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit the SQL of the migrations (``alembic upgrade head --sql``) without a database."""
    url = normalise_url(_url())
    _configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    # SQLite "ALTER" in batch mode copies a table, drops the original and renames the copy. With
    # foreign keys on, dropping a parent table runs an implicit DELETE that cascades into the
    # children (ON DELETE CASCADE would empty revisions, items …), so they must be off for the
    # migration. The pragma is a no-op inside a transaction, so it is set before the first BEGIN
    # and only when this module owns the transaction; the result is verified before commit.
    switch_fks = sqlite and not connection.in_transaction()
    if switch_fks:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        # Mulu's SQLite engines issue an explicit BEGIN (catalog.db), so DDL is transactional
        # on both databases: a failed upgrade leaves the schema as it was.
        _configure(connection=connection, render_as_batch=sqlite, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows that break foreign keys: {broken[:10]}")
    finally:
        if switch_fks:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    """Run the migrations on the caller's connection, or on a fresh engine for the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
