"""Rejected link suggestions of inventory items (issue #7 follow-up): ``inventory_items.rejected_resource_ids``.

A department officer who rejects the matcher's suggestion ("this resource does not fulfil the item")
expects the next ``mulu inventory match`` not to propose the same resource again; the item keeps the
ids of the resources rejected for it, and the matcher passes them over.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 03:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inventory_items") as batch:
        batch.add_column(sa.Column("rejected_resource_ids", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("inventory_items") as batch:
        batch.drop_column("rejected_resource_ids")
