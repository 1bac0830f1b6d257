"""Search index: ``search_index`` (facets, visibility, sort keys), the full-text ``search_index_fts`` and ``search_state``.

``search_index_fts`` depends on the database and is created with raw SQL (``migrations.include_name``
keeps autogenerate away from ``*_fts`` tables):

- SQLite: an FTS5 virtual table with one column per search field (title, keywords, abstract,
  items), ranked with bm25. Its rowid is the resource id. Text arrives already tokenised by
  ``catalog.search.text`` and separated by spaces; ``unicode61`` only splits on them (diacritics
  are kept so a token is stored exactly as written).
- PostgreSQL: a table of ``tsvector`` values with weights A–D (title, keywords, abstract, items),
  built from the same tokens, with a GIN index (``fastupdate = off``); ranked with ``ts_rank_cd``.

Existing resources are not indexed here (migrations import only the models): run
``mulu search reindex`` once after upgrading a database that already holds resources.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 11:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_index",
        sa.Column("resource_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("share_type", sa.String(length=20), nullable=True),
        sa.Column("open_type", sa.String(length=20), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("class_code", sa.String(length=1), nullable=False),
        sa.Column("item_code", sa.String(length=3), nullable=False),
        sa.Column("theme", sa.String(length=20), nullable=True),
        sa.Column("format_class", sa.String(length=20), nullable=True),
        sa.Column("update_cycle", sa.String(length=20), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title_key", sa.String(length=500), nullable=False),
        sa.Column("title_sort", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_search_index_resource_id_resources"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_search_index")),
    )
    op.create_index(op.f("ix_search_index_department_id"), "search_index", ["department_id"])
    op.create_index(
        "ix_search_index_facets",
        "search_index",
        ["status", "is_open", "share_type", "department_id", "item_code", "class_code", "theme", "format_class",
         "open_type", "update_cycle"],
    )
    op.create_index(op.f("ix_search_index_title_sort"), "search_index", ["title_sort"])
    op.create_index(op.f("ix_search_index_updated_at"), "search_index", ["updated_at"])
    # The index's generation token, rewritten by every index write (see catalog.search.columns).
    op.create_table(
        "search_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_state")),
    )
    # A random first token too: two fresh databases must not share a token (caches are keyed by it).
    start = "random()" if op.get_bind().dialect.name == "sqlite" else "floor(random() * 4e18)::bigint"
    op.execute(f"INSERT INTO search_state (id, generation) VALUES (1, {start})")

    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_index_fts USING fts5("
            "title, keywords, abstract, items, tokenize = 'unicode61 remove_diacritics 0')"
        )
    else:
        op.execute(
            "CREATE TABLE search_index_fts ("
            "resource_id INTEGER PRIMARY KEY REFERENCES search_index (resource_id) ON DELETE CASCADE, "
            "tsv TSVECTOR NOT NULL)"
        )
        # fastupdate off: with it on, writes pile up in a pending list that every search scans linearly
        # until VACUUM merges it (measured: 5 ms queries became 80 ms after a bulk load).
        op.execute("CREATE INDEX ix_search_index_fts_tsv ON search_index_fts USING gin (tsv) WITH (fastupdate = off)")

    # Any write to search_index — the flush hook, a rebuild, raw SQL, a cascade from a deleted resource —
    # gives the index a new random generation token in the writer's transaction, so caches labelled
    # with the old token are never used again (catalog.search.columns). Random, not incremented: a
    # rolled-back write's token is never reused.
    if op.get_bind().dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER search_index_generation_{event.lower()} AFTER {event} ON search_index "
                "BEGIN UPDATE search_state SET generation = random() WHERE id = 1; END"
            )
    else:
        op.execute(
            "CREATE FUNCTION search_index_new_generation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE search_state SET generation = floor(random() * 4e18)::bigint WHERE id = 1; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER search_index_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON search_index "
            "FOR EACH STATEMENT EXECUTE FUNCTION search_index_new_generation()"
        )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS search_index_fts")
    op.drop_table("search_state")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS search_index_generation ON search_index")
        op.execute("DROP FUNCTION IF EXISTS search_index_new_generation()")
    op.drop_index(op.f("ix_search_index_updated_at"), table_name="search_index")
    op.drop_index(op.f("ix_search_index_title_sort"), table_name="search_index")
    op.drop_index("ix_search_index_facets", table_name="search_index")
    op.drop_index(op.f("ix_search_index_department_id"), table_name="search_index")
    op.drop_table("search_index")
