"""When the demo's work happened: months of history, replayed through a clock the services read.

The services stamp resources, workflow events, revisions and audit entries with ``Container.clock``.
The demo builder sets that clock to each step's moment, so the coverage trend rises month by month
and the projection has a pace to measure, instead of every event happening the minute the demo is built.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

#: How far back the demo's history reaches from the moment it is built.
HISTORY_MONTHS = 18
DAYS_PER_MONTH = 365.25 / 12
#: Days a step takes after the previous one: (fewest, most). Registration waits longest (the manager's queue).
STEP_DAYS = {
    "submit": (1, 20),
    "register": (3, 30),
    "request_publication": (1, 10),
    "publish": (2, 25),
    "return": (2, 12),
    "withdraw": (20, 120),
}
# Nothing is stamped in the last hours before the build: "today" stays a day with a known past.
MARGIN = timedelta(hours=2)
# Work starts a little more often towards the end of the period, as a catalog campaign gathers pace.
_ACCELERATION = 1.15
# Resources that cite others start in the last part of the period.
_LATE_FROM = 0.85
# The last few weeks are left for the steps of the resources started last.
_STARTS_WITHIN = 0.92


class ReplayClock:
    """A clock standing at :attr:`moment` until it is moved: ``Container.clock`` while the demo is built."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@contextmanager
def replaying(container, moment: datetime) -> Iterator[ReplayClock]:
    """Give ``container`` a :class:`ReplayClock` at ``moment`` for the block; its own clock comes back after."""
    clock = ReplayClock(moment)
    previous = container.clock
    container.clock = clock
    try:
        yield clock
    finally:
        container.clock = previous


def history_start(until: datetime, months: int = HISTORY_MONTHS) -> datetime:
    """When the demo's history begins: ``months`` before ``until``."""
    return until - timedelta(days=months * DAYS_PER_MONTH)


def plan_times(paths: Sequence[Sequence[str]], until: datetime, rng: random.Random, *,
               late: Sequence[bool] = (), months: int = HISTORY_MONTHS) -> list[list[datetime]]:
    """The moments of every entry: when it was cataloged, then one per workflow action of its path.

    Entries start at random over the period (in no particular order, so every department's work is
    spread over it), those marked ``late`` in its last part (resources citing others come after them);
    each step follows the previous one after :data:`STEP_DAYS`, and a path that would run past
    ``until`` is squeezed into the time left. Moments only grow within an entry.

    :param paths: the workflow actions of each entry, in the order the builder takes them.
    :param until: the end of the history (the moment the demo is built), aware.
    :param rng: the demo's random source for times (deterministic for a given seed).
    :param late: per entry, whether it starts in the last part of the period.
    :param months: how far back the history reaches.
    :returns: ``[[created, step1, step2 …], …]``, one list per entry.
    """
    start, latest = history_start(until, months), until - MARGIN
    span = latest - start
    planned = []
    for index, actions in enumerate(paths):
        if index < len(late) and late[index]:
            position = _LATE_FROM + (1 - _LATE_FROM) * rng.random()
        else:
            position = rng.random() ** (1 / _ACCELERATION)
        created = start + span * (_STARTS_WITHIN * position)
        moments = [created]
        for action in actions:
            low, high = STEP_DAYS.get(action, (1, 10))
            moments.append(moments[-1] + timedelta(days=rng.uniform(low, high)))
        if moments[-1] > latest:
            scale = (latest - created) / (moments[-1] - created)
            moments = [created + (moment - created) * scale for moment in moments]
        planned.append(moments)
    return planned
