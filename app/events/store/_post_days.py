"""Per-local-day post summaries for the posting cadence (SPEC §6.2).

A 90-day range of a busy account holds ~15,000 posts, but a day's flags only need its
number of posts and whether two of them were too close. Local days that lie wholly inside
the range's whole UTC days are summarised once and kept in the window cache (checked
against those days' fingerprint on every request); the local days at the range's edges,
today included, are summarised from their posts on every request.
"""

import uuid
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect, Select, bindparam, exists, literal_column, select, union_all
from sqlmodel import Session

from app.calc.posting import DaySummary, day_summaries, run_back, streak_anchor, utc_day_verdict
from app.calc.timewindows import day_start
from app.calc.vocabulary import BROADCAST_KINDS
from app.events.models import EVENT_TABLE
from app.events.store import _windows
from app.events.store._day_counts import D as _D
from app.events.store._split import split_utc_days
from app.events.store._window_cache import cached

Summaries = dict[str, dict[date, DaySummary]]  # platform → local day → summary


def _summarise(
    session: Session,
    user_id: uuid.UUID,
    tz: ZoneInfo,
    min_gaps: dict[str, timedelta],
    first: date,
    last: date,
    lo: datetime,
    hi: datetime,
    include_end: bool,
) -> Summaries:
    posts: dict[str, list[datetime]] = {p: [] for p in min_gaps}
    for p, t in _windows.instants(
        session, user_id, list(min_gaps), BROADCAST_KINDS, lo, hi, include_end=include_end
    ):
        posts[p].append(t)
    # A platform without posts has no day to summarise: no per-day work for it, so more
    # platforms cost nothing to a user who posts on one.
    return {
        p: day_summaries(tz, first, last, posts[p], min_gaps[p]) if posts[p] else {}
        for p in min_gaps
    }


def summaries(
    session: Session,
    user_id: uuid.UUID,
    tz: ZoneInfo,
    min_gaps: dict[str, timedelta],
    first: date,
    last: date,
    end: datetime,
    include_end: bool,
) -> Summaries:
    """platform → local day → summary for the local days first..last, counting posts up to
    `end` (included when include_end); `min_gaps` names the platforms."""
    start = day_start(first, tz)
    if not min_gaps or end < start:
        return {p: {} for p in min_gaps}
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    bounds = [day_start(d, tz) for d in days] + [day_start(last + timedelta(days=1), tz)]
    split = split_utc_days(start, end)
    inside = []
    if split.days:
        lo, hi = (
            datetime.combine(d, datetime.min.time(), tzinfo=bounds[0].tzinfo) for d in split.days
        )
        inside = [i for i in range(len(days)) if lo <= bounds[i] and bounds[i + 1] <= hi]
    if not inside or split.days is None:
        return _summarise(session, user_id, tz, min_gaps, first, last, start, end, include_end)
    i0, i1 = inside[0], inside[-1]
    out = cached(
        session,
        "posting_days",
        user_id,
        sorted(min_gaps),
        split.days,
        (tz.key, days[i0], days[i1], tuple(sorted(min_gaps.items()))),
        lambda: _summarise(
            session, user_id, tz, min_gaps, days[i0], days[i1], bounds[i0], bounds[i1 + 1], False
        ),
        weight=lambda by_platform: sum(len(by_day) for by_day in by_platform.values()),
    )
    out = {
        p: dict(by_day) for p, by_day in out.items()
    }  # the cached value is shared: copy before adding
    edges = [(first, days[i0] - timedelta(days=1), start, bounds[i0], False)] if i0 > 0 else []
    if i1 + 1 < len(days):
        edges.append((days[i1 + 1], last, bounds[i1 + 1], end, include_end))
    if not edges:
        return out
    posts: dict[str, list[datetime]] = {p: [] for p in min_gaps}  # both edges' posts, one statement
    for p, t in _windows.instants_in_spans(
        session,
        user_id,
        list(min_gaps),
        BROADCAST_KINDS,
        [(lo, hi, inclusive) for _, _, lo, hi, inclusive in edges],
    ):
        posts[p].append(t)
    for e_first, e_last, *_ in edges:  # each edge's days take only their own posts
        for p, gap in min_gaps.items():
            if posts[p]:
                out[p].update(day_summaries(tz, e_first, e_last, posts[p], gap))
    return out


# The current streak (SPEC §6.2) counts back from today whatever the range. Its cost is
# bounded by the streak's days, not the user's posts: days are resolved in chunks that
# double (8, 16, … 256 days), first from the per-UTC-day counters (a local day whose UTC
# days have no broadcast has none; one that wholly holds a UTC day with broadcasts has
# some: every day of a UTC user), and the days the counters cannot tell (a local day
# shares its UTC days with its neighbours) by one EXISTS probe each, one statement a chunk.
_FIRST_CHUNK, _MAX_CHUNK, _MAX_PROBES = 8, 256, 256
_E = EVENT_TABLE.c


@cache
def _counter_days_stmt() -> Select[tuple[str, date, int]]:
    return select(_D.platform, _D.day, _D.broadcasts_out).where(
        _D.user_id == bindparam("user_id"),
        _D.platform.in_(bindparam("platforms", expanding=True)),
        _D.day >= bindparam("lo"),
        _D.day <= bindparam("hi"),
        _D.broadcasts_out > 0,
    )


@cache
def _probe_stmt(n: int) -> Select[Any] | CompoundSelect[Any]:
    """Which of n (platform, [start, end)) probes hold an outbound broadcast."""

    def probe(i: int) -> Select[Any]:
        return select(literal_column(str(i)).label("i")).where(
            exists().where(
                _E.user_id == bindparam("user_id"),
                _E.platform == bindparam(f"platform_{i}"),
                _E.kind.in_(sorted(BROADCAST_KINDS)),
                _E.occurred_at >= bindparam(f"start_{i}"),
                _E.occurred_at < bindparam(f"end_{i}"),
                _E.direction == "outbound",
            )
        )

    return union_all(*(probe(i) for i in range(n))) if n > 1 else probe(0)


def _probe(
    session: Session, user_id: uuid.UUID, probes: list[tuple[str, datetime, datetime]]
) -> set[int]:
    hits: set[int] = set()
    for at in range(0, len(probes), _MAX_PROBES):
        part = probes[at : at + _MAX_PROBES]
        params: dict[str, Any] = {"user_id": user_id}
        for i, (platform, start, end) in enumerate(part):
            params.update({f"platform_{i}": platform, f"start_{i}": start, f"end_{i}": end})
        hits.update(at + i for (i,) in session.execute(_probe_stmt(len(part)), params))
    return hits


def current_streaks(
    session: Session,
    user_id: uuid.UUID,
    tz: ZoneInfo,
    today: date,
    posts_today: dict[str, int],
    known: Summaries,
    first: date,
    last: date,
) -> dict[str, int]:
    """platform → current streak. ``known``: the summaries of the range first..last (each
    day of it up to today is exact), used where the walk crosses the range."""
    streaks: dict[str, int] = {}
    walk: dict[str, date] = {}  # platform → the next (older) day to resolve
    for p, count in posts_today.items():
        anchor = streak_anchor(today, count)
        streaks[p], walk[p] = (1, anchor - timedelta(days=1)) if anchor == today else (0, anchor)
    size = _FIRST_CHUNK
    while walk:
        lowest = min(walk.values()) - timedelta(days=size - 1)
        chunk = {p: [day - timedelta(days=i) for i in range(size)] for p, day in walk.items()}
        bounds = {
            d: day_start(d, tz)
            for d in (
                lowest + timedelta(days=i) for i in range((max(walk.values()) - lowest).days + 2)
            )
        }
        rows = session.execute(
            _counter_days_stmt(),
            {
                "user_id": user_id,
                "platforms": sorted(walk),
                "lo": bounds[lowest].date(),
                "hi": bounds[max(walk.values()) + timedelta(days=1)].date(),
            },
        ).all()
        counters: dict[str, dict[date, int]] = {p: {} for p in walk}
        for platform, day, count in rows:
            counters[platform][day] = count
        verdicts: dict[str, dict[date, bool | None]] = {}
        probes: list[tuple[str, datetime, datetime]] = []
        slots: list[tuple[str, date]] = []
        for p, days in chunk.items():
            verdicts[p] = {}
            for d in days:  # newest first; the days after a certain miss do not matter
                if first <= d <= last:
                    verdict: bool | None = d in known[p] and known[p][d].posts > 0
                else:
                    verdict = utc_day_verdict(bounds[d], bounds[d + timedelta(days=1)], counters[p])
                verdicts[p][d] = verdict
                if verdict is False:
                    break
                if verdict is None:
                    probes.append((p, bounds[d], bounds[d + timedelta(days=1)]))
                    slots.append((p, d))
        for i in _probe(session, user_id, probes) if probes else ():
            verdicts[slots[i][0]][slots[i][1]] = True
        for p, days in chunk.items():
            posted = {d: bool(v) for d, v in verdicts[p].items()}
            run = run_back(days[0], posted)
            streaks[p] += run
            if run < len(days):
                del walk[p]
            else:
                walk[p] = days[-1] - timedelta(days=1)
        size = min(2 * size, _MAX_CHUNK)
    return streaks
