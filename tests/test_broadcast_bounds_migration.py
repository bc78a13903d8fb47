"""Migration 0009: the day counters gain the first and last instant of each UTC day's
outbound broadcasts, filled from the events already stored, on both databases."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from app.core.migrate import upgrade
from tests.databases import throwaway_database


def test_0009_fills_the_bounds_from_the_stored_events(backend, tmp_path):
    with throwaway_database(backend, tmp_path) as url:
        upgrade(url, "0008")
        engine = create_engine(url)
        sqlite = engine.dialect.name == "sqlite"
        ident = (lambda u: u.hex) if sqlite else (lambda u: u)
        stamp = (lambda t: t.replace(tzinfo=None)) if sqlite else (lambda t: t)
        ws, user = uuid.uuid4(), uuid.uuid4()
        t0 = datetime(2026, 11, 2, tzinfo=UTC)
        # x on 11-02: posts at 00:00 and 23:59:59.999999 (the day's edges), a share at noon, an
        # inbound post at 23:59:59.999999 (not outbound) and a like (not a broadcast). 11-03:
        # a post at 00:00 of the next UTC day. linkedin 11-02: interactions only.
        events = [
            ("x", "post", "outbound", "2026-11-02T00:00:00"),
            ("x", "share", "outbound", "2026-11-02T12:00:00"),
            ("x", "post", "outbound", "2026-11-02T23:59:59.999999"),
            ("x", "post", "inbound", "2026-11-02T23:59:59.999999"),
            ("x", "like", "outbound", "2026-11-02T23:59:59.999999"),
            ("x", "post", "outbound", "2026-11-03T00:00:00"),
            ("linkedin", "like", "outbound", "2026-11-02T10:00:00"),
        ]
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO workspace (id, name, created_at) VALUES (:id, 'w', :t)"),
                {"id": ident(ws), "t": stamp(t0)},
            )
            conn.execute(
                text(
                    "INSERT INTO app_user (id, workspace_id, name, timezone, sales_ratio, "
                    "interaction_share_target, keep_in_touch_days, created_at, updated_at) "
                    "VALUES (:id, :ws, 'u', 'UTC', 10, 0.5, 30, :t, :t)"
                ),
                {"id": ident(user), "ws": ident(ws), "t": stamp(t0)},
            )
            for platform, kind, direction, at in events:
                conn.execute(
                    text(
                        "INSERT INTO event (id, user_id, platform, kind, direction, occurred_at, "
                        "is_sales, created_at) VALUES (:id, :u, :p, :k, :d, :t, false, :t)"
                    ),
                    {
                        "id": ident(uuid.uuid4()),
                        "u": ident(user),
                        "p": platform,
                        "k": kind,
                        "d": direction,
                        "t": stamp(datetime.fromisoformat(at).replace(tzinfo=UTC)),
                    },
                )
            for day, platform, broadcasts in (
                ("2026-11-02", "x", 3),
                ("2026-11-03", "x", 1),
                ("2026-11-02", "linkedin", 0),
            ):
                conn.execute(
                    text(
                        "INSERT INTO event_day_count (user_id, day, platform, follows_out, "
                        "follows_in, unfollows_out, broadcasts_out, interactions_out, "
                        "contacts_non_sales_out, contacts_sales_out, inbound_non_follow, "
                        "version) VALUES (:u, :d, :p, 0, 0, 0, :b, 0, 0, 0, 0, 7)"
                    ),
                    {
                        "u": ident(user),
                        "d": datetime.fromisoformat(day).date(),
                        "p": platform,
                        "b": broadcasts,
                    },
                )
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT day, platform, first_broadcast_out_at, last_broadcast_out_at "
                    "FROM event_day_count"
                )
            ).all()
        engine.dispose()

    def utc(value):
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return None if value is None else value.replace(tzinfo=UTC) if sqlite else value

    got = {(str(d), p): (utc(f), utc(last)) for d, p, f, last in rows}
    assert got == {
        ("2026-11-02", "x"): (
            datetime(2026, 11, 2, tzinfo=UTC),
            datetime(2026, 11, 2, 23, 59, 59, 999999, tzinfo=UTC),
        ),
        ("2026-11-03", "x"): (datetime(2026, 11, 3, tzinfo=UTC),) * 2,
        ("2026-11-02", "linkedin"): (None, None),
    }
