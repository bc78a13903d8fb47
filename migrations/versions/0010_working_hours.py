"""User setting working_hours (SPEC §11): the local start and end of work, "HH:MM".

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(
            sa.Column("work_start", sa.String(length=5), nullable=False, server_default="09:00")
        )
        batch.add_column(
            sa.Column("work_end", sa.String(length=5), nullable=False, server_default="18:00")
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("work_end")
        batch.drop_column("work_start")
