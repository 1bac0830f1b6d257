"""Link checks run by run: what ``mulu links check`` found for each URL, beside the per-URL state in ``link_checks``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow


class LinkCheckRun(Base):
    """One run of ``mulu links check``: when, by whom, and how many URLs answered, failed or were skipped.

    ``newly_broken`` counts the links this run pushed over the consecutive-failure threshold.
    """

    __tablename__ = "link_check_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    checked: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    newly_broken: Mapped[int] = mapped_column(Integer, default=0)
    actor_name: Mapped[str] = mapped_column(String(100), default="")

    results: Mapped[list[LinkCheckResult]] = relationship(back_populates="run", cascade="all, delete-orphan",
                                                          passive_deletes=True)


class LinkCheckResult(Base):
    """The outcome of one URL in one run: ``ok``, or the ``reason`` it failed or was skipped.

    ``reason`` is ``http_status``, ``timeout``, ``unreachable``, ``unresolvable``, ``redirect_loop``,
    ``too_many_redirects``, ``scheme`` (not http/https), ``refused`` (the host policy: a private address
    or a denied host; skipped, not failed) or ``error``. ``link_id`` is the URL's ``link_checks`` row
    (none for skipped URLs, which never count for or against a link).
    """

    __tablename__ = "link_check_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("link_check_runs.id", ondelete="CASCADE"), index=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("link_checks.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(30))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    method: Mapped[str | None] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(String(2000))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[LinkCheckRun] = relationship(back_populates="results")
