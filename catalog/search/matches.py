"""Bitsets of the documents matching full-text queries, kept across writes by replaying the change log.

A broad word (信息, 统计) matches most of the catalog: asking the engine for its 60,000 ids costs
35–300 ms, and the answer cache forgets it at the next write. Here each rendered engine query keeps
its match bitset labelled with the index state it was read at; after a write only the changed
resources are tested against the query (``FullText.match_among``), so the first search after a
write costs what the write changed, not what the word matches. Narrow queries, for which matching
again is cheaper than testing the changed resources, are matched again.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Engine

from catalog.search.changes import ChangeLog
from catalog.search.columns import bitset
from catalog.search.dialects import FullText

CAPACITY = 512  # queries kept per database; a bitset is at most one bit per resource (12.5 kB at 100,000)


@dataclass(frozen=True)
class _Entry:
    generation: int
    seq: int
    bits: int


class MatchCache:
    """Per database, the match bitsets of the most recently used engine queries."""

    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self._entries: weakref.WeakKeyDictionary[Engine, OrderedDict[str, _Entry]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def bits(self, connection: Connection, full_text: FullText, query: str, log: ChangeLog) -> int:
        """The bitset of resource ids matching the engine query ``query`` at the state ``log`` was read at."""
        state = log.now
        with self._lock:
            entry = self._entries.get(connection.engine, {}).get(query)
        if entry is not None and entry.generation == state.generation:
            return entry.bits
        changed = None if entry is None else log.changed_since(entry.seq, entry.generation)
        if changed and not _replay_pays(full_text, query, entry.bits, changed):
            changed = None
        if changed is None:
            ids = list(connection.execute(full_text.match_ids(query)).scalars())
            bits = bitset(ids, max(ids, default=-1) + 1)
        elif changed:
            found = full_text.match_among(connection, query, sorted(changed))
            bits = entry.bits & ~bitset(changed, max(changed) + 1)
            bits |= bitset(found, max(found, default=-1) + 1)
        else:
            bits = entry.bits
        with self._lock:
            entries = self._entries.setdefault(connection.engine, OrderedDict())
            entries[query] = _Entry(state.generation, state.seq, bits)
            entries.move_to_end(query)
            while len(entries) > self.capacity:
                entries.popitem(last=False)
        return bits

    def clear(self) -> None:
        """Forget every bitset (tests and benchmarks)."""
        with self._lock:
            self._entries.clear()


def _replay_pays(full_text: FullText, query: str, bits: int, changed: set[int]) -> bool:
    """Whether testing the changed resources is cheaper than matching again.

    On SQLite testing seeks every token's posting list once per resource (at 100,000 resources: 5–20 ms
    for 50 resources) while matching again costs about 1 ms per 1,000 matches, so a word matching a few
    thousand documents is matched again and a broad one replayed. PostgreSQL tests a resource by its
    primary key (50 resources: 1.5 ms) but matching again rechecks every match's ``tsvector`` (2,000
    matches: 30 ms): nearly every query is replayed.
    """
    tokens = max(1, query.count('"') // 2, query.count("'") // 2)
    return bits.bit_count() > REPLAY_RATIO.get(full_text.name, 100) * tokens * len(changed)


REPLAY_RATIO = {"sqlite": 100, "postgresql": 2}  # matches per token and changed resource above which replay pays
MATCHES = MatchCache()
