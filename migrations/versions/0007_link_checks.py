"""Link checks run by run (issue #7): ``link_check_runs`` and the outcome of every URL in ``link_check_results``.

``link_checks`` (0003) keeps one row per URL with its consecutive failures; these tables keep what each
``mulu links check`` run found, so an auditor sees why a link counts as broken.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "link_check_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.Column("finished_at", _WHEN, nullable=True),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("newly_broken", sa.Integer(), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_check_runs")),
    )
    op.create_index(op.f("ix_link_check_runs_started_at"), "link_check_runs", ["started_at"])
    op.create_table(
        "link_check_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.String(length=2000), nullable=True),
        sa.Column("checked_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["link_id"], ["link_checks.id"], name=op.f("fk_link_check_results_link_id_link_checks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["link_check_runs.id"],
                                name=op.f("fk_link_check_results_run_id_link_check_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_check_results")),
    )
    op.create_index(op.f("ix_link_check_results_link_id"), "link_check_results", ["link_id"])
    op.create_index(op.f("ix_link_check_results_run_id"), "link_check_results", ["run_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_link_check_results_run_id"), table_name="link_check_results")
    op.drop_index(op.f("ix_link_check_results_link_id"), table_name="link_check_results")
    op.drop_table("link_check_results")
    op.drop_index(op.f("ix_link_check_runs_started_at"), table_name="link_check_runs")
    op.drop_table("link_check_runs")
