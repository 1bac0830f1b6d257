"""Harvest tables: sources (采集源), jobs (任务), per-record reports (记录) and the remote-id → resource links.

A source belongs to a department: every resource it harvests is provided by that department. A job is
one run of a source. A record row reports what happened to one remote record in one job; unchanged
records are only counted, so a nightly run of an idle 10,000-record catalog adds no rows. A link ties
a remote id of a source to the resource it produced, with the content hash that lets the next run
skip unchanged records; a resource is linked to at most one source, which is how a second source
claiming it becomes a conflict instead of a duplicate.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.i18n import Text
from catalog.models import Department

SCHEDULES = ("manual", "hourly", "daily", "weekly")
JOB_STATES = ("running", "done", "done_with_errors", "failed", "timed_out")
FINISHED_STATES = frozenset(JOB_STATES) - {"running"}
#: What can happen to one remote record; ``unchanged`` is counted, never stored as a row.
RECORD_STATES = ("created", "updated", "unchanged", "skipped", "conflict", "error", "deferred", "gone",
                 "withdrawn", "deleted")
JOB_STATE_LABELS = {
    "running": Text({"zh": "运行中", "en": "running"}),
    "done": Text({"zh": "完成", "en": "done"}),
    "done_with_errors": Text({"zh": "完成但有错误", "en": "done with errors"}),
    "failed": Text({"zh": "失败", "en": "failed"}),
    "timed_out": Text({"zh": "超时", "en": "timed out"}),
}
RECORD_STATE_LABELS = {
    "created": Text({"zh": "新建", "en": "created"}),
    "updated": Text({"zh": "更新", "en": "updated"}),
    "unchanged": Text({"zh": "未变化", "en": "unchanged"}),
    "skipped": Text({"zh": "跳过", "en": "skipped"}),
    "conflict": Text({"zh": "冲突", "en": "conflict"}),
    "error": Text({"zh": "错误", "en": "error"}),
    "deferred": Text({"zh": "暂缓", "en": "deferred"}),
    "gone": Text({"zh": "源端已删除", "en": "gone upstream"}),
    "withdrawn": Text({"zh": "已下线", "en": "withdrawn"}),
    "deleted": Text({"zh": "草稿已删除", "en": "draft deleted"}),
}
SCHEDULE_LABELS = {
    "manual": Text({"zh": "手动", "en": "manual"}),
    "hourly": Text({"zh": "每小时", "en": "hourly"}),
    "daily": Text({"zh": "每天", "en": "daily"}),
    "weekly": Text({"zh": "每周", "en": "weekly"}),
}


def aware(moment: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC datetime (SQLite hands back naive ones; Mulu stores UTC)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class HarvestSource(Base):
    """A remote catalog a department harvests from: type, URL, schedule, defaults and trust."""

    __tablename__ = "harvest_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    type: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(2000))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    schedule: Mapped[str] = mapped_column(String(20), default="manual")
    # Harvester-specific settings, validated by the harvester's config_schema. Credentials are only
    # ever references such as "env:CKAN_TOKEN", resolved at run time and never stored or shown.
    config: Mapped[dict] = mapped_column(default=dict)
    # Resource input for values the remote lacks (classification_code, share, update_cycle …).
    defaults: Mapped[dict] = mapped_column(default=dict)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    withdraw_after_days: Mapped[int] = mapped_column(Integer, default=7)
    timeout_minutes: Mapped[int] = mapped_column(Integer, default=120)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    department: Mapped[Department] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<HarvestSource {self.name} {self.type}>"


class HarvestJob(Base):
    """One run of a source: its state, counts, job-level errors and a heartbeat for the reaper."""

    __tablename__ = "harvest_jobs"
    __table_args__ = (Index("ix_harvest_jobs_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("harvest_sources.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Records changed upstream since this moment were asked for (incremental run); None = everything.
    since: Mapped[datetime | None] = mapped_column()
    max_items: Mapped[int | None] = mapped_column(Integer)
    # A hash of the source's type, URL, config, defaults and trust: an incremental run is only safe
    # when the previous successful run mapped records with the same settings.
    settings_hash: Mapped[str] = mapped_column(String(64), default="")
    total: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict] = mapped_column(default=dict)
    # Job-level problems: [{"message": {"zh_CN", "en"}, "url", "hint": {...}}].
    errors: Mapped[list] = mapped_column(default=list)
    client: Mapped[str] = mapped_column(String(200), default="")

    source: Mapped[HarvestSource] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<HarvestJob {self.id} {self.status}>"


class HarvestRecord(Base):
    """What one job did with one remote record (anything but "unchanged"), with the reason and a hint."""

    __tablename__ = "harvest_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("harvest_jobs.id", ondelete="CASCADE"), index=True)
    remote_id: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20), index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"), index=True)
    # Rendered in both locales when written: {"zh_CN": …, "en": …}; fields: {path: {"zh_CN": [..], "en": [..]}}.
    message: Mapped[dict] = mapped_column(default=dict)
    hint: Mapped[dict] = mapped_column(default=dict)
    fields: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HarvestLink(Base):
    """A remote record of a source and the resource it produced, with its content hash."""

    __tablename__ = "harvest_links"
    __table_args__ = (UniqueConstraint("source_id", "remote_id", name="uq_harvest_links_source_remote"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("harvest_sources.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(500), index=True)
    # NULL once somebody deleted the resource in Mulu: the record is then not harvested again.
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    remote_modified: Mapped[datetime | None] = mapped_column()
    url: Mapped[str | None] = mapped_column(String(2000))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the first complete run that no longer lists the record; cleared when it comes back.
    gone_since: Mapped[datetime | None] = mapped_column()
    last_job_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_jobs.id", ondelete="SET NULL"))


class HarvestPage(Base):
    """A page of a source's listing as last read, so that an unchanged page is not parsed again.

    ``digest`` covers the page's bytes and the source's settings; ``memo`` is what the harvester
    needs to go on without parsing (``ids``: the remote ids it listed, ``next``: the pages it links
    to). A row exists only while every record of the page was written or found unchanged: a page
    with an error, a conflict or a deferred record is read in full on the next run.
    """

    __tablename__ = "harvest_pages"
    __table_args__ = (UniqueConstraint("source_id", "url_key", name="uq_harvest_pages_source_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("harvest_sources.id", ondelete="CASCADE"))
    # sha256 of the URL: page addresses can be long, a unique index on them is not portable.
    url_key: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    digest: Mapped[str] = mapped_column(String(64))
    memo: Mapped[dict] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
