"""Coverage audit: the expected inventory (资源清单), coverage snapshots and link checks (issue #7).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 11:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inventory_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("title_key", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("basis", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("item_names", sa.JSON(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("linked_by_name", sa.String(length=100), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suggested_resource_id", sa.Integer(), nullable=True),
        sa.Column("suggestion_score", sa.Float(), nullable=True),
        sa.Column("suggested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_inventory_items_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"], ["users.id"], name=op.f("fk_inventory_items_linked_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_inventory_items_resource_id_resources"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["suggested_resource_id"], ["resources.id"],
            name=op.f("fk_inventory_items_suggested_resource_id_resources"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_items")),
        sa.UniqueConstraint("department_id", "title_key", name="uq_inventory_items_department_title"),
    )
    op.create_index(op.f("ix_inventory_items_department_id"), "inventory_items", ["department_id"])
    op.create_index(op.f("ix_inventory_items_resource_id"), "inventory_items", ["resource_id"])

    op.create_table(
        "coverage_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_coverage_snapshots_actor_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_snapshots")),
    )
    op.create_index(op.f("ix_coverage_snapshots_as_of"), "coverage_snapshots", ["as_of"])

    op.create_table(
        "link_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("broken", sa.Boolean(), nullable=False),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_checks")),
        sa.UniqueConstraint("url", name=op.f("uq_link_checks_url")),
    )


def downgrade() -> None:
    op.drop_table("link_checks")
    op.drop_index(op.f("ix_coverage_snapshots_as_of"), table_name="coverage_snapshots")
    op.drop_table("coverage_snapshots")
    op.drop_index(op.f("ix_inventory_items_resource_id"), table_name="inventory_items")
    op.drop_index(op.f("ix_inventory_items_department_id"), table_name="inventory_items")
    op.drop_table("inventory_items")
