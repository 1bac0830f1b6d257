"""Departments (政务部门 / 信息资源提供方) as a tree: governments, departments, organs, internal units."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow

DEPARTMENT_KINDS = ("government", "department", "organ", "internal_unit")


class Department(Base):
    """A government body that provides information resources, or one of its internal units."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(100))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    local_code: Mapped[str | None] = mapped_column(String(64))
    division: Mapped[str | None] = mapped_column(String(12))
    catalog_segment: Mapped[str | None] = mapped_column(String(3), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="department")
    in_scope: Mapped[bool] = mapped_column(Boolean, default=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    parent: Mapped[Department | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Department]] = relationship(back_populates="parent", order_by="Department.id")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Department {self.key} {self.name}>"
