"""event_day_count.first_broadcast_out_at / last_broadcast_out_at: the first and last instant
of the UTC day's outbound broadcasts, so the current posting streak tells every local day
from the counter rows instead of probing the events day by day
(app/events/store/_day_counts.py). Existing rows are filled from the events.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The row's UTC day as an index range of occurred_at (SQLite keeps instants as UTC text).
_DAY = {
    "sqlite": "e.occurred_at >= d.day AND e.occurred_at < date(d.day, '+1 day')",
    "postgresql": "e.occurred_at >= (d.day::timestamp AT TIME ZONE 'UTC')"
    " AND e.occurred_at < ((d.day + 1)::timestamp AT TIME ZONE 'UTC')",
}


def upgrade() -> None:
    with op.batch_alter_table("event_day_count") as batch:
        batch.add_column(sa.Column("first_broadcast_out_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("last_broadcast_out_at", sa.DateTime(timezone=True)))
    day = _DAY[op.get_bind().dialect.name]
    for column, agg in (("first_broadcast_out_at", "min"), ("last_broadcast_out_at", "max")):
        op.execute(
            # The broadcasts_out counter's definition at this revision (_counters.py).
            f"UPDATE event_day_count AS d SET {column} = ("
            f"SELECT {agg}(e.occurred_at) FROM event e WHERE e.user_id = d.user_id"
            " AND e.platform = d.platform AND e.direction = 'outbound'"
            f" AND e.kind IN ('post', 'share') AND {day})"
            " WHERE d.broadcasts_out > 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("event_day_count") as batch:
        batch.drop_column("last_broadcast_out_at")
        batch.drop_column("first_broadcast_out_at")
