"""app_user.events_version: a random number replaced in the transaction of every change to
the user's per-day counters, so a warm windowed insight checks its cached days by the user
row that authentication reads anyway, instead of one more statement (a fingerprint of the
window's counter rows, and one of the posting streak's) a request.

Existing rows start at 0; a server that kept entries before the upgrade is restarted by it
(its cache is in memory), so no entry can carry an older value.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite has it for a constant default), not a batch copy of the
    # table, which would drop 0016's trigger on app_user.
    op.add_column(
        "app_user",
        sa.Column("events_version", sa.BigInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("app_user", "events_version")
