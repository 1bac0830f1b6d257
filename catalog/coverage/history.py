"""Where each resource stood on any past date, replayed from its workflow events.

A resource's *stage* at a moment is what coverage counts: 0 not cataloged, 1 cataloged (submitted for
review), 2 registered (it holds a code), 3 published. The stage follows the state the resource was in
at that moment, so a resource withdrawn after the date still counts as published on it, and one
withdrawn before does not. A returned resource counts as registered when it was registered before,
and as not cataloged otherwise (its cataloguing was sent back).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

NOT_CATALOGED, CATALOGED, REGISTERED, PUBLISHED = 0, 1, 2, 3
STAGES = ("not_cataloged", "cataloged", "registered", "published")

# States that can only be reached once the resource holds a code.
_HAS_CODE = frozenset({"registered", "pending_publication", "published", "withdrawn"})
_STAGE = {
    "draft": NOT_CATALOGED,
    "pending_department_review": CATALOGED,
    "pending_registration": CATALOGED,
    "registered": REGISTERED,
    "pending_publication": REGISTERED,
    "published": PUBLISHED,
    "withdrawn": REGISTERED,
}


def stage_of(state: str, registered: bool) -> int:
    """The coverage stage of a workflow state.

    :param state: a key of :data:`catalog.workflow.STATES`.
    :param registered: whether the resource was registered (holds a code) by then.
    """
    if state == "returned":
        return REGISTERED if registered else NOT_CATALOGED
    stage = _STAGE.get(state, NOT_CATALOGED)
    return max(stage, REGISTERED) if registered and stage == CATALOGED else stage


def end_of_day(day: date, timezone: tzinfo) -> datetime:
    """The first moment after ``day`` in the catalog's time zone, in UTC: events before it happened on or before ``day``."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone).astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; Mulu stores UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass
class Timeline:
    """The stage of one resource after each of its events, in time order."""

    department_id: int
    times: list[datetime] = field(default_factory=list)
    stages: list[int] = field(default_factory=list)

    def stage_at(self, cutoff: datetime) -> int:
        """The stage the resource was in just before ``cutoff`` (0 before its first event)."""
        index = bisect.bisect_left(self.times, cutoff)
        return self.stages[index - 1] if index else NOT_CATALOGED


@dataclass(frozen=True)
class EventRow:
    """One workflow event as the replay needs it."""

    resource_id: int
    created_at: datetime
    to_status: str
    id: int = 0


@dataclass(frozen=True)
class ResourceRow:
    """A resource as the replay needs it: its department, current state, and when it was created."""

    id: int
    department_id: int
    status: str
    created_at: datetime


class History:
    """Timelines of every resource, answering "which stage was each resource in at this moment?"."""

    def __init__(self, resources: Iterable[ResourceRow], events: Iterable[EventRow]):
        self.timelines: dict[int, Timeline] = {}
        resources = list(resources)
        for resource in resources:
            self.timelines[resource.id] = Timeline(resource.department_id)
        registered: dict[int, bool] = {}
        for event in sorted(events, key=lambda e: (as_utc(e.created_at), e.id)):
            timeline = self.timelines.get(event.resource_id)
            if timeline is None:
                continue
            registered[event.resource_id] = registered.get(event.resource_id, False) or event.to_status in _HAS_CODE
            timeline.times.append(as_utc(event.created_at))
            timeline.stages.append(stage_of(event.to_status, registered[event.resource_id]))
        for resource in resources:
            timeline = self.timelines[resource.id]
            if not timeline.times and resource.status != "draft":
                # Written without events (a raw insert, a future bulk loader): the best evidence of its
                # history is that it has been in its current state since it was created.
                timeline.times.append(as_utc(resource.created_at))
                timeline.stages.append(stage_of(resource.status, resource.status in _HAS_CODE))

    def stages_at(self, cutoff: datetime) -> dict[int, int]:
        """The stage of every resource just before ``cutoff`` (a UTC moment)."""
        return {resource_id: timeline.stage_at(cutoff) for resource_id, timeline in self.timelines.items()}

    def first_event(self) -> datetime | None:
        """When the earliest event happened, or ``None`` without any."""
        firsts = [timeline.times[0] for timeline in self.timelines.values() if timeline.times]
        return min(firsts) if firsts else None

    def department_of(self) -> Mapping[int, int]:
        """The department of every resource."""
        return {resource_id: timeline.department_id for resource_id, timeline in self.timelines.items()}
