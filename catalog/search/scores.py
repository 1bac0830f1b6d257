"""Relevance scores of the documents matching narrow full-text queries, kept across writes where the engine allows.

A query matching at most ``SCORED_MATCHES`` documents is paged by the engine's score within the
relevance tiers. PostgreSQL's ``ts_rank_cd`` reads each match's ``tsvector`` (2,000 matches: 30–60 ms)
but depends on nothing else, so after a write only the changed resources are scored again and the
cached scores stay exact. SQLite's bm25 depends on the whole corpus (document count, average length,
each token's document frequency): a write moves every score a little (one resource in 100,000: by about
one part in 100,000). There the changed resources are scored again too and the others keep scores
computed at most :data:`STALE_WRITES` writes earlier; then everything is scored again. Tiers, not
scores, carry the ranking's promises (exact title first, then title matches …), and only near-ties
within a tier can order differently for that while.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from catalog.search.changes import ChangeLog
from catalog.search.columns import Cache
from catalog.search.dialects import FullText, TextQuery

CAPACITY = 256  # queries kept (all databases together); each holds at most a few thousand scores
STALE_WRITES = 100  # writes after which corpus-dependent scores (SQLite's bm25) are all computed again


@dataclass(frozen=True)
class _Entry:
    generation: int
    seq: int
    scores: dict[int, float]
    scored_at: int  # the seq at which every score was computed


class ScoreCache:
    """Per database, the scores of the most recently ranked engine queries (lower ranks first)."""

    def __init__(self, capacity: int = CAPACITY):
        self._entries = Cache(capacity)  # keyed by (database URL, engine query)

    def scores(self, connection: Connection, full_text: FullText, query: TextQuery, log: ChangeLog,
               matching: int | None = None) -> dict[int, float]:
        """Every document matching ``query`` with its score, at the state ``log`` was read at.

        :param matching: the bitset of documents matching ``query`` at that state, when the caller has it:
            then only the changed resources that match are scored again (SQLite scores a listed resource
            by seeking each token's posting list: 50 of them cost more than scoring a narrow query anew).
        :returns: a dict the caller must not change.
        """
        state = log.now
        rendered = full_text.render_query(query)
        key = (connection.engine.url.render_as_string(), rendered)
        entry = self._entries.get(key)
        if entry is not None and entry.generation == state.generation:
            return entry.scores
        changed = None
        if entry is not None and (not full_text.corpus_scores or state.seq - entry.scored_at <= STALE_WRITES):
            changed = log.changed_since(entry.seq, entry.generation)
            if changed is not None and len(changed) > len(entry.scores):
                changed = None  # scoring them would cost more than scoring every match again
        scored_at = entry.scored_at if changed is not None else state.seq
        if changed is None:
            scores = dict(full_text.scores(connection, rendered))
        else:
            scores = {i: s for i, s in entry.scores.items() if i not in changed}
            wanted = sorted(i for i in changed if matching is None or matching >> i & 1)
            if wanted:
                scores.update(full_text.scores(connection, rendered, wanted))
        self._entries.put(key, _Entry(state.generation, state.seq, scores, scored_at))
        return scores

    def clear(self) -> None:
        """Forget every score (tests and benchmarks)."""
        self._entries.clear()


SCORES = ScoreCache()
