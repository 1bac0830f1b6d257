"""The index's change log: the state a cache is labelled with, and which resources changed since then.

Every write to ``search_index`` bumps ``search_state.seq``, replaces the random generation token
and logs ``(seq, resource_id, generation)`` in ``search_changes`` (triggers of migration 0006).
Writers queue on the ``search_state`` row (the trigger updates it), so seqs are handed out in the
order transactions commit. A cache built at ``(seq, generation)`` catches up by re-reading only the
resources logged after its seq — provided the log still has its own ``(seq, generation)`` row: a
cache built inside a transaction that then rolled back carries a pair that never committed, and
must be rebuilt from scratch (another write may since have committed under the same seq).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

# Caches replay at most this many changed resources; beyond it reading everything again is as cheap.
REPLAY_MAX = 5000
# The log keeps about this many seqs; writers prune it when it holds twice as many.
KEEP = 20_000


@dataclass(frozen=True)
class IndexState:
    """What a cache of the index is labelled with."""

    generation: int  # random, replaced by every write: equal tokens mean identical indexes
    seq: int  # the number of the last logged write
    floor: int  # the oldest seq still in the log

    @classmethod
    def read(cls, connection: Connection) -> IndexState:
        """The state as this connection sees it (its own uncommitted writes included)."""
        row = connection.execute(text("SELECT generation, seq, floor FROM search_state WHERE id = 1")).first()
        return cls(*row) if row is not None else cls(0, 0, 0)


class ChangeLog:
    """The log as one search reads it: fetched once, from the oldest state any of its caches is labelled with."""

    def __init__(self, connection: Connection, now: IndexState):
        self.connection = connection
        self.now = now
        self._start: int | None = None
        self._rows: list[tuple[int, int, int]] = []
        self._complete = False
        self.memo: dict = {}  # what the engine read about changed resources, shared by one search's caches

    def changed_since(self, seq: int, generation: int, limit: int = REPLAY_MAX) -> set[int] | None:
        """The ids of resources whose index rows were written after ``(seq, generation)``, up to :attr:`now`.

        :returns: the ids (deleted resources included), or ``None`` when the log cannot tell: the pair was
            never committed, was pruned, lies ahead of ``now``, or more than ``limit`` resources changed.
        """
        if generation == self.now.generation:
            return set()
        if not self.now.floor <= seq < self.now.seq:
            return None
        if self._start is None or seq < self._start:
            cap = 2 * limit + 2  # SQLite logs a row per index row: a reindexed resource is deleted, then inserted
            self._rows = self.connection.execute(
                text("SELECT seq, resource_id, generation FROM search_changes WHERE seq >= :start AND seq <= :upto "
                     "ORDER BY seq LIMIT :cap"), {"start": seq, "upto": self.now.seq, "cap": cap}).all()
            self._start, self._complete = seq, len(self._rows) < cap
        if not self._complete:
            return None
        labelled, changed = False, set()
        for row_seq, resource_id, row_generation in self._rows:
            if row_seq == seq:
                labelled = labelled or row_generation == generation
            elif row_seq > seq and resource_id >= 0:
                changed.add(resource_id)
        return changed if labelled and len(changed) <= limit else None


def restart(connection: Connection) -> None:
    """Empty the log and move the floor to the current seq (after a full rebuild: every cache reloads)."""
    connection.execute(text("DELETE FROM search_changes"))
    connection.execute(text("UPDATE search_state SET floor = seq WHERE id = 1"))
    connection.execute(text("INSERT INTO search_changes (seq, resource_id, generation) "
                            "SELECT seq, -1, generation FROM search_state WHERE id = 1"))


def prune(connection: Connection, keep: int | None = None) -> None:
    """Drop the oldest log rows once the log holds about ``2 × keep`` seqs (called by index writers).

    :param keep: seqs to keep; :data:`KEEP` when omitted.
    """
    keep = KEEP if keep is None else keep
    state = IndexState.read(connection)
    if state.seq - state.floor <= 2 * keep:
        return
    cutoff = state.seq - keep
    connection.execute(text("DELETE FROM search_changes WHERE seq < :cutoff"), {"cutoff": cutoff})
    # The row at the cutoff must exist for caches labelled with it: SQLite logs a row per seq and
    # PostgreSQL a marker per statement, so only a floor left by restart() could lack one.
    connection.execute(text("UPDATE search_state SET floor = :cutoff WHERE id = 1"), {"cutoff": cutoff})
