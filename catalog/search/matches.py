"""Bitsets of the documents matching full-text queries, kept across writes by replaying the change log.

A broad word (信息, 统计) matches most of the catalog: asking the engine for its 60,000 ids costs
35–300 ms, and the answer cache forgets it at the next write. Here each rendered engine query keeps
its match bitset labelled with the index state it was read at; after a write only the changed
resources are tested against the query (``FullText.match_among``: on SQLite in Python, on the stored
tokens), so the first search after a write costs what the write changed, not what the word matches.
Narrow queries, for which matching again is cheaper than testing the changed resources, are matched again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from catalog.search.changes import ChangeLog
from catalog.search.columns import Cache, bitset
from catalog.search.dialects import FullText, TextQuery

CAPACITY = 512  # queries kept (all databases together); a bitset is at most one bit per resource (12.5 kB at 100,000)


@dataclass(frozen=True)
class _Entry:
    generation: int
    seq: int
    bits: int


class MatchCache:
    """Per database, the match bitsets of the most recently used engine queries."""

    def __init__(self, capacity: int = CAPACITY):
        self._entries = Cache(capacity)  # keyed by (database URL, engine query)

    def bits(self, connection: Connection, full_text: FullText, query: TextQuery, log: ChangeLog) -> int:
        """The bitset of resource ids matching ``query`` at the state ``log`` was read at."""
        state = log.now
        rendered = full_text.render_query(query)
        key = (connection.engine.url.render_as_string(), rendered)
        entry = self._entries.get(key)
        if entry is not None and entry.generation == state.generation:
            return entry.bits
        changed = None if entry is None else log.changed_since(entry.seq, entry.generation)
        if changed and not _replay_pays(full_text, entry.bits, changed):
            changed = None
        if changed is None:
            ids = list(connection.execute(full_text.match_ids(rendered)).scalars())
            bits = bitset(ids, max(ids, default=-1) + 1)
        elif changed:
            found = full_text.match_among(connection, query, sorted(changed), log.memo)
            bits = entry.bits & ~bitset(changed, max(changed) + 1)
            bits |= bitset(found, max(found, default=-1) + 1)
        else:
            bits = entry.bits
        self._entries.put(key, _Entry(state.generation, state.seq, bits))
        return bits

    def clear(self) -> None:
        """Forget every bitset (tests and benchmarks)."""
        self._entries.clear()


def _replay_pays(full_text: FullText, bits: int, changed: set[int]) -> bool:
    """Whether testing the changed resources is cheaper than matching again (by :data:`REPLAY_COSTS`).

    SQLite: matching again costs about 3 ms plus 1.5 µs per match (统计数据, 30,000 matches: 46 ms),
    testing a changed resource about 40 µs (read by rowid, tested in Python). PostgreSQL tests a
    resource by its primary key (50 resources: 1.5 ms) but matching again rechecks the ``tsvector`` of
    every document holding the tokens — for a query limited to the title, many more than match it
    (社会保险 in titles: 20–30 ms). Either way a few hundred writes are replayed.
    """
    fixed, per_match, per_changed = REPLAY_COSTS.get(full_text.name, REPLAY_COSTS["sqlite"])
    return per_changed * len(changed) < fixed + per_match * bits.bit_count()


# Estimated µs of matching again (fixed, per match) and of testing one changed resource, per engine.
REPLAY_COSTS = {"sqlite": (3000, 1.5, 40), "postgresql": (20000, 15, 30)}
MATCHES = MatchCache()
