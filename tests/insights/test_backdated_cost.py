"""A back-dated write costs about a day, not a window (issue 19 item 2, issue 11).

The window cache keeps a long window in parts (the sales ratio's contacts one UTC day each;
other figures UTC half-months, the newest 8 days one each) and
the posting streak's run in two parts (the newest 8 days, the run before them), each with
the fingerprint of its own days. After one back-dated write, the next request reads the
events (or counter rows) of the part that write touched, not of the whole window or run;
the answers stay those of a cold cache. Cost is told by what is read, never by time.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event

from app.events.store.maintenance import WINDOW_CACHE as CACHE
from tests.insights.helpers import ev, get, make_user, record

AS_OF = "2026-11-27T12:00:00Z"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)


@contextmanager
def statements(connection) -> Iterator[list[tuple[str, dict]]]:
    """(SQL, bound parameters by name) of every statement run meanwhile."""
    seen: list[tuple[str, dict]] = []

    def listener(conn, cursor, sql, params, context, executemany):
        seen.append(
            (sql, dict(context.compiled_parameters[0]) if context.compiled_parameters else {})
        )

    event.listen(connection, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", listener)


def _streak(client, uid) -> int:
    answer = get(client, uid, "posting", platform="x", as_of=AS_OF)
    return answer["platforms"][0]["current_streak"]


def _counter_reads(seen: list[tuple[str, dict]]) -> list[tuple[date, date]]:
    """The UTC days [lo, hi] of each read of per-day counter rows (the streak's walk)."""
    return [(p["lo"], p["hi"]) for sql, p in seen if "first_broadcast_out_at" in sql]


def test_a_post_in_the_last_week_does_not_re_walk_a_400_day_streak(client, connection):
    uid = make_user(client, "America/New_York")
    evening = [
        ev("x", "post", (NOW - timedelta(days=i, hours=1)).isoformat()) for i in range(1, 401)
    ]
    record(client, uid, evening)
    assert _streak(client, uid) == 400
    for days_back in range(1, 8):  # back-dated posts on each of the last 7 days
        record(client, uid, [ev("x", "post", (NOW - timedelta(days=days_back)).isoformat())])
        with statements(connection) as seen:
            assert _streak(client, uid) == 400
        reads = _counter_reads(seen)
        # The newest 8 days are read again (one statement, ~10 UTC days), the run before
        # them is not: before the fix, every chunk back to day 400 (6 statements).
        assert len(reads) == 1, reads
        lo, hi = reads[0]
        assert (hi - lo).days <= 10, reads
    # A write older than the cut-off invalidates the kept run, as before.
    record(client, uid, [ev("x", "post", (NOW - timedelta(days=100)).isoformat())])
    with statements(connection) as seen:
        assert _streak(client, uid) == 400
    assert len(_counter_reads(seen)) > 1
    # Deleting the only posts of a recent day breaks the run there.
    listed = client.get(f"/v1/users/{uid}/events", params={"limit": 500}).json()["items"]
    day_4 = [
        e
        for e in listed
        if NOW - timedelta(days=5)
        < datetime.fromisoformat(e["occurred_at"])
        < NOW - timedelta(days=3, hours=12)
    ]
    assert len(day_4) == 2
    for item in day_4:
        assert client.delete(f"/v1/users/{uid}/events/{item['id']}").status_code == 204
    assert _streak(client, uid) == 3


def _tallied_spans(seen: list[tuple[str, dict]]) -> list[timedelta]:
    """Length of every span of events a statement tallied (start_i .. end_i)."""
    out = []
    for _, params in seen:
        for name, lo in params.items():
            if name.startswith("start_") and f"end_{name[6:]}" in params:
                out.append(params[f"end_{name[6:]}"] - lo)
    return out


def test_a_back_dated_contact_recounts_its_day_not_the_year(client, connection):
    uid = make_user(client)
    rows = [
        ev(
            "x",
            "reply",
            (NOW - timedelta(days=d, hours=h)).isoformat(),
            counterpart=f"p{(d * 3 + h) % 40}",
            is_sales=(d + h) % 7 == 0,
        )
        for d in range(0, 366)
        for h in (1, 5, 9)
    ]
    for at in range(0, len(rows), 500):
        record(client, uid, rows[at : at + 500])
    first = get(client, uid, "sales-ratio", window_days=365, as_of=AS_OF)
    for days_back in (200, 3, 40):  # mid-year, a recent day, last month
        record(
            client,
            uid,
            [
                ev(
                    "x",
                    "reply",
                    (NOW - timedelta(days=days_back, hours=2)).isoformat(),
                    counterpart="newcomer",
                    is_sales=True,
                )
            ],
        )
        with statements(connection) as seen:
            warm_after_write = get(client, uid, "sales-ratio", window_days=365, as_of=AS_OF)
        spans = _tallied_spans(seen)
        # Its UTC day: the sales ratio's parts are days (half-months read 16 days, a single
        # fingerprint all 364).
        assert spans and max(spans) <= timedelta(days=1), spans
        CACHE.clear()
        assert warm_after_write == get(client, uid, "sales-ratio", window_days=365, as_of=AS_OF)
    assert warm_after_write != first
    newcomer = [r for r in warm_after_write["by_counterpart"] if r["counterpart"] == "newcomer"]
    assert [(r["non_sales"], r["sales"]) for r in newcomer] == [(0, 3)]
    # Deletes too: the newcomer's contacts go one by one, the last takes them off the list.
    listed = client.get(
        f"/v1/users/{uid}/events", params={"counterpart": "newcomer", "limit": 10}
    ).json()["items"]
    for item in listed:
        get(client, uid, "sales-ratio", window_days=365, as_of=AS_OF)  # warm before the write
        assert client.delete(f"/v1/users/{uid}/events/{item['id']}").status_code == 204
        after = get(client, uid, "sales-ratio", window_days=365, as_of=AS_OF)
        CACHE.clear()
        assert after == get(client, uid, "sales-ratio", window_days=365, as_of=AS_OF)
    assert "newcomer" not in [r["counterpart"] for r in after["by_counterpart"]]
    assert after == first
