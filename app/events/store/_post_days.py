"""Per-local-day post summaries for the posting cadence (SPEC §6.2).

A 90-day range of a busy account holds ~15,000 posts, but a day's flags only need its
number of posts and whether two of them were too close. Local days that lie wholly inside
the range's whole UTC days are summarised once and kept in the window cache in parts (local
half-months, the newest days one each; each checked against its days' fingerprint on every
request); the local days at the range's edges,
today included, are summarised from their posts on every request.
"""

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect, Select, bindparam, exists, literal_column, select, union_all
from sqlmodel import Session

from app.calc.posting import (
    DaySummary,
    UtcDayPosts,
    day_summaries,
    run_back,
    streak_anchor,
    utc_day_verdict,
)
from app.calc.timewindows import day_start
from app.calc.vocabulary import BROADCAST_KINDS
from app.core.db import generic_plan
from app.events.models import EVENT_TABLE
from app.events.store import _windows
from app.events.store._day_counts import D as _D
from app.events.store._day_counts import user_version
from app.events.store._split import split_utc_days
from app.events.store._window_cache import (
    CACHE,
    RECENT_DAYS,
    cached_parts,
    day_blocks,
    fingerprints,
)

Summaries = dict[str, dict[date, DaySummary]]  # platform → local day → summary
_TICK, _DAY = timedelta(microseconds=1), timedelta(days=1)


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


def _merge(parts: list[Summaries]) -> Summaries:
    if len(parts) == 1:
        return parts[0]
    out: Summaries = {}
    for part in parts:
        for p, by_day in part.items():
            out.setdefault(p, {}).update(by_day)
    return out


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
    # The inside days in parts (local half-months, the newest days one each: day_blocks), each
    # checked against the UTC days its local days touch.
    blocks = [
        (i0 + (a - days[i0]).days, i0 + (b - days[i0]).days)
        for a, b in day_blocks(days[i0], days[i1] + _DAY)
    ]
    parts = [
        ((days[a], days[b - 1]), bounds[a].date(), (bounds[b] - _TICK).date() + _DAY)
        for a, b in blocks
    ]
    out = cached_parts(
        session,
        "posting_days",
        user_id,
        sorted(min_gaps),
        parts,
        (tz.key, tuple(sorted(min_gaps.items()))),
        lambda i: _summarise(
            session,
            user_id,
            tz,
            min_gaps,
            days[blocks[i][0]],
            days[blocks[i][1] - 1],
            bounds[blocks[i][0]],
            bounds[blocks[i][1]],
            False,
        ),
        _merge,
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
# double (8, 16, … 256 days) from the per-UTC-day counter rows, whose count and first and
# last broadcast instant tell every local day (utc_day_verdict). Only a local day that one
# UTC day holds wholly with posts on both sides (a zone whose day is shorter than 24 h, or
# rows written before their bounds were kept) is left to one EXISTS probe each, one
# statement a chunk. The newest RECENT_DAYS days (8: _window_cache.py says why) are walked
# and kept apart from the run before them, so a back-dated post in the last week costs one
# chunk of 8 days, not the run.
_FIRST_CHUNK, _MAX_CHUNK, _MAX_PROBES = 8, 256, 256
_E = EVENT_TABLE.c


@cache
def _counter_days_stmt() -> Select[Any]:
    """Every counter row of the days (the walk's verdicts and its fingerprint, both from one
    statement: the cached run never rests on rows newer than its fingerprint)."""
    return generic_plan(
        select(
            _D.platform,
            _D.day,
            _D.broadcasts_out,
            _D.first_broadcast_out_at,
            _D.last_broadcast_out_at,
            _D.version,
        ).where(
            _D.user_id == bindparam("user_id"),
            _D.platform.in_(bindparam("platforms", expanding=True)),
            _D.day >= bindparam("lo"),
            _D.day <= bindparam("hi"),
        )
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
) -> dict[str, int]:
    """platform → current streak (today counts once it has a post; ``posts_today`` names
    the platforms). The run of whole days before today is kept in the window cache in two
    parts, each with the fingerprint of the UTC days it read: the newest RECENT_DAYS days
    (where back-dated writes land), and the run before them. A write in the newest days
    re-resolves those days only (a handful of counter rows), not the run; a warm request
    reads one statement of fingerprints, or none when the user's events_version is the one
    the runs were kept with."""
    streaks: dict[str, int] = {}
    starts: dict[str, date] = {}  # platform → the newest whole day of its run
    for p, count in posts_today.items():
        anchor = streak_anchor(today, count)
        streaks[p], starts[p] = (1, anchor - timedelta(days=1)) if anchor == today else (0, anchor)
    url = str(session.get_bind().engine.url)
    older = {p: day - timedelta(days=RECENT_DAYS) for p, day in starts.items()}
    recent_keys = {p: (url, "streak-recent", user_id, p, tz.key, d) for p, d in starts.items()}
    older_keys = {p: (url, "streak", user_id, p, tz.key, d) for p, d in older.items()}
    kept: dict[tuple[str, bool], _Run] = {}  # (platform, the older part?) → the entry found
    for p in starts:
        for is_older, key in ((False, recent_keys[p]), (True, older_keys[p])):
            found = CACHE.peek(key)
            if found is not None:
                kept[(p, is_older)] = cast(_Run, found)
    # A run kept with the user's events_version as this transaction read it is good without
    # its fingerprint (_day_counts.py: no counter row of the user's changed since).
    version = user_version(session, user_id)
    valid = {c for c, run in kept.items() if version is not None and run.version == version}
    checks = [c for c in kept if c not in valid]
    prints = fingerprints(session, user_id, [(p, kept[(p, o)].span) for p, o in checks])
    for (p, is_older), print_ in zip(checks, prints, strict=True):
        if kept[(p, is_older)].print_ == print_:
            valid.add((p, is_older))
            if version is not None:  # the next request reads no fingerprint for it
                kept[(p, is_older)] = replace(kept[(p, is_older)], version=version)
                CACHE.put((older_keys if is_older else recent_keys)[p], kept[(p, is_older)])
    recent = {p: kept[(p, False)] for p in starts if (p, False) in valid}
    to_walk = {p: d for p, d in starts.items() if p not in recent}
    for p, run in _walk(session, user_id, tz, to_walk, RECENT_DAYS, events_version=version).items():
        recent[p] = run
        if run.print_ is not None:
            CACHE.put(recent_keys[p], run)
    far: dict[str, _Run] = {}
    to_walk = {}
    for p, run in recent.items():
        streaks[p] += run.days
        if run.days < RECENT_DAYS:
            continue  # the run ends among the newest days
        if (p, True) in valid:
            far[p] = kept[(p, True)]
        else:
            to_walk[p] = older[p]
    for p, run in _walk(session, user_id, tz, to_walk, events_version=version).items():
        far[p] = run
        if run.print_ is not None:
            CACHE.put(older_keys[p], run)
    for p, run in far.items():
        streaks[p] += run.days
    return streaks


@dataclass(frozen=True)
class _Run:
    """Days with a post running back from a start day, the UTC days [lo, hi) that tell them
    (up to the first day without a post, or the walk's limit), and their fingerprint (None
    when a day read twice had changed between: such a run is not kept), and the user's
    events_version read by the transaction that walked or checked it (None: not read)."""

    days: int
    span: tuple[date, date]
    print_: tuple[int, int] | None
    version: int | None = None


def _walk(
    session: Session,
    user_id: uuid.UUID,
    tz: ZoneInfo,
    walk: dict[str, date],
    limit: int | None = None,
    events_version: int | None = None,
) -> dict[str, _Run]:
    """platform → its run back from its start day, read at most `limit` days deep."""
    out: dict[str, _Run] = {}
    starts = dict(walk)
    ran = 0  # days read so far by every platform still walking (their runs so far)
    versions: dict[str, dict[date, int]] = {p: {} for p in walk}
    torn: set[str] = set()
    size = _FIRST_CHUNK if limit is None else min(_FIRST_CHUNK, limit)
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
        counters: dict[str, dict[date, UtcDayPosts]] = {p: {} for p in walk}
        for platform, day, count, first_at, last_at, version in rows:
            counters[platform][day] = UtcDayPosts(count, first_at, last_at)
            if versions[platform].setdefault(day, version) != version:
                torn.add(platform)
        verdicts: dict[str, dict[date, bool | None]] = {}
        probes: list[tuple[str, datetime, datetime]] = []
        slots: list[tuple[str, date]] = []
        for p, days in chunk.items():
            verdicts[p] = {}
            for d in days:  # newest first; the days after a certain miss do not matter
                verdict = utc_day_verdict(bounds[d], bounds[d + timedelta(days=1)], counters[p])
                verdicts[p][d] = verdict
                if verdict is False:
                    break
                if verdict is None:
                    probes.append((p, bounds[d], bounds[d + timedelta(days=1)]))
                    slots.append((p, d))
        for i in _probe(session, user_id, probes) if probes else ():
            verdicts[slots[i][0]][slots[i][1]] = True
        ran += size
        for p, days in chunk.items():
            posted = {d: bool(v) for d, v in verdicts[p].items()}
            run = run_back(days[0], posted)
            if run == len(days) and (limit is None or ran < limit):
                walk[p] = days[-1] - timedelta(days=1)
                continue
            del walk[p]
            oldest = days[run] if run < len(days) else days[-1]  # the miss, or the limit
            lo = bounds[oldest].date()
            hi = (day_start(starts[p] + timedelta(days=1), tz) - _TICK).date() + _DAY
            print_ = None
            if p not in torn:
                read = [v for day, v in versions[p].items() if lo <= day < hi]
                print_ = (len(read), sum(read))
            out[p] = _Run(ran - size + run, (lo, hi), print_, events_version)
        size = min(2 * size, _MAX_CHUNK)
        if limit is not None:
            size = min(size, limit - ran)
    return out
