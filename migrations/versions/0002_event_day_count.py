"""Per-user, per-UTC-day, per-platform event counters for dense windows.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the counter definitions as of this revision (app code may change later).
_CONTACTS = "('comment', 'direct_message', 'mention', 'post', 'reply', 'share', 'wall_post')"
_COUNTERS = {
    "follows_out": "direction = 'outbound' AND kind = 'follow'",
    "follows_in": "direction = 'inbound' AND kind = 'follow'",
    "unfollows_out": "direction = 'outbound' AND kind = 'unfollow'",
    "broadcasts_out": "direction = 'outbound' AND kind IN ('post', 'share')",
    "interactions_out": "direction = 'outbound' AND kind IN "
    "('comment', 'direct_message', 'like', 'mention', 'reply', 'wall_post')",
    "contacts_non_sales_out": f"direction = 'outbound' AND kind IN {_CONTACTS} AND NOT is_sales",
    "contacts_sales_out": f"direction = 'outbound' AND kind IN {_CONTACTS} AND is_sales",
    "inbound_non_follow": "direction = 'inbound' AND kind <> 'follow'",
}


def upgrade() -> None:
    op.create_table(
        "event_day_count",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTERS),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "day", "platform", name="pk_event_day_count"),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    day = "date(occurred_at)" if sqlite else "(occurred_at AT TIME ZONE 'UTC')::date"
    sums = ", ".join(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)" for cond in _COUNTERS.values())
    op.execute(
        f"INSERT INTO event_day_count (user_id, day, platform, {', '.join(_COUNTERS)}) "
        f"SELECT user_id, {day}, platform, {sums} FROM event GROUP BY user_id, {day}, platform"
    )


def downgrade() -> None:
    op.drop_table("event_day_count")
