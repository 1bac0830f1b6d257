"""Information resources (信息资源), their information items, distributions, pending changes and code counters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models.department import Department


class Resource(Base):
    """A catalog entry described with the national metadata profile.

    Core fields with behaviour are columns; profile extension fields live in ``extras``.
    """

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metadata_id: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    classification_code: Mapped[str] = mapped_column(String(32), index=True)
    sequence: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(40), index=True, default="draft")

    title: Mapped[str] = mapped_column(String(500))
    abstract: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    provider_unit: Mapped[str | None] = mapped_column(String(200))
    theme: Mapped[str | None] = mapped_column(String(20))

    format_class: Mapped[str | None] = mapped_column(String(20))
    format_type: Mapped[str | None] = mapped_column(String(40))
    format_description: Mapped[str | None] = mapped_column(String(500))

    share_type: Mapped[str | None] = mapped_column(String(20), index=True)
    share_condition: Mapped[str | None] = mapped_column(Text)
    share_basis: Mapped[str | None] = mapped_column(Text)
    share_method: Mapped[str | None] = mapped_column(String(20))

    # None until the cataloguer answers 是否向社会开放: an unanswered question must not read as "no".
    open_is_open: Mapped[bool | None] = mapped_column(Boolean)
    open_type: Mapped[str | None] = mapped_column(String(20))
    open_condition: Mapped[str | None] = mapped_column(Text)

    update_cycle: Mapped[str | None] = mapped_column(String(20))
    published_on: Mapped[date | None] = mapped_column(Date)
    keywords: Mapped[list] = mapped_column(default=list)
    keyword_thesaurus: Mapped[str | None] = mapped_column(String(200))
    related_codes: Mapped[list] = mapped_column(default=list)
    metadata_maintainer: Mapped[str | None] = mapped_column(String(200))
    extras: Mapped[dict] = mapped_column(default=dict)

    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime | None] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column()

    department: Mapped[Department] = relationship(lazy="joined")
    items: Mapped[list[ResourceItem]] = relationship(
        order_by="ResourceItem.position", cascade="all, delete-orphan", back_populates="resource"
    )
    distributions: Mapped[list[Distribution]] = relationship(
        order_by="Distribution.position", cascade="all, delete-orphan", back_populates="resource"
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Resource {self.id} {self.code or self.metadata_id} {self.status}>"


class ResourceItem(Base):
    """An information item (信息项) of a structured resource, with per-item share/open attributes."""

    __tablename__ = "resource_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    data_type: Mapped[str] = mapped_column(String(4))
    length: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    share_type: Mapped[str | None] = mapped_column(String(20))
    share_condition: Mapped[str | None] = mapped_column(Text)
    is_open: Mapped[bool | None] = mapped_column(Boolean)

    resource: Mapped[Resource] = relationship(back_populates="items")


class Distribution(Base):
    """How the resource is reached: an online link, a service interface, or a mounted table or file."""

    __tablename__ = "distributions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    service_type: Mapped[str | None] = mapped_column(String(100))
    media_type: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)

    resource: Mapped[Resource] = relationship(back_populates="distributions")


class ResourceChange(Base):
    """A change (变更) to a published resource, awaiting review while the published version stays visible."""

    __tablename__ = "resource_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    data: Mapped[dict] = mapped_column()
    base_version: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class CodeSequence(Base):
    """The last 顺序码 handed out under one 分类码; it only ever grows, so codes are never reused."""

    __tablename__ = "code_sequences"

    classification_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
