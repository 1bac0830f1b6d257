"""Initial schema: departments, users, resources with their items, distributions and changes, history.

Generated with ``alembic revision --autogenerate`` from the models, then tidied (plain
``op.create_index`` instead of batch blocks, downgrade drops tables children first).

Revision ID: 0001
Revises:
Create Date: 2026-11-26 10:34:25.592672
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "code_sequences",
        sa.Column("classification_code", sa.String(length=32), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("classification_code", name=op.f("pk_code_sequences")),
    )
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=100), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("local_code", sa.String(length=64), nullable=True),
        sa.Column("division", sa.String(length=12), nullable=True),
        sa.Column("catalog_segment", sa.String(length=3), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("in_scope", sa.Boolean(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["departments.id"], name=op.f("fk_departments_parent_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("catalog_segment", name=op.f("uq_departments_catalog_segment")),
        sa.UniqueConstraint("key", name=op.f("uq_departments_key")),
        sa.UniqueConstraint("uscc", name=op.f("uq_departments_uscc")),
    )
    op.create_index(op.f("ix_departments_parent_id"), "departments", ["parent_id"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_users_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_department_id"), "users", ["department_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("client", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"])
    op.create_index(op.f("ix_audit_events_created_at"), "audit_events", ["created_at"])

    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metadata_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("classification_code", sa.String(length=32), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("provider_unit", sa.String(length=200), nullable=True),
        sa.Column("theme", sa.String(length=20), nullable=True),
        sa.Column("format_class", sa.String(length=20), nullable=True),
        sa.Column("format_type", sa.String(length=40), nullable=True),
        sa.Column("format_description", sa.String(length=500), nullable=True),
        sa.Column("share_type", sa.String(length=20), nullable=True),
        sa.Column("share_condition", sa.Text(), nullable=True),
        sa.Column("share_basis", sa.Text(), nullable=True),
        sa.Column("share_method", sa.String(length=20), nullable=True),
        sa.Column("open_is_open", sa.Boolean(), nullable=True),
        sa.Column("open_type", sa.String(length=20), nullable=True),
        sa.Column("open_condition", sa.Text(), nullable=True),
        sa.Column("update_cycle", sa.String(length=20), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("keyword_thesaurus", sa.String(length=200), nullable=True),
        sa.Column("related_codes", sa.JSON(), nullable=False),
        sa.Column("metadata_maintainer", sa.String(length=200), nullable=True),
        sa.Column("extras", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_resources_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_resources_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_resources_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("code", name=op.f("uq_resources_code")),
        sa.UniqueConstraint("metadata_id", name=op.f("uq_resources_metadata_id")),
    )
    op.create_index(op.f("ix_resources_classification_code"), "resources", ["classification_code"])
    op.create_index(op.f("ix_resources_department_id"), "resources", ["department_id"])
    op.create_index(op.f("ix_resources_share_type"), "resources", ["share_type"])
    op.create_index(op.f("ix_resources_status"), "resources", ["status"])
    op.create_index(op.f("ix_resources_updated_at"), "resources", ["updated_at"])

    op.create_table(
        "distributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("service_type", sa.String(length=100), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_distributions_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distributions")),
    )
    op.create_index(op.f("ix_distributions_resource_id"), "distributions", ["resource_id"])

    op.create_table(
        "resource_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_resource_changes_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_resource_changes_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_changes_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_changes")),
    )
    op.create_index(op.f("ix_resource_changes_resource_id"), "resource_changes", ["resource_id"])
    op.create_index(op.f("ix_resource_changes_status"), "resource_changes", ["status"])

    op.create_table(
        "resource_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("data_type", sa.String(length=4), nullable=False),
        sa.Column("length", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("share_type", sa.String(length=20), nullable=True),
        sa.Column("share_condition", sa.Text(), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_items_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_items")),
    )
    op.create_index(op.f("ix_resource_items_resource_id"), "resource_items", ["resource_id"])

    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_revisions_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_revisions_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisions")),
        sa.UniqueConstraint("resource_id", "number", name="uq_revisions_resource_number"),
    )
    op.create_index(op.f("ix_revisions_resource_id"), "revisions", ["resource_id"])

    op.create_table(
        "workflow_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=40), nullable=True),
        sa.Column("to_status", sa.String(length=40), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_workflow_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_workflow_events_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_events")),
    )
    op.create_index(op.f("ix_workflow_events_created_at"), "workflow_events", ["created_at"])
    op.create_index(op.f("ix_workflow_events_resource_id"), "workflow_events", ["resource_id"])


def downgrade() -> None:
    # Children first; dropping a table drops its indexes.
    op.drop_table("workflow_events")
    op.drop_table("revisions")
    op.drop_table("resource_items")
    op.drop_table("resource_changes")
    op.drop_table("distributions")
    op.drop_table("resources")
    op.drop_table("audit_events")
    op.drop_table("users")
    op.drop_table("departments")
    op.drop_table("code_sequences")
