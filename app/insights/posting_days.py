"""Per-local-day post summaries for the posting cadence (SPEC §6.2).

A 90-day range of a busy account holds ~15,000 posts, but a day's flags only need its
number of posts and whether two of them were too close. Local days that lie wholly inside
the range's whole UTC days are summarised once and kept in the window cache (checked
against those days' fingerprint on every request); the local days at the range's edges,
today included, are summarised from their posts on every request.
"""

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.calc.day_split import split_utc_days
from app.calc.posting import DaySummary, day_summaries
from app.calc.timewindows import day_start
from app.calc.vocabulary import BROADCAST_KINDS
from app.insights import queries
from app.insights.window_cache import cached

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
    for p, t in queries.instants(
        session, user_id, list(min_gaps), BROADCAST_KINDS, lo, hi, include_end=include_end
    ):
        posts[p].append(t)
    return {p: day_summaries(tz, first, last, posts[p], min_gaps[p]) for p in min_gaps}


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
    if not inside:
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
    for p, t in queries.instants_in_spans(
        session,
        user_id,
        list(min_gaps),
        BROADCAST_KINDS,
        [(lo, hi, inclusive) for _, _, lo, hi, inclusive in edges],
    ):
        posts[p].append(t)
    for e_first, e_last, *_ in edges:  # each edge's days take only their own posts
        for p, gap in min_gaps.items():
            out[p].update(day_summaries(tz, e_first, e_last, posts[p], gap))
    return out
