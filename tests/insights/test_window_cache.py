"""The window cache (app/events/store/_window_cache.py) never serves a stale answer.

Whole UTC days of per-counterpart counts and per-day post summaries are cached per
process; every insert or delete on those days must make the next answer change. The
hardest case is a delete and an insert on the same day that leave every per-day counter
equal: only the fingerprint of event_day_count.version tells the difference.
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import Session

from app.events import store
from app.events.models import EventIn
from app.events.store.maintenance import WINDOW_CACHE as CACHE
from app.events.store.maintenance import WindowCache, user_version
from tests.insights.helpers import ev, get, posting_plan, record

AS_OF = (
    "2026-11-20T12:00:00Z"  # 30-day window from 2026-10-22T00:00Z; 2026-11-10 is a whole day in it
)


def people(answer: dict) -> dict[str, tuple[int, int]]:
    return {
        row["counterpart"]: (row["non_sales"], row["sales"]) for row in answer["by_counterpart"]
    }


def event_ids(client, uid: str, counterpart: str) -> list[str]:
    r = client.get(f"/v1/users/{uid}/events", params={"counterpart": counterpart, "limit": 100})
    assert r.status_code == 200, r.text
    return [e["id"] for e in r.json()["items"]]


def test_a_repeated_question_is_answered_from_the_cache(client, user):
    uid = user["id"]
    record(
        client, uid, [ev("x", "reply", "2026-11-10T10:00:00Z", counterpart="bob", is_sales=True)]
    )
    first = get(client, uid, "sales-ratio", window_days=30, as_of=AS_OF)
    hits = CACHE.hits
    assert get(client, uid, "sales-ratio", window_days=30, as_of=AS_OF) == first
    assert CACHE.hits == hits + 1
    assert people(first) == {"bob": (0, 1)}


def test_by_counterpart_follows_a_delete_and_an_insert_that_keep_the_day_counters(client, user):
    uid = user["id"]
    record(
        client,
        uid,
        [
            ev("x", "reply", "2026-11-10T09:00:00Z", counterpart="bob", is_sales=True),
            ev("x", "reply", "2026-11-10T10:00:00Z", counterpart="bob"),
            ev("x", "reply", "2026-11-10T11:00:00Z", counterpart="carol", is_sales=True),
        ],
    )
    assert people(get(client, uid, "sales-ratio", window_days=30, as_of=AS_OF)) == {
        "bob": (1, 1),
        "carol": (0, 1),
    }
    # Same day, same platform, same kind: the day's counters stay 1 non-sales + 2 sales.
    bob_plain = [
        i
        for i in event_ids(client, uid, "bob")
        if client.get(f"/v1/users/{uid}/events/{i}").json()["is_sales"] is False
    ]
    assert client.delete(f"/v1/users/{uid}/events/{bob_plain[0]}").status_code == 204
    record(client, uid, [ev("x", "reply", "2026-11-10T10:00:00Z", counterpart="carol")])
    assert people(get(client, uid, "sales-ratio", window_days=30, as_of=AS_OF)) == {
        "bob": (0, 1),
        "carol": (1, 1),
    }


def test_by_counterpart_follows_a_back_dated_sales_contact(client, user):
    uid = user["id"]
    record(
        client,
        uid,
        [ev("x", "reply", f"2026-11-0{d}T10:00:00Z", counterpart="dave") for d in range(1, 4)],
    )
    assert people(get(client, uid, "sales-ratio", window_days=30, as_of=AS_OF)) == {}
    record(
        client,
        uid,
        [ev("linkedin", "comment", "2026-11-05T10:00:00Z", counterpart="dave", is_sales=True)],
    )
    assert people(get(client, uid, "sales-ratio", window_days=30, as_of=AS_OF)) == {"dave": (3, 1)}
    assert people(get(client, uid, "sales-ratio", window_days=30, platform="x", as_of=AS_OF)) == {}


def test_posting_days_follow_deletes_inserts_and_the_plan(client, user):
    uid = user["id"]
    posting_plan(client, uid, "x", min_posts_per_day=0, max_posts_per_day=5, min_gap_minutes=60)
    record(
        client,
        uid,
        [
            ev("x", "post", "2026-11-16T09:00:00Z", url="https://x.example/1"),
            ev("x", "post", "2026-11-16T09:30:00Z", url="https://x.example/2"),
        ],
    )

    def day16():
        answer = get(client, uid, "posting", platform="x", as_of=AS_OF)  # 2026-11-14 .. 2026-11-20
        return next(
            (d["posts"], d["flags"])
            for d in answer["platforms"][0]["days"]
            if d["date"] == "2026-11-16"
        )

    assert day16() == (2, ["burst"])
    assert day16() == (2, ["burst"])  # from the cache
    posting_plan(client, uid, "x", min_posts_per_day=0, max_posts_per_day=5, min_gap_minutes=20)
    assert day16() == (2, [])  # 30 minutes apart is no burst under a 20-minute gap
    r = client.get(f"/v1/users/{uid}/events", params={"kind": "post"})
    later = [e["id"] for e in r.json()["items"] if e["occurred_at"] == "2026-11-16T09:30:00Z"]
    assert client.delete(f"/v1/users/{uid}/events/{later[0]}").status_code == 204
    assert day16() == (1, [])
    record(client, uid, [ev("x", "share", "2026-11-16T09:10:00Z", url="https://x.example/3")])
    assert day16() == (2, ["burst"])


def test_a_zone_change_is_a_different_question(client, user):
    uid = user["id"]
    record(client, uid, [ev("x", "post", "2026-11-16T23:30:00Z", url="https://x.example/1")])
    answer = get(
        client, uid, "posting", platform="x", from_="2026-11-10", to="2026-11-19", as_of=AS_OF
    )
    assert [d["date"] for d in answer["platforms"][0]["days"] if d["posts"]] == ["2026-11-16"]
    assert client.patch(f"/v1/users/{uid}", json={"timezone": "Asia/Tokyo"}).status_code == 200
    answer = get(
        client, uid, "posting", platform="x", from_="2026-11-10", to="2026-11-19", as_of=AS_OF
    )
    assert [d["date"] for d in answer["platforms"][0]["days"] if d["posts"]] == ["2026-11-17"]


def test_the_cache_is_bounded_and_checks_the_fingerprint():
    cache = WindowCache(max_items=6)
    calls = []

    def compute(value):
        return lambda: calls.append(value) or value

    assert cache.get_or_compute("a", 1, compute("a1")) == "a1"
    assert cache.get_or_compute("a", 1, compute("never")) == "a1"
    assert cache.get_or_compute("a", 2, compute("a2")) == "a2"  # the days changed
    cache.get_or_compute("b", 1, compute("b1"))
    cache.get_or_compute("c", 1, compute("c1"), weight=lambda _: 3)  # 2 + 2 + 4 > 6 items: a goes
    assert cache.get_or_compute("b", 1, compute("never")) == "b1"
    assert cache.get_or_compute("a", 2, compute("a2 again")) == "a2 again"  # 2 + 4 + 2 > 6: c goes
    assert cache.get_or_compute("c", 1, compute("c1 again")) == "c1 again"
    cache.get_or_compute("huge", 1, compute("huge"), weight=lambda _: 10)  # never kept
    assert cache.get_or_compute("huge", 1, compute("huge again")) == "huge again"
    assert calls == ["a1", "a2", "b1", "c1", "a2 again", "c1 again", "huge", "huge again"]


def _version_reads(client, connection, call) -> tuple[object, list[str]]:
    """call()'s answer and the statements it ran that read the counter rows' versions (the
    window's fingerprint, the parts', the posting streak's)."""
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        answer = call()
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    return answer, [s for s in statements if "event_day_count.version" in s]


def test_a_warm_insight_reads_no_fingerprint_until_a_write_of_the_user(client, user, connection):
    """Authentication reads the user's events_version with the key; an entry kept with the
    same number needs no fingerprint statement (issue 19: one round trip fewer per cached
    window, two for posting). Every write of the user replaces the number, so the next
    answer is recounted, also for a back-dated write or a delete another session makes."""
    uid = user["id"]
    other = client.post("/v1/users", json={"name": "Other", "timezone": "UTC"}).json()["id"]
    # A post on each of the 17 days up to yesterday: the streak's run and the range's days.
    record(client, uid, [ev("x", "post", f"2026-11-{d:02d}T09:00:00Z") for d in range(3, 20)])

    def posting():
        answer = get(
            client,
            uid,
            "posting",
            platform="x",
            as_of=AS_OF,
            to="2026-11-20",
            **{"from": "2026-11-01"},
        )
        section = answer["platforms"][0]
        days = {d["date"]: d["posts"] for d in section["days"]}
        return days["2026-11-10"], section["current_streak"]

    def sales():
        answer = get(client, uid, "sales-ratio", window_days=30, as_of=AS_OF)
        return answer["non_sales"], answer["sales"]

    assert posting() == (1, 17)
    assert sales() == (17, 0)
    assert _version_reads(client, connection, posting) == ((1, 17), [])
    assert _version_reads(client, connection, sales) == ((17, 0), [])
    record(client, other, [ev("x", "post", "2026-11-10T10:00:00Z")])  # another user's write
    assert _version_reads(client, connection, posting) == ((1, 17), [])
    # A back-dated post on a cached day, then a reply to bob on another: both show at once.
    record(client, uid, [ev("x", "post", "2026-11-10T10:00:00Z")])
    answer, reads = _version_reads(client, connection, posting)
    assert answer == (2, 17) and reads, reads
    assert _version_reads(client, connection, posting) == ((2, 17), [])
    record(
        client, uid, [ev("x", "reply", "2026-11-12T10:00:00Z", counterpart="bob", is_sales=True)]
    )
    assert sales() == (18, 1)
    assert posting() == (2, 17)  # kept again with the user's newest number
    # A delete (of a day's only post: the streak breaks there) from a session of its own.
    r = client.get(f"/v1/users/{uid}/events", params={"kind": "post", "limit": 100})
    only = [e["id"] for e in r.json()["items"] if e["occurred_at"].startswith("2026-11-15")]
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        assert store.delete(session, uuid.UUID(uid), uuid.UUID(only[0]))
        session.commit()
    assert posting() == (2, 4)  # 11-16 … 11-19
    assert _version_reads(client, connection, posting) == ((2, 4), [])


def test_a_transaction_forgets_the_number_once_it_writes_the_users_events(session, user):
    """What a transaction reads after its own write is uncommitted: no entry may be taken for
    it by the number read before (a later read in the same transaction, a webhook trigger)."""
    uid, other = uuid.UUID(user["id"]), uuid.uuid4()
    item = EventIn(platform="x", kind="post", occurred_at=datetime(2026, 11, 10, 9, tzinfo=UTC))
    store.note_user_version(session, uid, 5)
    store.note_user_version(session, other, 7)
    stored = store.record(session, uid, [item])
    assert (user_version(session, uid), user_version(session, other)) == (None, 7)
    store.note_user_version(session, uid, 6)
    assert store.delete(session, uid, stored[0].id)
    assert user_version(session, uid) is None
    assert not store.delete(session, uid, stored[0].id)  # nothing removed: nothing changed
    store.note_user_version(session, uid, 8)
    assert not store.delete(session, uid, stored[0].id)
    assert user_version(session, uid) == 8
