"""Migration 0005 (issue 10, finding 10b): counterparts stored as " bob" (from "@ Bob", the
whitespace after the removed @ kept) become "bob", on both databases; the day counters of
the changed events' days get a new version, so no window cache serves the old handle."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from app.core.migrate import upgrade
from app.events.models import normalise_counterpart
from tests.databases import throwaway_database


def test_normalise_removes_whitespace_after_the_at():
    assert normalise_counterpart("  @ Bob ") == "bob"
    assert normalise_counterpart("@\u3000Bob") == "bob"
    assert normalise_counterpart("@@ Bob") == "@ bob"  # one @ only, and the space after it
    assert normalise_counterpart("@ ") is None
    assert normalise_counterpart(" B ob ") == "b ob"


def test_0005_fixes_stored_counterparts(backend, tmp_path):
    with throwaway_database(backend, tmp_path) as url:
        upgrade(url, "0004")
        engine = create_engine(url)
        ws, user = uuid.uuid4(), uuid.uuid4()
        hexes = {name: uuid.uuid4() for name in ("space", "ideographic", "fine", "null", "at")}
        old = {
            "space": " bob",
            "ideographic": "\u3000grace",
            "fine": "erin",
            "null": None,
            "at": "@ dan",
        }
        at = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
        sqlite = engine.dialect.name == "sqlite"
        ident = (lambda u: u.hex) if sqlite else (lambda u: u)
        stamp = at.replace(tzinfo=None) if sqlite else at
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO workspace (id, name, created_at) VALUES (:id, 'w', :t)"),
                {"id": ident(ws), "t": stamp},
            )
            conn.execute(
                text(
                    "INSERT INTO app_user (id, workspace_id, name, timezone, sales_ratio, "
                    "interaction_share_target, keep_in_touch_days, created_at, updated_at) "
                    "VALUES (:id, :ws, 'u', 'UTC', 10, 0.5, 30, :t, :t)"
                ),
                {"id": ident(user), "ws": ident(ws), "t": stamp},
            )
            for name, event_id in hexes.items():
                conn.execute(
                    text(
                        "INSERT INTO event (id, user_id, platform, kind, direction, occurred_at, "
                        "counterpart, is_sales, created_at) VALUES (:id, :u, 'x', 'reply', "
                        "'outbound', :t, :c, false, :t)"
                    ),
                    {"id": ident(event_id), "u": ident(user), "t": stamp, "c": old[name]},
                )
            for day, platform in (
                ("2026-11-02", "x"),
                ("2026-11-03", "x"),
                ("2026-11-02", "linkedin"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO event_day_count (user_id, day, platform, follows_out, follows_in, "
                        "unfollows_out, broadcasts_out, interactions_out, contacts_non_sales_out, "
                        "contacts_sales_out, inbound_non_follow, version) VALUES (:u, :d, :p, "
                        "0, 0, 0, 0, 5, 5, 0, 0, 7)"
                    ),
                    {"u": ident(user), "d": datetime.fromisoformat(day).date(), "p": platform},
                )
        upgrade(url)
        with engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT id, counterpart FROM event")).all())
            versions = {
                (str(d), p): v
                for d, p, v in conn.execute(
                    text("SELECT day, platform, version FROM event_day_count")
                ).all()
            }
        engine.dispose()
    assert {name: stored[ident(i)] for name, i in hexes.items()} == {
        "space": "bob",
        "ideographic": "grace",
        "fine": "erin",
        "null": None,
        "at": "@ dan",
    }
    assert versions[("2026-11-02", "x")] != 7  # the day of the changed events
    assert versions[("2026-11-03", "x")] == 7 and versions[("2026-11-02", "linkedin")] == 7


def test_at_space_handle_over_http(client, user):
    path = f"/v1/users/{user['id']}/events"
    r = client.post(
        path,
        json={
            "platform": "x",
            "kind": "reply",
            "counterpart": "  @ Bob ",
            "occurred_at": "2026-11-20T09:00:00Z",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["counterpart"] == "bob"
    for asked in ("bob", "@ BOB", "@bob"):
        items = client.get(path, params={"counterpart": asked}).json()["items"]
        assert [e["id"] for e in items] == [r.json()["id"]], asked
    rows = client.get(
        f"/v1/users/{user['id']}/relationships", params={"as_of": "2026-11-21T00:00:00Z"}
    ).json()["items"]
    assert [row["counterpart"] for row in rows] == ["bob"]
