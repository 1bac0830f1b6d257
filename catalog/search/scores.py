"""Relevance scores of the documents matching narrow full-text queries, kept across writes where the engine allows.

A query matching at most ``SCORED_MATCHES`` documents is paged by the engine's score within the
relevance tiers. PostgreSQL's ``ts_rank_cd`` reads each match's ``tsvector`` (2,000 matches: 30–60 ms)
but depends on nothing else, so after a write only the changed resources are scored again and the
cached scores stay exact. SQLite's bm25 depends on the whole corpus (document count, average length,
each token's document frequency): every write changes every score, so there the scores are cached per
generation only.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Engine

from catalog.search.changes import ChangeLog
from catalog.search.dialects import FullText, TextQuery

CAPACITY = 256  # queries kept per database; each holds at most a few thousand scores


@dataclass(frozen=True)
class _Entry:
    generation: int
    seq: int
    scores: dict[int, float]


class ScoreCache:
    """Per database, the scores of the most recently ranked engine queries (lower ranks first)."""

    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self._entries: weakref.WeakKeyDictionary[Engine, OrderedDict[str, _Entry]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def scores(self, connection: Connection, full_text: FullText, query: TextQuery, log: ChangeLog) -> dict[int, float]:
        """Every document matching ``query`` with its score, at the state ``log`` was read at.

        :returns: a dict the caller must not change.
        """
        state = log.now
        rendered = full_text.render_query(query)
        with self._lock:
            entry = self._entries.get(connection.engine, {}).get(rendered)
        if entry is not None and entry.generation == state.generation:
            return entry.scores
        changed = None
        if entry is not None and not full_text.corpus_scores:
            changed = log.changed_since(entry.seq, entry.generation)
            if changed is not None and len(changed) > len(entry.scores):
                changed = None  # scoring them would cost more than scoring every match again
        if changed is None:
            scores = dict(full_text.scores(connection, rendered))
        else:
            scores = {i: s for i, s in entry.scores.items() if i not in changed}
            if changed:
                scores.update(full_text.scores(connection, rendered, sorted(changed)))
        with self._lock:
            entries = self._entries.setdefault(connection.engine, OrderedDict())
            entries[rendered] = _Entry(state.generation, state.seq, scores)
            entries.move_to_end(rendered)
            while len(entries) > self.capacity:
                entries.popitem(last=False)
        return scores

    def clear(self) -> None:
        """Forget every score (tests and benchmarks)."""
        with self._lock:
            self._entries.clear()


SCORES = ScoreCache()
