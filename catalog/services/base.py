"""What every service shares: its session, actor and container, and the audit log writer."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from catalog.actor import Actor
from catalog.container import Container
from catalog.models import AuditEvent


class Service:
    """Base of the services: they flush, never commit — the caller owns the transaction."""

    def __init__(self, container: Container, session: Session, actor: Actor):
        self.container = container
        self.session = session
        self.actor = actor

    def audit(self, action: str, object_type: str, object_id: Any, detail: dict | None = None) -> AuditEvent:
        """Append an event to the audit log (who, what, when, from which client).

        :param action: a dotted verb such as ``resource.register``.
        :param object_type: the entity stem, e.g. ``resource``.
        :param object_id: the object's id.
        :param detail: small JSON-friendly facts about the write.
        """
        event = AuditEvent(
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            actor_id=self.actor.user_id,
            actor_name=self.actor.name,
            client=self.actor.client[:200],
            detail=detail or {},
            created_at=self.container.now(),
        )
        self.session.add(event)
        return event
