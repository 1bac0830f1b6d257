"""Creating many drafts at once: the steps of ``ResourceService.create`` for a batch, with two flushes in all.

:meth:`ResourceService.create` flushes twice per resource (the row, then its revision), and each flush
also rewrites the search index. For thousands of new records (a harvest) that is most of the time, so
:func:`create_drafts` takes the same steps — the same schema, provider resolution, permission check,
field mapping, first revision and audit event — for a whole batch. ``tests/harvest/test_bulk.py`` checks
that what it writes is what ``create`` writes, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlalchemy.orm.attributes import set_committed_value

from catalog import permissions as perm
from catalog.db import utcnow
from catalog.errors import MuluError
from catalog.i18n import message
from catalog.models import AuditEvent, Resource, Revision

if TYPE_CHECKING:
    from catalog.services.resource import ResourceService


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
