"""Initial schema: workspaces, API keys, users, plans, profiles and events.

Timestamps are timestamptz on PostgreSQL and UTC (stored naive) on SQLite; the
application type app.core.types.UTCDateTime does the conversion.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 03:54:12.838637
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_key_prefix"), ["prefix"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_key_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "app_user",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("sales_ratio", sa.Float(), nullable=False),
        sa.Column("interaction_share_target", sa.Float(), nullable=False),
        sa.Column("keep_in_touch_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "external_id", name="uq_user_workspace_external"),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counterpart", sa.String(length=200), nullable=True),
        sa.Column("is_sales", sa.Boolean(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("text", sa.String(length=5000), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "external_id", name="uq_event_user_external"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_user_counterpart", ["user_id", "counterpart", "occurred_at"], unique=False
        )
        batch_op.create_index("ix_event_user_time", ["user_id", "occurred_at", "id"], unique=False)
        batch_op.create_index(
            "ix_event_window", ["user_id", "platform", "kind", "occurred_at"], unique=False
        )

    op.create_table(
        "follow_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("weekly_target", sa.Integer(), nullable=False),
        sa.Column("active_weekdays", sa.JSON(), nullable=False),
        sa.Column("daily_cap", sa.Integer(), nullable=False),
        sa.Column("burst_limit", sa.Integer(), nullable=False),
        sa.Column("burst_window_minutes", sa.Integer(), nullable=False),
        sa.Column("warmup_days", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "platform", name="uq_follow_plan_user_platform"),
    )
    op.create_table(
        "posting_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("min_posts_per_day", sa.Integer(), nullable=False),
        sa.Column("max_posts_per_day", sa.Integer(), nullable=False),
        sa.Column("min_gap_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "platform", name="uq_posting_plan_user_platform"),
    )
    op.create_table(
        "profile",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("handle", sa.String(length=200), nullable=False),
        sa.Column("bio", sa.String(length=2000), nullable=True),
        sa.Column("photo_url", sa.String(length=2000), nullable=True),
        sa.Column("photo_smiling", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "platform", name="uq_profile_user_platform"),
    )


def downgrade() -> None:
    op.drop_table("profile")
    op.drop_table("posting_plan")
    op.drop_table("follow_plan")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_window")
        batch_op.drop_index("ix_event_user_time")
        batch_op.drop_index("ix_event_user_counterpart")

    op.drop_table("event")
    op.drop_table("app_user")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_api_key_prefix"))

    op.drop_table("api_key")
    op.drop_table("workspace")
