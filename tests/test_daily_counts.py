"""The per-day counters agree with counting the events themselves, after inserts, repeats,
deletes and a full rebuild, for arbitrary windows: exactness is not traded for speed."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.auth.service import get_or_create_workspace
from app.calc.vocabulary import BROADCASTS, CONTACTS, INTERACTIONS, KINDS, PLATFORMS
from app.events import store
from app.events.models import Event, EventIn
from app.events.store.maintenance import COUNTERS, EventDayCount, rebuild_counters
from app.users.models import User

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _random_events(rng: random.Random, n: int) -> list[EventIn]:
    events = []
    for i in range(n):
        kind = rng.choice(KINDS)
        events.append(
            EventIn(
                platform=rng.choice(PLATFORMS),
                kind=kind,
                occurred_at=T0 + timedelta(minutes=rng.randrange(0, 60 * 24 * 20)),
                direction=rng.choice(["outbound", "outbound", "inbound"]),
                is_sales=kind in CONTACTS and rng.random() < 0.2,
                counterpart=f"p{rng.randrange(30)}",
                external_id=f"e{i}" if rng.random() < 0.5 else None,
            )
        )
    return events


def _expected(events: list[Event], start, end, platform) -> dict[str, int]:
    """Counts by the SPEC's kind groups, one event at a time."""
    out = dict.fromkeys(COUNTERS, 0)
    for e in events:
        if e.platform != platform or not start <= e.occurred_at <= end:
            continue
        outbound = e.direction == "outbound"
        out["follows_out"] += outbound and e.kind == "follow"
        out["follows_in"] += (not outbound) and e.kind == "follow"
        out["unfollows_out"] += outbound and e.kind == "unfollow"
        out["broadcasts_out"] += outbound and e.kind in BROADCASTS
        out["interactions_out"] += outbound and e.kind in INTERACTIONS
        out["contacts_non_sales_out"] += outbound and e.kind in CONTACTS and not e.is_sales
        out["contacts_sales_out"] += outbound and e.kind in CONTACTS and e.is_sales
        out["inbound_non_follow"] += (not outbound) and e.kind != "follow"
    return out


def _check_windows(session, user_id, rng):
    stored = list(session.execute(select(Event).where(Event.user_id == user_id)).scalars())
    windows = [
        (T0, T0 + timedelta(days=30)),
        (T0 + timedelta(hours=5), T0 + timedelta(days=3, hours=2)),
        (T0 + timedelta(days=2, minutes=1), T0 + timedelta(days=2, hours=23)),
    ]
    for _ in range(12):
        a = T0 + timedelta(minutes=rng.randrange(0, 60 * 24 * 21))
        windows.append((a, a + timedelta(minutes=rng.randrange(0, 60 * 24 * 12))))
    for start, end in windows:
        got = store.counters(session, user_id, start, end, COUNTERS)
        for platform in PLATFORMS:
            assert got[platform] == _expected(stored, start, end, platform), (start, end, platform)


def test_counters_match_events_after_writes_deletes_and_rebuild(session):
    rng = random.Random(7)
    workspace = get_or_create_workspace(session, "counters")
    user = User(workspace_id=workspace.id, name="c")
    session.add(user)
    session.flush()
    batch = _random_events(rng, 400)
    store.record(session, user.id, batch)
    store.record(session, user.id, [e for e in batch[:50] if e.external_id])  # repeats add nothing
    for event in list(
        session.execute(select(Event).where(Event.user_id == user.id).limit(60)).scalars()
    ):
        assert store.delete(session, event.user_id, event.id)
    assert not store.delete(session, user.id, event.id)  # deleted already: nothing to undo
    session.flush()
    _check_windows(session, user.id, rng)

    before = {
        (r.day, r.platform): tuple(getattr(r, n) for n in COUNTERS)
        for r in session.execute(
            select(EventDayCount).where(EventDayCount.user_id == user.id)
        ).scalars()
    }
    rebuild_counters(session.connection())
    session.expire_all()
    after = {
        (r.day, r.platform): tuple(getattr(r, n) for n in COUNTERS)
        for r in session.execute(
            select(EventDayCount).where(EventDayCount.user_id == user.id)
        ).scalars()
    }
    assert {k: v for k, v in before.items() if any(v)} == after
    _check_windows(session, user.id, rng)


def _bounds(session, user_id) -> dict:
    return {
        (r.day, r.platform): (r.first_broadcast_out_at, r.last_broadcast_out_at)
        for r in session.execute(
            select(EventDayCount).where(EventDayCount.user_id == user_id)
        ).scalars()
        if r.broadcasts_out or r.first_broadcast_out_at or r.last_broadcast_out_at
    }


def _expected_bounds(session, user_id) -> dict:
    out: dict = {}
    for e in session.execute(select(Event).where(Event.user_id == user_id)).scalars():
        if e.direction != "outbound" or e.kind not in BROADCASTS:
            continue
        key = (e.occurred_at.date(), e.platform)
        first, last = out.get(key, (e.occurred_at, e.occurred_at))
        out[key] = (min(first, e.occurred_at), max(last, e.occurred_at))
    return out


def test_broadcast_bounds_follow_inserts_deletes_of_a_days_first_and_last_and_rebuild(session):
    """Each counter row's first and last outbound broadcast instant (what the current
    streak tells local days by) equals the events' own, also after deleting a day's first
    or last post, or its only one."""
    rng = random.Random(11)
    workspace = get_or_create_workspace(session, "bounds")
    user = User(workspace_id=workspace.id, name="b")
    session.add(user)
    session.flush()
    store.record(session, user.id, _random_events(rng, 300))
    # Several posts on one day; then its first, its last and finally every one go.
    day = T0 + timedelta(days=25)
    posts = [
        EventIn(platform="x", kind="post", occurred_at=day + timedelta(hours=h)) for h in (1, 9, 23)
    ]
    ids = [s.id for s in store.record(session, user.id, posts)]
    session.flush()
    assert _bounds(session, user.id) == _expected_bounds(session, user.id)
    for event_id in (ids[0], ids[2], ids[1]):
        assert store.delete(session, user.id, event_id)
        session.flush()
        assert _bounds(session, user.id) == _expected_bounds(session, user.id)
    assert (day.date(), "x") not in _bounds(session, user.id)
    for event in rng.sample(
        list(session.execute(select(Event).where(Event.user_id == user.id)).scalars()), 80
    ):
        store.delete(session, user.id, event.id)
    session.flush()
    assert _bounds(session, user.id) == _expected_bounds(session, user.id)
    rebuild_counters(session.connection())
    session.expire_all()
    assert _bounds(session, user.id) == _expected_bounds(session, user.id)
