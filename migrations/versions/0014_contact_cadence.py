"""Contacts (§10) read through indexes: the cadence in force on each contact
(``cadence_days``, its own keep-in-touch days or the user's) and the indexes
(user_id, [stage,] cadence_days, last_contact_at, id): within one cadence due_at =
last_contact_at + the cadence, so pages by last contact or by due_at, and the ``stale`` and
``due_before`` filters, are one range per distinct cadence. They replace
ix_contact_user_last, ix_contact_user_stage_last and ix_contact_user_stage_due (fewer
indexes to keep on every write); (user_id, name, id) over the named contacts lets ``q``
scan names in an index; ix_contact_handle_contact gains ``handle`` (a page's handles
from the index alone).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default only fills the existing rows (the app always writes the column).
    op.add_column(
        "contact", sa.Column("cadence_days", sa.Integer(), nullable=False, server_default="30")
    )
    op.execute(
        "UPDATE contact SET cadence_days = COALESCE(keep_in_touch_days, "
        "(SELECT u.keep_in_touch_days FROM app_user u WHERE u.id = contact.user_id))"
    )
    op.create_index(
        "ix_contact_user_cadence_last",
        "contact",
        ["user_id", "cadence_days", "last_contact_at", "id"],
    )
    op.create_index(
        "ix_contact_user_stage_cadence_last",
        "contact",
        ["user_id", "stage", "cadence_days", "last_contact_at", "id"],
    )
    op.create_index(
        "ix_contact_user_name",
        "contact",
        ["user_id", "name", "id"],
        sqlite_where=sa.text("name IS NOT NULL"),
        postgresql_where=sa.text("name IS NOT NULL"),
    )
    # A page's handles from the index alone.
    op.drop_index("ix_contact_handle_contact", table_name="contact_handle")
    op.create_index("ix_contact_handle_contact", "contact_handle", ["contact_id", "handle"])
    # Replaced by the cadence ranges (fewer indexes to keep on every write).
    op.drop_index("ix_contact_user_last", table_name="contact")
    op.drop_index("ix_contact_user_stage_last", table_name="contact")
    op.drop_index("ix_contact_user_stage_due", table_name="contact")
    # The events stored before get their contacts (moved here from 0012: the rebuild is the
    # app's code, which writes this shape; on contacts 0012 filled, it recounts the same).
    # A later revision that changes the contact tables takes this call with it.
    from app.events.store.maintenance import rebuild_contacts

    rebuild_contacts(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_contact_handle_contact", table_name="contact_handle")
    op.create_index("ix_contact_handle_contact", "contact_handle", ["contact_id"])
    op.create_index("ix_contact_user_stage_due", "contact", ["user_id", "stage", "due_at", "id"])
    op.create_index(
        "ix_contact_user_stage_last", "contact", ["user_id", "stage", "last_contact_at", "id"]
    )
    op.create_index("ix_contact_user_last", "contact", ["user_id", "last_contact_at", "id"])
    op.drop_index("ix_contact_user_stage_cadence_last", table_name="contact")
    op.drop_index("ix_contact_user_name", table_name="contact")
    op.drop_index("ix_contact_user_cadence_last", table_name="contact")
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("cadence_days")
