"""Writing a batch of harvested records at once: the lookups a batch needs in a few queries, and drafts created together.

:meth:`catalog.services.resource.ResourceService.create` flushes twice per resource (the row, then
its revision); each flush also rewrites the search index. For a harvest of thousands of new records
that is most of the time, so :func:`create_drafts` takes the same steps — the same schema, provider
resolution, permission check, field mapping (``ResourceService._apply``), first revision and audit
event — for a whole batch with two flushes in all. ``tests/harvest/test_bulk.py`` checks that what it
writes is what ``create`` writes, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from catalog import permissions as perm
from catalog.db import utcnow
from catalog.errors import MuluError
from catalog.i18n import message
from catalog.models import AuditEvent, Resource, Revision
from catalog.services.resource import ResourceService
from harvesters.models import HarvestLink, HarvestSource

CLAIM_KEYS = (("metadata_id", Resource.metadata_id), ("code", Resource.code))


def claim_values(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (key, value) pairs by which resource input names an existing resource (元数据标识符, 信息资源代码)."""
    return [(key, value.strip()) for key, _column in CLAIM_KEYS
            if isinstance(value := data.get(key), str) and value.strip()]


class Lookups:
    """What deciding about a batch of new records needs, read in a few queries instead of several per record."""

    def __init__(self, session, source: HarvestSource):
        self.session = session
        self.source = source
        self.links: dict[str, HarvestLink] = {}
        self.others: dict[str, HarvestLink] = {}
        self.claimed: dict[tuple[str, str], Resource] = {}
        self.owners: dict[int, HarvestLink] = {}
        self.sources: dict[int, HarvestSource] = {source.id: source}

    def load_links(self, remote_ids: Sequence[str]) -> None:
        """This source's links of these remote ids."""
        for start in range(0, len(remote_ids), 500):
            chunk = list(remote_ids[start:start + 500])
            self.links.update((link.remote_id, link) for link in self.session.scalars(select(HarvestLink).where(
                HarvestLink.source_id == self.source.id, HarvestLink.remote_id.in_(chunk))))

    def load_claims(self, remote_ids: Sequence[str], datas: Iterable[Mapping[str, Any]]) -> None:
        """Other sources' links of these remote ids, the resources the input names, and who harvests those."""
        ids = list(remote_ids)
        if ids:
            for link in self.session.scalars(select(HarvestLink).where(
                    HarvestLink.remote_id.in_(ids), HarvestLink.source_id != self.source.id,
                    HarvestLink.resource_id.is_not(None)).order_by(HarvestLink.id)):
                self.others.setdefault(link.remote_id, link)
        values: dict[str, set[str]] = {key: set() for key, _column in CLAIM_KEYS}
        for data in datas:
            for key, value in claim_values(data):
                values[key].add(value)
        conditions = [column.in_(sorted(values[key])) for key, column in CLAIM_KEYS if values[key]]
        if conditions:
            for resource in self.session.scalars(select(Resource).where(or_(*conditions))):
                for key, _column in CLAIM_KEYS:
                    if getattr(resource, key):
                        self.claimed.setdefault((key, getattr(resource, key)), resource)
        if self.claimed:
            resource_ids = sorted({r.id for r in self.claimed.values()})
            for link in self.session.scalars(select(HarvestLink).where(HarvestLink.resource_id.in_(resource_ids))):
                self.owners[link.resource_id] = link

    def claimed_by(self, data: Mapping[str, Any]) -> Resource | None:
        """The resource the input names, metadata identifier first (as a query with ``or_`` finds it)."""
        for pair in claim_values(data):
            if pair in self.claimed:
                return self.claimed[pair]
        return None

    def source_of(self, source_id: int) -> HarvestSource:
        if source_id not in self.sources:
            self.sources[source_id] = self.session.get(HarvestSource, source_id)
        return self.sources[source_id]


def create_drafts(service: ResourceService,
                  items: Sequence[tuple[Mapping[str, Any], str | None]]) -> list[Resource | MuluError]:
    """Create drafts like ``service.create(data, draft=True, comment=…)`` does, for many at once.

    An input that does not load (or whose provider may not be catalogued for) gets its error in
    its place and adds nothing; the others are written with two flushes in all. If the flush
    itself fails the exception propagates: the caller wraps the call in a SAVEPOINT and falls back
    to one ``create`` per record.

    :param items: (resource input, revision comment) pairs.
    :returns: per item, the new resource (flushed, with its first revision and audit event) or the error.
    """
    container, session, actor = service.container, service.session, service.actor
    results: list[Resource | MuluError] = []
    departments: dict[Any, tuple] = {}
    with session.no_autoflush:
        for data, _comment in items:
            try:
                loaded = service.schema.load(data, draft=True)
                ref = loaded.get("department")
                key = tuple(sorted(ref.items())) if isinstance(ref, Mapping) else ref
                if key not in departments:
                    departments[key] = service._resolve_department(ref)
                department, unit = departments[key]
                perm.require(perm.can_create_resource(actor, department.id),
                             message("catalog resources for this department"))
                now = container.now()
                resource = Resource(metadata_id=f"metadata_{uuid.uuid4().hex}", status="draft",
                                    department_id=department.id, department=department, created_by_id=actor.user_id,
                                    updated_by_id=actor.user_id, created_at=now, updated_at=now, extras={}, keywords=[],
                                    related_codes=[])
                # Empty, not unloaded: otherwise the revision's snapshot and the index would each load them
                # back from the database, one query per resource (set without events: nothing to cascade yet).
                set_committed_value(resource, "items", [])
                set_committed_value(resource, "distributions", [])
                service._apply(resource, loaded, department, unit)  # may refuse: the resource is not added then
            except MuluError as exc:
                results.append(exc)
                continue
            session.add(resource)
            results.append(resource)
    created = [(r, comment) for r, (_data, comment) in zip(results, items, strict=True) if isinstance(r, Resource)]
    if not created:
        return results
    service._flush()
    # The first revision and the audit event of each, as ResourceService._record and Service.audit write them,
    # inserted in two statements rather than as two ORM objects per resource.
    now = container.now()
    session.execute(insert(Revision), [
        {"resource_id": r.id, "number": 1, "snapshot": service.to_json(r), "action": "create", "comment": comment,
         "actor_id": actor.user_id, "actor_name": actor.name, "created_at": now} for r, comment in created])
    session.execute(insert(AuditEvent), [
        {"action": "resource.create", "object_type": "resource", "object_id": str(r.id), "actor_id": actor.user_id,
         "actor_name": actor.name, "client": actor.client[:200], "detail": {"title": r.title}, "created_at": utcnow()}
        for r, _comment in created])
    return results
