"""Portal notifications (通知): a translatable subject and body for a user, or for a department's officers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base, utcnow


class Notification(Base):
    """One notice in the portal, e.g. "the harvest of mzj-portal failed", with a link to what it is about.

    The recipient is a user (``user_id``) or, when the department has no officer account yet, the
    department itself (``user_id`` NULL): then every officer of that department sees it. ``subject``
    and ``body`` are message keys (English msgids of ``catalog.i18n``) rendered in the reader's
    language with ``params``; a parameter that is itself a text is stored as ``{"zh_CN": …, "en": …}``.
    ``object_type`` / ``object_id`` name what the notice links to (``harvest_job`` 42); they are not
    foreign keys because the domain core does not know every table a notice may point at.
    ``key`` groups repeats: a new notice with the key and kind of an unread one replaces it.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(String(2000), default="")
    params: Mapped[dict] = mapped_column(default=dict)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    key: Mapped[str | None] = mapped_column(String(100))
    repeats: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column()

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} user={self.user_id} department={self.department_id}>"
