"""GET /v1/users/{id}/events?counterpart= pages newest first by (occurred_at, id): the
counterpart index gains id as its last column, so a page after a cursor is one range of
(user_id, counterpart, occurred_at, id) (a row-value keyset), where (user_id,
counterpart, occurred_at) left PostgreSQL sorting every row of the counterpart before the
cursor. The relationships grouping it also serves reads the same prefix.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_event_user_counterpart", table_name="event")
    op.create_index(
        "ix_event_user_counterpart", "event", ["user_id", "counterpart", "occurred_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_event_user_counterpart", table_name="event")
    op.create_index("ix_event_user_counterpart", "event", ["user_id", "counterpart", "occurred_at"])
