"""Contacts (§10): contact, contact_handle (the per-handle §6.7 summary), contact_tag and
contact_merged, with the indexes their pages walk; the summary is then counted once from
the events already stored.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _figures() -> list[sa.Column[object]]:
    at = sa.DateTime(timezone=True)
    return [
        sa.Column("first_contact_at", at, nullable=True),
        sa.Column("last_contact_at", at, nullable=True),
        sa.Column("outbound", sa.Integer(), nullable=False),
        sa.Column("inbound", sa.Integer(), nullable=False),
        sa.Column("non_sales", sa.Integer(), nullable=False),
        sa.Column("sales", sa.Integer(), nullable=False),
        sa.Column("first_inbound_at", at, nullable=True),
        sa.Column("last_inbound_at", at, nullable=True),
        sa.Column("stage", sa.String(length=8), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "contact",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("keep_in_touch_days", sa.Integer(), nullable=True),
        sa.Column("notes", sa.String(length=5000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *_figures(),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name="fk_contact_user_id_app_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_contact"),
    )
    op.create_index("ix_contact_user_due", "contact", ["user_id", "due_at", "id"])
    op.create_index("ix_contact_user_last", "contact", ["user_id", "last_contact_at", "id"])
    op.create_index("ix_contact_user_stage_due", "contact", ["user_id", "stage", "due_at", "id"])
    op.create_index(
        "ix_contact_user_stage_last", "contact", ["user_id", "stage", "last_contact_at", "id"]
    )
    op.create_table(
        "contact_handle",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("handle", sa.String(length=200), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        *_figures(),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name="fk_contact_handle_contact_id_contact",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name="fk_contact_handle_user_id_app_user",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "handle", name="pk_contact_handle"),
    )
    op.create_index("ix_contact_handle_contact", "contact_handle", ["contact_id"])
    op.create_index(
        "ix_contact_handle_user_last", "contact_handle", ["user_id", "last_contact_at", "handle"]
    )
    op.create_index(
        "ix_contact_handle_user_stage_last",
        "contact_handle",
        ["user_id", "stage", "last_contact_at", "handle"],
    )
    op.create_table(
        "contact_merged",
        sa.Column("merged_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("into_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["into_id"],
            ["contact.id"],
            name="fk_contact_merged_into_id_contact",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name="fk_contact_merged_user_id_app_user",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("merged_id", name="pk_contact_merged"),
    )
    op.create_index("ix_contact_merged_user_id", "contact_merged", ["user_id"])
    op.create_table(
        "contact_tag",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=50), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name="fk_contact_tag_contact_id_contact",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name="fk_contact_tag_user_id_app_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "tag", "contact_id", name="pk_contact_tag"),
    )
    # The events stored before this revision get their contacts in 0014, the newest revision
    # that changes these tables: the rebuild is the app's code, which writes the newest shape.


def downgrade() -> None:
    op.drop_table("contact_tag")
    op.drop_index("ix_contact_merged_user_id", table_name="contact_merged")
    op.drop_table("contact_merged")
    op.drop_index("ix_contact_handle_user_stage_last", table_name="contact_handle")
    op.drop_index("ix_contact_handle_user_last", table_name="contact_handle")
    op.drop_index("ix_contact_handle_contact", table_name="contact_handle")
    op.drop_table("contact_handle")
    op.drop_index("ix_contact_user_stage_last", table_name="contact")
    op.drop_index("ix_contact_user_stage_due", table_name="contact")
    op.drop_index("ix_contact_user_last", table_name="contact")
    op.drop_index("ix_contact_user_due", table_name="contact")
    op.drop_table("contact")
