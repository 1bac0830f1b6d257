"""Search change log: which resources each index write touched, so caches follow writes incrementally (issue #3).

``search_state`` gains ``seq`` (one more for every logged write) and ``floor`` (the oldest ``seq``
the log still holds); ``search_changes`` holds ``(seq, generation, resource_id)`` for every row
written to ``search_index``; the generation triggers of 0002 are replaced by triggers that bump
the generation *and* log the write. Index writers already queue on the ``search_state`` row lock
(the trigger updates it), so ``seq`` is handed out in commit order; the generation beside it tells
a reader whether the write it cached was the one that committed (see ``catalog.search.changes``).
``search_index.title_key`` gets an index (the exact-title tier is a lookup).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_GENERATION = "floor(random() * 4e18)::bigint"


def upgrade() -> None:
    op.add_column("search_state", sa.Column("seq", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column("search_state", sa.Column("floor", sa.BigInteger(), server_default="0", nullable=False))
    op.create_table(
        "search_changes",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", "resource_id", name=op.f("pk_search_changes")),
    )
    op.create_index(op.f("ix_search_index_title_key"), "search_index", ["title_key"])
    # The log starts now: whatever a process cached before is older than the floor.
    op.execute("INSERT INTO search_changes (seq, resource_id, generation) SELECT seq, -1, generation FROM search_state")
    if op.get_bind().dialect.name == "sqlite":
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            op.execute(f"DROP TRIGGER IF EXISTS search_index_generation_{event.lower()}")
            # Row triggers: every row gets a seq of its own (SQLite writers are serialised by the file lock).
            op.execute(
                f"CREATE TRIGGER search_index_log_{event.lower()} AFTER {event} ON search_index BEGIN "
                "UPDATE search_state SET generation = random(), seq = seq + 1 WHERE id = 1; "
                "INSERT OR IGNORE INTO search_changes (seq, resource_id, generation) "
                f"SELECT seq, {row}.resource_id, generation FROM search_state WHERE id = 1; END"
            )
        return
    op.execute("DROP TRIGGER IF EXISTS search_index_generation ON search_index")
    op.execute("DROP FUNCTION IF EXISTS search_index_new_generation()")
    # Statement triggers with transition tables: one seq per statement, a marker row (-1) so that every
    # seq is in the log even when the statement touched no row, then the statement's rows. PostgreSQL
    # allows transition tables only on single-event triggers: one per event.
    for name, rows in (("new", "new_rows"), ("old", "old_rows")):
        op.execute(
            f"CREATE FUNCTION search_index_log_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE s bigint; g bigint; BEGIN "
            f"UPDATE search_state SET generation = {_PG_GENERATION}, seq = seq + 1 WHERE id = 1 "
            "RETURNING seq, generation INTO s, g; "
            "INSERT INTO search_changes (seq, resource_id, generation) "
            f"SELECT s, -1, g UNION ALL SELECT DISTINCT s, resource_id, g FROM {rows}; "
            "RETURN NULL; END $$"
        )
    for event, name, rows in (("INSERT", "new", "NEW TABLE AS new_rows"), ("UPDATE", "new", "NEW TABLE AS new_rows"),
                              ("DELETE", "old", "OLD TABLE AS old_rows")):
        op.execute(
            f"CREATE TRIGGER search_index_log_{event.lower()} AFTER {event} ON search_index "
            f"REFERENCING {rows} FOR EACH STATEMENT EXECUTE FUNCTION search_index_log_{name}()"
        )
    # TRUNCATE has no transition table: it moves the floor, so every cache rebuilds.
    op.execute(
        "CREATE FUNCTION search_index_log_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE s bigint; g bigint; BEGIN "
        f"UPDATE search_state SET generation = {_PG_GENERATION}, seq = seq + 1, floor = seq + 1 WHERE id = 1 "
        "RETURNING seq, generation INTO s, g; "
        "INSERT INTO search_changes (seq, resource_id, generation) VALUES (s, -1, g); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER search_index_log_truncate AFTER TRUNCATE ON search_index "
        "FOR EACH STATEMENT EXECUTE FUNCTION search_index_log_truncate()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS search_index_log_{event.lower()}")
            op.execute(
                f"CREATE TRIGGER search_index_generation_{event.lower()} AFTER {event} ON search_index "
                "BEGIN UPDATE search_state SET generation = random() WHERE id = 1; END"
            )
    else:
        for event in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS search_index_log_{event} ON search_index")
        for name in ("new", "old", "truncate"):
            op.execute(f"DROP FUNCTION IF EXISTS search_index_log_{name}()")
        op.execute(
            "CREATE FUNCTION search_index_new_generation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"UPDATE search_state SET generation = {_PG_GENERATION} WHERE id = 1; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER search_index_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON search_index "
            "FOR EACH STATEMENT EXECUTE FUNCTION search_index_new_generation()"
        )
    op.drop_index(op.f("ix_search_index_title_key"), table_name="search_index")
    op.drop_table("search_changes")
    op.drop_column("search_state", "floor")
    op.drop_column("search_state", "seq")
