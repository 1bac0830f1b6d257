"""The embedded search index: one row per resource, kept in step on every flush.

The full-text part lives beside it in ``search_index_fts``, created by migration 0002 with raw
SQL because it differs by database (an FTS5 virtual table on SQLite, a ``tsvector`` with a GIN
index on PostgreSQL) and no model declares it. Importing this module registers the session hook
that reindexes the resources written in each flush, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from catalog.db import Base


class SearchIndexEntry(Base):
    """Facet, visibility and sort fields of one resource as the embedded search backend reads them."""

    __tablename__ = "search_index"
    # Visibility columns first, then every facet column: counting facets reads this index alone (a
    # covering index), about five times faster than reading the table's rows on SQLite.
    __table_args__ = (
        Index("ix_search_index_facets", "status", "is_open", "share_type", "department_id", "item_code",
              "class_code", "theme", "format_class", "open_type", "update_cycle"),
    )

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    status: Mapped[str] = mapped_column(String(40))
    department_id: Mapped[int] = mapped_column(Integer, index=True)
    share_type: Mapped[str | None] = mapped_column(String(20))
    open_type: Mapped[str] = mapped_column(String(20))
    is_open: Mapped[bool] = mapped_column(Boolean)
    class_code: Mapped[str] = mapped_column(String(1))
    item_code: Mapped[str] = mapped_column(String(3))
    theme: Mapped[str | None] = mapped_column(String(20))
    format_class: Mapped[str | None] = mapped_column(String(20))
    update_cycle: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime | None] = mapped_column(index=True)
    title_key: Mapped[str] = mapped_column(String(500), index=True)
    title_sort: Mapped[str] = mapped_column(String(200), index=True)


class SearchState(Base):
    """The index's generation and change counter, rewritten in the transaction of every index write.

    Processes cache answers under the generation token they read (``catalog.search.columns``); a
    different token means the index changed. The token is random rather than incremented, so a
    rolled-back write's token is never seen again and cannot label other data. ``seq`` counts logged
    writes (``search_changes``) and ``floor`` is the oldest one the log still holds.
    """

    __tablename__ = "search_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    floor: Mapped[int] = mapped_column(BigInteger, server_default="0")


class SearchChange(Base):
    """One resource written to ``search_index`` by the write numbered ``seq`` (a trigger of migration 0006).

    ``resource_id`` −1 marks a write itself (every ``seq`` has one row at least on PostgreSQL, whose
    triggers run per statement). Caches of the column store and of full-text matches replay the
    rows after their own ``seq`` instead of reading the whole index again (``catalog.search.changes``).
    """

    __tablename__ = "search_changes"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    resource_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger)


def _after_flush(session: Session, _flush_context) -> None:
    # Imported here: the indexing code needs the tokeniser and pypinyin, which plain model users
    # (migrations, scripts) should not pay for until a resource is actually written.
    from catalog.search.indexing import index_flushed

    index_flushed(session)


if not event.contains(Session, "after_flush", _after_flush):
    event.listen(Session, "after_flush", _after_flush)
