"""Harvesting: sources, jobs and per-record reports (issue #6).

Four tables: ``harvest_sources`` (a remote catalog of a department), ``harvest_jobs`` (one run),
``harvest_records`` (what a job did with a record, unchanged ones excepted) and ``harvest_links``
(remote id → resource, with the content hash; a resource is linked to one source at most).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 11:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "harvest_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.String(length=20), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("defaults", sa.JSON(), nullable=False),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("withdraw_after_days", sa.Integer(), nullable=False),
        sa.Column("timeout_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_harvest_sources_created_by_id_users")),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_harvest_sources_department_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_harvest_sources_name")),
    )
    op.create_index(op.f("ix_harvest_sources_department_id"), "harvest_sources", ["department_id"])

    op.create_table(
        "harvest_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.Column("finished_at", _WHEN, nullable=True),
        sa.Column("heartbeat_at", _WHEN, nullable=False),
        sa.Column("since", _WHEN, nullable=True),
        sa.Column("max_items", sa.Integer(), nullable=True),
        sa.Column("settings_hash", sa.String(length=64), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("client", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["harvest_sources.id"],
                                name=op.f("fk_harvest_jobs_source_id_harvest_sources"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_jobs")),
    )
    op.create_index("ix_harvest_jobs_source_started", "harvest_jobs", ["source_id", "started_at"])
    op.create_index(op.f("ix_harvest_jobs_status"), "harvest_jobs", ["status"])

    op.create_table(
        "harvest_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=500), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("hint", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["harvest_jobs.id"], name=op.f("fk_harvest_records_job_id_harvest_jobs"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], name=op.f("fk_harvest_records_resource_id_resources"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_records")),
    )
    op.create_index(op.f("ix_harvest_records_job_id"), "harvest_records", ["job_id"])
    op.create_index(op.f("ix_harvest_records_resource_id"), "harvest_records", ["resource_id"])
    op.create_index(op.f("ix_harvest_records_status"), "harvest_records", ["status"])

    op.create_table(
        "harvest_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=500), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("remote_modified", _WHEN, nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("first_seen_at", _WHEN, nullable=False),
        sa.Column("last_seen_at", _WHEN, nullable=False),
        sa.Column("gone_since", _WHEN, nullable=True),
        sa.Column("last_job_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["last_job_id"], ["harvest_jobs.id"], name=op.f("fk_harvest_links_last_job_id_harvest_jobs"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], name=op.f("fk_harvest_links_resource_id_resources"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["source_id"], ["harvest_sources.id"],
                                name=op.f("fk_harvest_links_source_id_harvest_sources"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_links")),
        sa.UniqueConstraint("resource_id", name=op.f("uq_harvest_links_resource_id")),
        sa.UniqueConstraint("source_id", "remote_id", name="uq_harvest_links_source_remote"),
    )
    op.create_index(op.f("ix_harvest_links_remote_id"), "harvest_links", ["remote_id"])


def downgrade() -> None:
    op.drop_table("harvest_links")
    op.drop_table("harvest_records")
    op.drop_table("harvest_jobs")
    op.drop_table("harvest_sources")
