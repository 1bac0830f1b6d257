"""Keeping the embedded index in step with the data: the flush hook, index writes and full rebuilds.

Every flush that inserts, updates or deletes a resource (or one of its information items) rewrites
that resource's index rows on the same connection, so they commit or roll back with the data and
the index never drifts. Every write to ``search_index`` also gives the index a new generation token
and logs the resource (``search_state``, ``search_changes``: triggers of migration 0006 in the
writer's transaction), which is how processes know their caches are out of date and what to read
again (``catalog.search.changes``). Engines
can opt out (an Elasticsearch deployment does not need the embedded index) with :func:`set_sync`.
"""

from __future__ import annotations

import multiprocessing
import os
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from catalog.models import Resource, ResourceItem
from catalog.models.search import SearchIndexEntry
from catalog.search import changes
from catalog.search.dialects import full_text_for
from catalog.search.documents import SearchDocument, document_for

BATCH = 1000
# Full rebuilds of at least this many resources tokenise in worker processes: tokenising and pinyin
# are ~60 % of a rebuild and pure Python, so a second core nearly halves them.
PARALLEL_MIN = 20_000
_DISABLED: weakref.WeakSet[Engine] = weakref.WeakSet()
_COLUMNS = [c.name for c in SearchIndexEntry.__table__.columns]


def set_sync(engine: Engine, enabled: bool) -> None:
    """Switch the in-transaction maintenance of the embedded index on or off for an engine (on by default)."""
    if enabled:
        _DISABLED.discard(engine)
    else:
        _DISABLED.add(engine)


def sync_enabled(engine: Engine) -> bool:
    """Whether flushes on this engine maintain the embedded index."""
    return engine not in _DISABLED


def generation(connection: Connection) -> int:
    """The index's generation token as this connection sees it (its own uncommitted writes included).

    Every write to ``search_index`` replaces it with a random number (a trigger of migration 0002).
    """
    return connection.execute(text("SELECT generation FROM search_state WHERE id = 1")).scalar() or 0


def _changed(session: Session) -> tuple[set[Resource], set[int], frozenset]:
    """Resources to reindex, ids of deleted resources, and item objects deleted in this flush."""
    touched: set[Resource] = set()
    deleted_ids: set[int] = set()
    gone_items = frozenset(obj for obj in session.deleted if isinstance(obj, ResourceItem))
    for obj in session.new | session.dirty:
        if isinstance(obj, Resource):
            touched.add(obj)
        elif isinstance(obj, ResourceItem) and obj.resource is not None:
            touched.add(obj.resource)
    for obj in session.deleted:
        if isinstance(obj, Resource) and obj.id is not None:
            deleted_ids.add(obj.id)
        elif isinstance(obj, ResourceItem) and obj.resource_id is not None:
            parent = session.get(Resource, obj.resource_id)
            if parent is not None:
                touched.add(parent)
    touched = {r for r in touched if r.id not in deleted_ids and not inspect(r).deleted}
    return touched, deleted_ids, gone_items


def index_flushed(session: Session) -> None:
    """Reindex the resources the session just flushed (the ``after_flush`` hook).

    Reads ``session.new``/``dirty``/``deleted`` as they were before the flush (SQLAlchemy keeps
    them until ``after_flush`` returns) and writes on the session's own connection.
    """
    if not (session.new or session.dirty or session.deleted):
        return
    touched, deleted_ids, gone_items = _changed(session)
    if not touched and not deleted_ids:
        return
    connection = session.connection()
    if not sync_enabled(connection.engine):
        return
    documents = [document_for(resource, skip_items=gone_items) for resource in touched]
    replace(connection, documents, deleted_ids)


def replace(connection: Connection, documents: Sequence[SearchDocument], removed: Iterable[int] = ()) -> None:
    """Replace the index rows of ``documents`` and drop those of ``removed`` resource ids."""
    full_text = full_text_for(connection.dialect.name)
    ids = [d.resource_id for d in documents] + list(removed)
    if not ids:
        return
    table = SearchIndexEntry.__table__
    full_text.delete(connection, ids)
    connection.execute(delete(table).where(table.c.resource_id.in_(bindparam("ids", expanding=True))), {"ids": ids})
    if documents:
        full_text.insert_rows(connection, table, [_row(d) for d in documents])
        full_text.write(connection, documents)
    changes.prune(connection)


def _row(document: SearchDocument) -> dict[str, Any]:
    values = {**vars(document)}
    values["resource_id"] = document.resource_id
    return {name: values[name] for name in _COLUMNS}


# -- rebuilding ----------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Item:
    name: str


@dataclass(eq=False)
class _ResourceRow:
    """The columns :func:`document_for` reads, loaded without the ORM (a rebuild reads every resource)."""

    id: int
    title: str
    code: str | None
    status: str
    department_id: int
    share_type: str | None
    open_is_open: bool
    open_type: str | None
    classification_code: str
    theme: str | None
    format_class: str | None
    update_cycle: str | None
    updated_at: datetime | None
    keywords: list
    abstract: str
    extras: dict
    items: list[_Item] = field(default_factory=list)


_LOADED = [c for c in _ResourceRow.__dataclass_fields__ if c != "items"]


def load_rows(connection: Connection | Session, ids: list[int]) -> list[_ResourceRow]:
    """The columns :func:`document_for` reads for these resources, with their item names, without the ORM.

    Shared by the embedded rebuild and the Elasticsearch backend's bulk indexing.
    """
    table, items = Resource.__table__, ResourceItem.__table__
    rows = connection.execute(select(*(table.c[name] for name in _LOADED)).where(table.c.id.in_(ids)))
    found = {row.id: _ResourceRow(**row._mapping) for row in rows}
    names = connection.execute(
        select(items.c.resource_id, items.c.name).where(items.c.resource_id.in_(ids))
        .order_by(items.c.resource_id, items.c.position)
    )
    for resource_id, name in names:
        if name and resource_id in found:
            found[resource_id].items.append(_Item(name))
    return list(found.values())


def _batches(connection: Connection, since: datetime | None) -> Iterator[list[_ResourceRow]]:
    table = Resource.__table__
    query = select(table.c.id).order_by(table.c.id)
    if since is not None:
        query = query.where(table.c.updated_at >= since)
    ids = list(connection.scalars(query))
    for start in range(0, len(ids), BATCH):
        yield load_rows(connection, ids[start:start + BATCH])


def rebuild(session: Session, since: datetime | None = None,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the embedded index in the session's transaction; the caller commits.

    Without ``since`` every row is dropped first (which also removes rows of resources deleted
    behind the ORM's back); with it only resources updated at or after ``since`` are rewritten.
    Running it twice gives the same index.

    :param progress: called with (resources done, resources to do) after each batch.
    :returns: the number of resources indexed.
    """
    session.flush()
    connection = session.connection()
    full_text = full_text_for(connection.dialect.name)
    table = SearchIndexEntry.__table__
    report = progress or (lambda _done, _total: None)
    if since is not None:
        count = 0
        total = _count(connection, since)
        for batch in _batches(connection, since):
            replace(connection, [document_for(row) for row in batch])  # type: ignore[misc]
            count += len(batch)
            report(count, total)
        return count
    full_text.delete(connection, None)
    connection.execute(delete(table))
    count = 0
    with full_text.bulk_load(connection, table):
        total = _count(connection, None)
        for rows, payloads in _prepared(connection, connection.dialect.name, total):
            full_text.insert_rows(connection, table, rows)
            full_text.write_payloads(connection, payloads)
            count += len(rows)
            report(count, total)
    # The rebuild logged every row twice (deleted, inserted): caches would replay the whole index.
    changes.restart(connection)
    return count


def _count(connection: Connection, since: datetime | None) -> int:
    table = Resource.__table__
    query = select(func.count()).select_from(table)
    if since is not None:
        query = query.where(table.c.updated_at >= since)
    return connection.scalar(query) or 0


def prepare(batch: list[_ResourceRow], dialect_name: str) -> tuple[list[dict], list[dict]]:
    """The index rows and full-text rows of a batch (pure Python; runs in a worker process in big rebuilds)."""
    full_text = full_text_for(dialect_name)
    documents = [document_for(row) for row in batch]  # type: ignore[arg-type]
    return [_row(d) for d in documents], [full_text.payload(d) for d in documents]


def _prepared(connection: Connection, dialect_name: str, total: int) -> Iterator[tuple[list[dict], list[dict]]]:
    """Prepared batches in order; tokenised by worker processes when the catalog is big enough.

    The workers are spawned, not forked, so that they share no database connection with this
    process. A few batches are kept in flight: the workers tokenise while this process inserts.
    """
    workers = min(2, os.cpu_count() or 1)
    if total < PARALLEL_MIN or workers < 2:
        for batch in _batches(connection, None):
            yield prepare(batch, dialect_name)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future] = deque()
        for batch in _batches(connection, None):
            pending.append(pool.submit(prepare, batch, dialect_name))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

