"""GET …/contacts: every filter and sort, cursor pages, the index path against the exact
slow path, CSV with neutralised cells, and reach lists."""

import csv
import io
from datetime import UTC, datetime

import pytest

from app.contacts import reach, summaries
from app.users.models import User
from tests.contacts.helpers import contact_of, contacts, post
from tests.knowledge.helpers import make_user

AS_OF = "2026-11-20T00:00:00Z"


@pytest.fixture
def uid(client) -> str:
    uid = make_user(client, "Ada", "America/New_York", sales_ratio=1, keep_in_touch_days=10)
    # 12 people, one every day from Nov 1; every third writes back twice on two days.
    for i in range(12):
        handle = f"p{i:02d}"
        post(
            client,
            uid,
            kind="comment",
            occurred_at=f"2026-11-{i + 1:02d}T12:00:00Z",
            counterpart=handle,
        )
        if i % 3 == 0:
            for day in (i + 1, i + 2):
                post(
                    client,
                    uid,
                    occurred_at=f"2026-11-{day:02d}T13:00:00Z",
                    counterpart=handle,
                    direction="inbound",
                )
            post(
                client,
                uid,
                occurred_at=f"2026-11-{i + 2:02d}T14:00:00Z",
                counterpart=handle,
                direction="inbound",
            )
    ids = {h: contact_of(client, uid, h)["id"] for h in ("p01", "p04")}
    client.patch(f"/v1/users/{uid}/contacts/{ids['p01']}", json={"name": "Zed %_", "tags": ["vip"]})
    client.patch(
        f"/v1/users/{uid}/contacts/{ids['p04']}",
        json={"tags": ["vip", "=cmd"], "keep_in_touch_days": 1},
    )
    return uid


def _all_pages(client, uid, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = contacts(client, uid, limit=5, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


FILTERS = [
    {},
    {"stage": "trust"},
    {"stage": "know"},
    {"stale": "true"},
    {"stale": "false"},
    {"tag": "vip"},
    {"q": "zed"},
    {"q": "p1"},
    {"q": "%_"},
    {"q": "p10"},
    {"q": "p1*"},
    {"due_before": "2026-11-15T00:00:00Z"},
    {"stage": "know", "stale": "true", "tag": "vip"},
    {"stage": "like", "stale": "false"},
    {"stale": "true", "due_before": "2026-11-12T00:00:00Z"},
    {"stage": "trust", "due_before": "2026-11-16T00:00:00Z", "q": "p"},
]


@pytest.mark.parametrize("sort", ["last_contact", "due", "health"])
def test_every_filter_and_sort_pages_in_order_and_matches_the_slow_path(
    client, uid, sort, monkeypatch
):
    for f in FILTERS:
        fast = _all_pages(client, uid, sort=sort, as_of=AS_OF, **f)
        with monkeypatch.context() as m:
            m.setattr(summaries, "fast_path", lambda *a: False)
            slow = _all_pages(client, uid, sort=sort, as_of=AS_OF, **f)
        assert fast == slow, f
        # The other index paths give the same pages: a common tag / q walks the sort's
        # index (no id set), and more cadences than streams filter and sort the table.
        with monkeypatch.context() as m:
            m.setattr(summaries, "NARROW_CAP", 0)
            assert _all_pages(client, uid, sort=sort, as_of=AS_OF, **f) == fast, f
        with monkeypatch.context() as m:
            m.setattr(summaries, "CADENCE_STREAMS", 1)
            assert _all_pages(client, uid, sort=sort, as_of=AS_OF, **f) == fast, f
        assert len({c["id"] for c in fast}) == len(fast)
        if sort == "last_contact":
            keys = [c["last_contact_at"] for c in fast]
            assert keys == sorted(keys, reverse=True)
        elif sort == "due":
            keys = [c["due_at"] for c in fast]
            assert keys == sorted(keys)
        else:
            keys = [c["health"] for c in fast]
            assert keys == sorted(keys)
    every = _all_pages(client, uid, sort=sort, as_of=AS_OF)
    assert len(every) == 12
    assert {
        c["handles"][0] for c in _all_pages(client, uid, sort=sort, as_of=AS_OF, stage="trust")
    } == {
        "p00",
        "p03",
        "p06",
        "p09",
    }
    assert [c["name"] for c in _all_pages(client, uid, sort=sort, as_of=AS_OF, q="%_")] == [
        "Zed %_"
    ]
    stale = _all_pages(client, uid, sort=sort, as_of=AS_OF, stale="true")
    # Last contact before Nov 10 00:00 (10 days), or p04 with its own single day.
    assert {c["handles"][0] for c in stale} == {f"p0{i}" for i in range(9)}


def test_an_earlier_as_of_counts_from_the_events(client, uid):
    early = _all_pages(client, uid, as_of="2026-11-03T12:30:00Z")
    assert [c["handles"] for c in early] == [["p02"], ["p00"], ["p01"]]  # p00: Nov 2 14:00
    p00 = early[1]
    assert (p00["inbound"], p00["stage"]) == (3, "trust")  # Nov 1 13:00, Nov 2 13:00 and 14:00


def test_csv_one_row_per_contact_with_neutralised_cells(client, uid):
    r = client.get(
        f"/v1/users/{uid}/contacts",
        params={"as_of": AS_OF, "tag": "vip"},
        headers={"Accept": "text/csv"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["handles"] for row in rows] == ["p04", "p01"]
    assert rows[0]["tags"] == "vip;=cmd"  # starts with v: nothing to neutralise
    client.patch(
        f"/v1/users/{uid}/contacts/{contact_of(client, uid, 'p04')['id']}",
        json={"tags": ["=cmd"], "notes": "@sum(1)"},
    )
    r = client.get(f"/v1/users/{uid}/contacts", params={"q": "p04"}, headers={"Accept": "text/csv"})
    row = next(csv.DictReader(io.StringIO(r.text)))
    assert (row["tags"], row["notes"]) == ("'=cmd", "'@sum(1)")


def test_reach_lists(client, uid, session):
    user = session.get(User, __import__("uuid").UUID(uid))
    lists = reach.reach_lists(session, user, datetime(2026, 11, 20, tzinfo=UTC), limit=3)
    # Unanswered: the inbound of p00, p03, p06, p09 come after each one's only comment.
    assert [b.handles for b in lists.get_back_to] == [["p00"], ["p03"], ["p06"]]
    assert lists.get_back_to[0].unanswered == 3
    assert lists.get_back_to[0].waiting_since == datetime(2026, 11, 1, 13, tzinfo=UTC)
    # Most overdue first: p04 (own cadence 1 day, due Nov 6 12:00), p01 (due Nov 12 12:00),
    # p00 (its last inbound Nov 2 14:00: due Nov 12 14:00).
    assert [b.handles for b in lists.keep_in_touch] == [["p04"], ["p01"], ["p00"]]
    assert lists.keep_in_touch[0].overdue_days == 13


def test_cadence_follows_the_users_setting_and_the_contacts_own(client, uid, monkeypatch):
    """cadence_days (the index's cadence) is rewritten when the user's keep_in_touch_days
    changes and when a contact's own one is set or cleared: the index pages keep matching
    the exact slow path."""
    p04 = contact_of(client, uid, "p04")["id"]
    steps = [
        lambda: client.patch(f"/v1/users/{uid}", json={"settings": {"keep_in_touch_days": 3}}),
        lambda: client.patch(f"/v1/users/{uid}/contacts/{p04}", json={"keep_in_touch_days": None}),
        lambda: client.patch(f"/v1/users/{uid}/contacts/{p04}", json={"keep_in_touch_days": 15}),
    ]
    for step in steps:
        assert step().status_code == 200
        for f in ({"stale": "true"}, {"stale": "false"}, {"due_before": "2026-11-18T00:00:00Z"}):
            for sort in ("last_contact", "due"):
                fast = _all_pages(client, uid, sort=sort, as_of=AS_OF, **f)
                with monkeypatch.context() as m:
                    m.setattr(summaries, "fast_path", lambda *a: False)
                    slow = _all_pages(client, uid, sort=sort, as_of=AS_OF, **f)
                assert fast == slow, (f, sort)
    stale = {c["handles"][0] for c in _all_pages(client, uid, as_of=AS_OF, stale="true")}
    # Nov 20 − 3 days = Nov 17: all but p16…; p04's own 15 days: Nov 5 + 15 = Nov 20 12:00.
    assert "p04" not in stale and "p00" in stale
