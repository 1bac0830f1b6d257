"""User accounts and their roles (编目员, 部门审核员, 目录管理员, 规划审计员, 系统管理员)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models.department import Department

ROLES = ("officer", "reviewer", "manager", "auditor", "admin")


class User(Base):
    """A person who signs in; the password is stored only as an Argon2 hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()

    department: Mapped[Department | None] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
