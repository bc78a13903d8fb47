"""The cached window figures (app/events/store/_window_cache.py) equal a count of the events
themselves, window after window, while inserts and deletes land on the cached days: the
per-person contacts and per-platform totals of the sales ratio, the people engaged, and
the per-local-day post summaries of the posting cadence."""

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.auth.service import get_or_create_workspace
from app.calc.posting import DaySummary
from app.calc.timewindows import day_start, local_date
from app.calc.vocabulary import BROADCASTS, CONTACTS, INTERACTIONS, PLATFORMS
from app.events import store
from app.events.models import Event
from app.events.store.maintenance import WINDOW_CACHE as CACHE
from app.users.models import User
from tests.test_daily_counts import T0, _random_events

TZ = ZoneInfo("America/New_York")  # 2026-11-01 has 25 hours here
START = datetime(2026, 10, 25, tzinfo=UTC)  # events over 20 days from here: across that day
SHIFT = START - T0


def _contacts(events, start, end, platform):
    by_platform, by_person = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for e in events:
        if (
            e.direction != "outbound"
            or e.kind not in CONTACTS
            or not start <= e.occurred_at <= end
            or (platform and e.platform != platform)
        ):
            continue
        by_platform[e.platform][e.is_sales] += 1
        if e.counterpart:
            by_person[e.counterpart][e.is_sales] += 1
    return (
        {p: tuple(v) for p, v in by_platform.items()},
        sorted((c, n, s) for c, (n, s) in by_person.items() if s),
    )


def _people(events, start, end):
    return len(
        {
            e.counterpart
            for e in events
            if e.direction == "outbound"
            and e.kind in INTERACTIONS
            and e.counterpart
            and start <= e.occurred_at <= end
        }
    )


def _summaries(events, first: date, last: date, end: datetime, min_gap: timedelta):
    posts = defaultdict(lambda: defaultdict(list))
    for e in events:
        day = local_date(e.occurred_at, TZ)
        if (
            e.direction == "outbound"
            and e.kind in BROADCASTS
            and first <= day <= last
            and e.occurred_at <= end
        ):
            posts[e.platform][day].append(e.occurred_at)
    out = {}
    for p, days in posts.items():
        out[p] = {
            d: DaySummary(
                len(ts),
                any(b - a < min_gap for a, b in zip(sorted(ts), sorted(ts)[1:], strict=False)),
            )
            for d, ts in days.items()
        }
    return out


def _check(session, user_id, rng, windows):
    stored = list(session.execute(select(Event).where(Event.user_id == user_id)).scalars())
    for start, end in windows:
        for platform in (None, rng.choice(PLATFORMS)):
            per_platform, rows = store.contacts(session, user_id, start, end, platform)
            assert (per_platform, sorted(rows)) == _contacts(stored, start, end, platform), (
                start,
                end,
                platform,
            )
        assert store.people_engaged(session, user_id, start, end) == _people(stored, start, end)
        first, last = local_date(start, TZ), local_date(end, TZ)
        gaps = {p: timedelta(minutes=rng.choice([0, 30, 240])) for p in PLATFORMS}
        got = store.post_days(session, user_id, TZ, gaps, first, last, end, include_end=True)
        expected = {p: {} for p in PLATFORMS}
        for p in PLATFORMS:
            expected[p] = _summaries(
                [e for e in stored if e.platform == p], first, last, end, gaps[p]
            ).get(p, {})
        assert got == expected, (first, last, end)


def test_cached_figures_follow_every_write(session):
    rng = random.Random(11)
    workspace = get_or_create_workspace(session, "window-cache")
    user = User(workspace_id=workspace.id, name="w", timezone=TZ.key)
    session.add(user)
    session.flush()
    # Windows that repeat from round to round (cache hits) and new ones, across the DST end.
    fixed = [
        (START + timedelta(hours=7), START + timedelta(days=12, hours=3)),
        (day_start(date(2026, 10, 31), TZ), day_start(date(2026, 11, 2), TZ)),
    ]
    hits = CACHE.hits
    for _ in range(5):
        batch = [
            e.model_copy(update={"external_id": None, "occurred_at": e.occurred_at + SHIFT})
            for e in _random_events(rng, 150)
        ]
        store.record(session, user.id, batch)
        events = list(session.execute(select(Event).where(Event.user_id == user.id)).scalars())
        for event in rng.sample(events, 25):
            store.delete(session, event.user_id, event.id)
        session.flush()
        a = START + timedelta(minutes=rng.randrange(0, 60 * 24 * 10))
        _check(
            session,
            user.id,
            rng,
            [*fixed, (a, a + timedelta(minutes=rng.randrange(60, 60 * 24 * 9)))],
        )
        _check(session, user.id, rng, fixed)  # unchanged days: answered from the cache
    assert CACHE.hits > hits
