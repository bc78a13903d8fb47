"""Counterparts stored before the fix of "@ Bob" kept the whitespace after the removed @
(" bob"); SPEC §1 removes it ("bob"). Only events store counterparts. The old rule was
lower(strip(x) minus one leading @), so a stored value can only be wrong by whitespace at
its start: it becomes its strip() (never empty: the old value ended in a non-space).

The day counters do not depend on counterparts, but the per-worker window cache keeps
per-person tallies checked against the versions of event_day_count: the rows of the days
of every changed event get a fresh version, so no running worker serves the old handle.

Irreversible by nature (the old, wrong values are not kept); downgrade leaves them fixed.

Revision ID: 0005
Revises: 0004
"""

import secrets
import sys
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every character str.strip() removes: the candidates for a first character to fix.
_SPACES = sorted({chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()})
_BATCH = 1000


def upgrade() -> None:
    conn = op.get_bind()
    event = sa.table(
        "event",
        sa.column("id"),
        sa.column("user_id"),
        sa.column("platform"),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("counterpart"),
    )
    counts = sa.table(
        "event_day_count",
        sa.column("user_id"),
        sa.column("day", sa.Date),
        sa.column("platform"),
        sa.column("version", sa.BigInteger),
    )
    if conn.dialect.name == "sqlite":
        day = sa.func.date(event.c.occurred_at, type_=sa.Date)
    else:
        day = sa.cast(sa.func.timezone("UTC", event.c.occurred_at), sa.Date)
    rows = conn.execute(
        sa.select(
            event.c.id, event.c.user_id, event.c.platform, day.label("day"), event.c.counterpart
        ).where(sa.func.substr(event.c.counterpart, 1, 1).in_(_SPACES))
    ).all()
    fix = (
        sa.update(event)
        .where(event.c.id == sa.bindparam("b_id"))
        .values(counterpart=sa.bindparam("b_counterpart"))
    )
    bump = (
        sa.update(counts)
        .where(
            counts.c.user_id == sa.bindparam("b_user_id"),
            counts.c.day == sa.bindparam("b_day"),
            counts.c.platform == sa.bindparam("b_platform"),
        )
        .values(version=sa.bindparam("b_version"))
    )
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        conn.execute(
            fix, [{"b_id": r.id, "b_counterpart": r.counterpart.strip() or None} for r in batch]
        )
        days = {(r.user_id, r.day, r.platform) for r in batch}
        conn.execute(
            bump,
            [
                {"b_user_id": u, "b_day": d, "b_platform": p, "b_version": secrets.randbits(40)}
                for u, d, p in sorted(days, key=str)
            ],
        )


def downgrade() -> None:
    pass
