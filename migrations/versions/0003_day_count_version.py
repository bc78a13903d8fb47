"""event_day_count.version: a fresh random number on every change to the row, so the sum
over a span of days tells a process whether anything on those days changed since it last
read them (app/insights/window_cache.py).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows start at 0: nothing has been cached against them yet.
    with op.batch_alter_table("event_day_count") as batch:
        batch.add_column(sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("event_day_count") as batch:
        batch.drop_column("version")
