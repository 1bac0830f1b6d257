"""NotificationService: notices in the portal — sent to a user or to a department's officers, listed, marked read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, func, or_, select, update

from catalog.db import utcnow
from catalog.errors import NotFoundError
from catalog.i18n import LOCALES, Message, Text, message
from catalog.models import Department, Notification, User
from catalog.services.base import Service

#: Who is told about a department's problems (harvest failures …).
RECIPIENT_ROLES = ("officer",)


@dataclass(frozen=True)
class Rendered:
    """A notification in one language."""

    subject: str
    body: str


def _stored(value: Any) -> Any:
    """A parameter as JSON: texts and messages rendered in every locale, plain values as they are."""
    if isinstance(value, Message | Text):
        return {locale: value.render(locale) for locale in LOCALES}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping) and set(value) <= set(LOCALES):
        return dict(value)
    return str(value)


def _loaded(value: Any) -> Any:
    if isinstance(value, Mapping) and value and set(value) <= set(LOCALES):
        return Text({"zh": value.get("zh_CN") or value.get("en") or "", "en": value.get("en") or value.get("zh_CN") or ""})
    return value


def render(notification: Notification, locale: str) -> Rendered:
    """A notification's subject and body in ``locale`` (the reader's language, not the sender's)."""
    params = {key: _loaded(value) for key, value in (notification.params or {}).items()}
    body = Message(notification.body, params).render(locale) if notification.body else ""
    return Rendered(Message(notification.subject, params).render(locale), body)


class NotificationService(Service):
    """Send notices (no permission needed: the system sends them) and let each reader see and clear their own.

    Services flush, callers commit.
    """

    # -- sending --------------------------------------------------------------------------------

    def owning_department(self, department_id: int) -> Department:
        """The department that answers for ``department_id``: itself, or for an internal unit the first parent that is not one.

        :raises NotFoundError: when there is no such department.
        """
        department = self.session.get(Department, department_id)
        if department is None:
            raise NotFoundError(message("There is no department with the id {id}.", id=department_id))
        while department.kind == "internal_unit" and department.parent is not None:
            department = department.parent
        return department

    def officers(self, department_id: int) -> list[User]:
        """The active officers who answer for a department: those of the department itself and, for an
        internal unit, of the units and the department above it (they own it; officers elsewhere do not)."""
        chain = [self.session.get(Department, department_id)]
        while chain[-1] is not None and chain[-1].kind == "internal_unit" and chain[-1].parent is not None:
            chain.append(chain[-1].parent)
        ids = [d.id for d in chain if d is not None]
        return list(self.session.scalars(select(User).where(
            User.department_id.in_(ids), User.role.in_(RECIPIENT_ROLES), User.is_active.is_(True)).order_by(User.id)))

    def notify_department(self, department_id: int, kind: str, subject: Message, body: Message | None = None, *,
                          object_type: str | None = None, object_id: int | None = None,
                          key: str | None = None) -> list[Notification]:
        """Tell a department's officers (:meth:`officers`), one notification each.

        With no officer account yet, one notification goes to the department itself; every officer
        who owns the department sees it then (and marking it read marks it for all of them).

        :param kind: a stable word for filtering and icons, e.g. ``harvest_failed``.
        :param subject: the headline; its parameters are stored with it and rendered in the reader's language.
        :param body: the details (parameters merged with the subject's).
        :param object_type: what the notice links to, e.g. ``harvest_job``, with ``object_id``.
        :param key: groups repeats (e.g. ``harvest_source:12``): an unread notice of the same key and kind
            is brought up to date instead of a second one being added.
        :returns: the notifications written or refreshed (flushed).
        """
        owner = self.owning_department(department_id)
        recipients = self.officers(department_id)
        targets = [(user.id, owner.id) for user in recipients] or [(None, owner.id)]
        written = [self._send(user_id, dept_id, kind, subject, body, object_type, object_id, key)
                   for user_id, dept_id in targets]
        self.session.flush()
        return written

    def notify_user(self, user_id: int, kind: str, subject: Message, body: Message | None = None, *,
                    object_type: str | None = None, object_id: int | None = None,
                    key: str | None = None) -> Notification:
        """Tell one user (see :meth:`notify_department` for the parameters).

        :returns: the notification written or refreshed (flushed).
        """
        written = self._send(user_id, None, kind, subject, body, object_type, object_id, key)
        self.session.flush()
        return written

    def _send(self, user_id, department_id, kind, subject, body, object_type, object_id, key) -> Notification:
        params = {k: _stored(v) for k, v in {**(body.params if body else {}), **subject.params}.items()}
        existing = None
        if key is not None:
            recipient = (Notification.user_id == user_id if user_id is not None
                         else and_(Notification.user_id.is_(None), Notification.department_id == department_id))
            existing = self.session.scalars(select(Notification).where(
                recipient, Notification.key == key, Notification.kind == kind, Notification.read_at.is_(None))
                .order_by(Notification.id.desc()).limit(1)).first()
        if existing is not None:
            # A source failing every hour must not bury its officers in notices: the unread one is refreshed.
            existing.subject, existing.body, existing.params = subject.msgid, body.msgid if body else "", params
            existing.object_type, existing.object_id = object_type, object_id
            existing.repeats = (existing.repeats or 1) + 1
            existing.created_at = utcnow()
            return existing
        notification = Notification(user_id=user_id, department_id=department_id, kind=kind, subject=subject.msgid,
                                    body=body.msgid if body else "", params=params, object_type=object_type,
                                    object_id=object_id, key=key, repeats=1, created_at=utcnow())
        self.session.add(notification)
        return notification

    # -- reading --------------------------------------------------------------------------------

    def _mine(self):
        """The condition selecting the actor's notifications: addressed to them, or to a department they answer for."""
        actor = self.actor
        if actor.is_anonymous or actor.user_id is None:
            return false()
        conditions = [Notification.user_id == actor.user_id]
        if actor.role in RECIPIENT_ROLES and actor.department_ids:
            conditions.append(and_(Notification.user_id.is_(None), Notification.department_id.in_(actor.department_ids)))
        return or_(*conditions)

    def list(self, *, unread: bool = False, limit: int = 50, offset: int = 0) -> list[Notification]:
        """The actor's notifications, newest first.

        :param unread: only those not read yet.
        """
        query = select(Notification).where(self._mine())
        if unread:
            query = query.where(Notification.read_at.is_(None))
        query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit).offset(offset)
        return list(self.session.scalars(query))

    def count(self, *, unread: bool = False) -> int:
        """How many notifications the actor has (``unread``: not read yet) — the badge in the menu."""
        query = select(func.count()).select_from(Notification).where(self._mine())
        if unread:
            query = query.where(Notification.read_at.is_(None))
        return self.session.scalar(query) or 0

    def get(self, notification_id: int) -> Notification:
        """One of the actor's notifications.

        :raises NotFoundError: when there is none (or it is somebody else's).
        """
        found = self.session.scalars(select(Notification).where(Notification.id == notification_id, self._mine())).first()
        if found is None:
            raise NotFoundError(message("Notification {id} was not found.", id=notification_id))
        return found

    def mark_read(self, notification_id: int) -> Notification:
        """Mark one of the actor's notifications read (again is harmless).

        :raises NotFoundError: when it is not the actor's.
        """
        found = self.get(notification_id)
        if found.read_at is None:
            found.read_at = utcnow()
            self.session.flush()
        return found

    def mark_all_read(self) -> int:
        """Mark every unread notification of the actor read.

        :returns: how many were marked.
        """
        result = self.session.execute(update(Notification).where(self._mine(), Notification.read_at.is_(None))
                                      .values(read_at=utcnow()).execution_options(synchronize_session=False))
        self.session.expire_all()
        return result.rowcount or 0
