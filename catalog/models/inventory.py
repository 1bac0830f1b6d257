"""The coverage audit's tables: the expected inventory (资源清单), coverage snapshots and link checks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models.department import Department
from catalog.models.resource import Resource

#: Where an expected resource comes from (资源梳理): a duty (职责), an administrative matter (事项) or an
#: information system (信息系统).
INVENTORY_SOURCES = ("duty", "matter", "system")


class InventoryItem(Base):
    """A resource a department is expected to catalog (目录预编): the denominator of coverage.

    ``resource_id`` is the resource that fulfils the item, confirmed by a person (``linked_by_*``,
    ``linked_at``); ``suggested_resource_id`` and ``suggestion_score`` are the matcher's proposal,
    which nobody has confirmed yet; ``rejected_resource_ids`` the proposals a person rejected.
    ``title_key`` is the folded title, unique within the department.
    """

    __tablename__ = "inventory_items"
    __table_args__ = (UniqueConstraint("department_id", "title_key", name="uq_inventory_items_department_title"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    title_key: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(20), default="duty")
    basis: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    item_names: Mapped[list] = mapped_column(default=list)

    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"), index=True)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_by_name: Mapped[str | None] = mapped_column(String(100))
    linked_at: Mapped[datetime | None] = mapped_column()

    suggested_resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"))
    suggestion_score: Mapped[float | None] = mapped_column(Float)
    suggested_at: Mapped[datetime | None] = mapped_column()
    #: Resources a person said do not fulfil the item: never suggested for it again.
    rejected_resource_ids: Mapped[list] = mapped_column(default=list, server_default="[]")

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department] = relationship(lazy="joined")
    resource: Mapped[Resource | None] = relationship(foreign_keys=[resource_id])
    suggested_resource: Mapped[Resource | None] = relationship(foreign_keys=[suggested_resource_id])

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<InventoryItem {self.id} {self.title}>"


class CoverageSnapshot(Base):
    """The coverage figures as they were reported on a day (``mulu coverage snapshot``, a monthly cron).

    Figures computed later from the workflow history use the inventory as it is then; a snapshot keeps
    what the planners were told at the time.
    """

    __tablename__ = "coverage_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    target: Mapped[float] = mapped_column(Float)
    figures: Mapped[dict] = mapped_column()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkCheck(Base):
    """The health of one URL of the catalog's distributions, kept by ``mulu links check``.

    Keyed by the URL, not the distribution: editing a resource replaces its distribution rows, and the
    URL's history should survive that. ``failures`` counts consecutive failed checks; a link is
    ``broken`` only after repeated failures (see :mod:`catalog.coverage.links`).
    """

    __tablename__ = "link_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    broken: Mapped[bool] = mapped_column(Boolean, default=False)
    last_ok_at: Mapped[datetime | None] = mapped_column()
