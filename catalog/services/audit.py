"""AuditService: reading the audit log (written by every service through ``Service.audit``)."""

from __future__ import annotations

from sqlalchemy import select

from catalog import permissions as perm
from catalog.i18n import message
from catalog.models import AuditEvent
from catalog.services.base import Service


class AuditService(Service):
    """The audit log, newest first; auditors and administrators only."""

    def list(self, *, limit: int = 100, action: str | None = None, object_type: str | None = None,
             object_id: str | None = None) -> list[AuditEvent]:
        """Audit events, newest first.

        :param limit: at most this many (capped at 10,000).
        :param action: only actions starting with this (``resource.`` or ``resource.register``).
        :param object_type: only events about this kind of object (``resource``, ``department``, ``user``).
        :param object_id: only events about this object.
        :raises PermissionDeniedError: unless the actor may read the audit log.
        """
        perm.require(perm.can_read_audit_log(self.actor), message("read the audit log"))
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(max(1, min(limit, 10_000)))
        if action:
            query = query.where(AuditEvent.action.startswith(action, autoescape=True))
        if object_type:
            query = query.where(AuditEvent.object_type == object_type)
        if object_id is not None:
            query = query.where(AuditEvent.object_id == str(object_id))
        return list(self.session.scalars(query))
