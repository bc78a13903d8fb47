"""Per-process results over whole UTC days, checked against the database on every use.

A year of a busy account holds about a million events. Figures that do not add up from
per-day counters (per-counterpart numbers, per-local-day post flags) are computed over
whole UTC days and kept here with the fingerprint of those days: the count of their
`event_day_count` rows and the sum of their `version` (_day_counts.py), read in the
request's own transaction. A hit needs an equal fingerprint, so every insert or delete on
those days, by any process, makes the entry miss and be recomputed; the partial days at
the window's edges are always counted from the events. Answers stay exact; the cost of a
warm request follows the edges, not the window.

A long window is kept in parts (`cached_parts`, cut by `day_blocks`: UTC half-months, and
the newest `RECENT_DAYS` days one part each; the sales ratio's contacts one UTC day each),
each part with its own fingerprint, and the combination of the parts with the fingerprint
of all their days (a warm request reads that one row). So a back-dated write costs the
recount of its part (a day for the sales ratio, else its half-month or, when it is recent,
its day) and one merge, not a year.

Bounded by the number of items (people, days) its entries hold, least recently used first out.
"""

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    bindparam,
    func,
    literal_column,
    select,
    union_all,
)
from sqlmodel import Session

from app.core.db import generic_plan
from app.events.store._day_counts import D, user_version

T = TypeVar("T")


class WindowCache:
    """Least recently used entries go first once the entries hold more than `max_items`
    items in all (an entry's weight is given by its caller: people, days, …), so the memory
    a worker spends here is bounded whatever the number of users and windows."""

    def __init__(self, max_items: int = 200_000) -> None:
        self.max_items = max_items
        self._entries: OrderedDict[Hashable, tuple[Hashable, object, int]] = OrderedDict()
        self._items = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(
        self,
        key: Hashable,
        fingerprint: Hashable,
        compute: Callable[[], T],
        weight: Callable[[T], int] = lambda _: 1,
    ) -> T:
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] == fingerprint:
                self._entries.move_to_end(key)
                self.hits += 1
                return cast(T, found[1])  # stored by compute() of the same key
            self.misses += 1
        value = compute()  # outside the lock: other requests go on meanwhile
        items = 1 + weight(value)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._items -= old[2]
            if items <= self.max_items:
                self._entries[key] = (fingerprint, value, items)
                self._items += items
            while self._items > self.max_items:
                self._items -= self._entries.popitem(last=False)[1][2]
        return value

    def peek(self, key: Hashable) -> object | None:
        """The value kept under key, whatever its fingerprint (for entries whose value says
        which days to fingerprint); None when there is none. Counts as recently used."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def count(self, hit: bool) -> None:
        """Count a use of a value found by ``peek`` (a hit when it was still good)."""
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    def put(self, key: Hashable, value: object, items: int = 1) -> None:
        """Keep value under key (its fingerprint is inside it: see ``peek``)."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._items -= old[2]
            self._entries[key] = (None, value, items)
            self._items += items
            while self._items > self.max_items:
                self._items -= self._entries.popitem(last=False)[1][2]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._items = 0


CACHE = WindowCache()


@cache
def _fingerprints_stmt(n: int) -> Select[tuple[int, str, int, int]] | CompoundSelect[Any]:
    """(i, platform, rows, sum of versions) of n spans of UTC days [lo, hi), each for its
    platforms (grouped by platform), one statement."""

    def part(i: int) -> Select[tuple[int, str, int, int]]:
        return (
            select(
                literal_column(str(i)).label("i"),
                D.platform,
                func.count(),
                func.coalesce(func.sum(D.version), 0),
            )
            .where(
                D.user_id == bindparam("user_id"),
                D.platform.in_(bindparam(f"platforms_{i}", expanding=True)),
                D.day >= bindparam(f"lo_{i}"),
                D.day < bindparam(f"hi_{i}"),
            )
            .group_by(D.platform)
        )

    return generic_plan(union_all(*(part(i) for i in range(n))) if n > 1 else part(0))


def fingerprints(
    session: Session, user_id: uuid.UUID, spans: Sequence[tuple[str, tuple[date, date]]]
) -> list[tuple[int, int]]:
    """(rows, sum of versions) of event_day_count for each (platform, UTC days [lo, hi)),
    one statement. The platforms of one span are read together (the counter rows are keyed
    by (user, day, platform): a span read once per platform would read every platform's
    rows of it each time; the posting streak's spans are mostly the same for every
    platform)."""
    if not spans:
        return []
    by_span: dict[tuple[date, date], list[str]] = {}
    for platform, span in spans:
        by_span.setdefault(span, []).append(platform)
    params: dict[str, Any] = {"user_id": user_id}
    for i, ((lo, hi), platforms) in enumerate(by_span.items()):
        params.update({f"platforms_{i}": platforms, f"lo_{i}": lo, f"hi_{i}": hi})
    rows = session.execute(_fingerprints_stmt(len(by_span)), params)
    found = {(int(i), platform): (int(n), int(total)) for i, platform, n, total in rows}
    index = {span: i for i, span in enumerate(by_span)}
    return [found.get((index[span], platform), (0, 0)) for platform, span in spans]


# The newest days of a window are kept one part each: back-dated writes land there far more
# often than in older days (a client catching up, the bench's writers: the last 7 days), and
# a day's recount is small. Eight days: a local day touches at most two UTC days, so the
# 8th day back keeps a write dated within the last 7 local days (or 7 × 24 h) off every UTC
# day of the parts before it, whatever the zone (the posting streak's cut-off: _post_days).
RECENT_DAYS = 8


@lru_cache(maxsize=1024)  # the same windows, request after request
def day_blocks(first: date, last: date, recent: int = RECENT_DAYS) -> tuple[tuple[date, date], ...]:
    """[first, last) cut into half-open parts: the newest `recent` days one part each, the
    days before them cut at the 1st and the 16th of each month (so those parts stay the
    same while the window slides; half a month: a write's recount is about 15 days)."""
    cut = max(first, last - timedelta(days=recent))
    parts: list[tuple[date, date]] = []
    lo = first
    while lo < cut:
        if lo.day < 16:
            boundary = lo.replace(day=16)
        else:
            boundary = (lo.replace(day=1) + timedelta(days=32)).replace(day=1)
        hi = min(boundary, cut)
        parts.append((lo, hi))
        lo = hi
    parts += [
        (cut + timedelta(days=i), cut + timedelta(days=i + 1)) for i in range((last - cut).days)
    ]
    return tuple(parts)


def _days_of() -> tuple[ColumnElement[bool], ...]:
    """The user's event_day_count rows of the platforms, UTC days [first_day, last_day)."""
    return (
        D.user_id == bindparam("user_id"),
        D.platform.in_(bindparam("platforms", expanding=True)),
        D.day >= bindparam("first_day"),
        D.day < bindparam("last_day"),
    )


@cache
def _window_print_stmt() -> Select[tuple[int, int]]:
    return generic_plan(
        select(func.count(), func.coalesce(func.sum(D.version), 0)).where(*_days_of())
    )


@cache
def _day_prints_stmt() -> Select[tuple[date, int, int]]:
    return generic_plan(
        select(D.day, func.count(), func.coalesce(func.sum(D.version), 0))
        .where(*_days_of())
        .group_by(D.day)
    )


def _days_params(
    user_id: uuid.UUID, platforms: Sequence[str], first_day: date, last_day: date
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "platforms": list(platforms),
        "first_day": first_day,
        "last_day": last_day,
    }


def day_prints(
    session: Session, user_id: uuid.UUID, platforms: Sequence[str], first_day: date, last_day: date
) -> dict[date, tuple[int, int]]:
    """UTC day → (rows, sum of versions) of event_day_count for the days [first_day,
    last_day) that have rows; one statement."""
    rows = session.execute(
        _day_prints_stmt(), _days_params(user_id, platforms, first_day, last_day)
    )
    return {day: (int(n), int(total)) for day, n, total in rows}


def _part_prints(
    session: Session,
    user_id: uuid.UUID,
    platforms: Sequence[str],
    parts: Sequence[tuple[Hashable, date, date]],
) -> list[tuple[int, int]]:
    """(rows, sum of versions) of each part's UTC days [lo, hi), from one row per day (parts
    may share a UTC day: a local day's do); one statement."""
    prints_by_day = day_prints(
        session, user_id, platforms, min(p[1] for p in parts), max(p[2] for p in parts)
    )
    prints: list[tuple[int, int]] = []
    for _, lo, hi in parts:
        n = total = 0
        for i in range((hi - lo).days):
            day_n, day_total = prints_by_day.get(lo + timedelta(days=i), (0, 0))
            n, total = n + day_n, total + day_total
        prints.append((n, total))
    return prints


def cached_parts(
    session: Session,
    name: str,
    user_id: uuid.UUID,
    platforms: Sequence[str],
    parts: Sequence[tuple[Hashable, date, date]],
    extra: Hashable,
    compute: Callable[[int], T],
    combine: Callable[[list[T]], T],
    weight: Callable[[T], int],
    replace: Callable[[T, T, T], T] | None = None,
) -> T:
    """combine([compute(i) for each part]), from the cache where it can: each part (its key,
    the UTC days [lo, hi) it depends on) is kept with those days' fingerprint, and the
    combination with the fingerprint of all its days (and the parts it combined), and with
    the user's events_version when the transaction read it (`user_version`): a warm request
    whose number is the entry's reads nothing; one whose number differs reads the
    fingerprint of all the days (one row); when it changed, one more statement reads
    every part's, and only the parts whose days a write touched are recomputed (versions
    are random 40-bit numbers, so sums of them do not meet by chance). With
    `replace(whole, old part, new part)`, the kept combination is updated by those parts
    alone (its cost follows the part, not the window); else combined again."""
    base: tuple[Any, ...] = (
        str(session.get_bind().engine.url),
        name,
        user_id,
        tuple(platforms),
        extra,
    )
    whole_key = (*base, "whole", tuple(p[0] for p in parts))
    found = cast(
        tuple[tuple[int, int], tuple[tuple[int, int], ...], tuple[T, ...], T, int | None] | None,
        CACHE.peek(whole_key),
    )
    version = user_version(session, user_id)
    if found is not None and version is not None and found[4] == version:
        CACHE.count(True)  # none of the user's counter rows changed (_day_counts.py)
        return found[3]
    first, last = min(p[1] for p in parts), max(p[2] for p in parts)
    n, sum_ = session.execute(
        _window_print_stmt(), _days_params(user_id, platforms, first, last)
    ).one()
    total = (int(n), int(sum_))
    CACHE.count(found is not None and found[0] == total)
    if found is not None and found[0] == total:  # no day of the window changed
        if version is not None:  # kept with this user's number: the next use reads nothing
            CACHE.put(whole_key, (*found[:4], version), 1 + weight(found[3]))
        return found[3]
    prints = _part_prints(session, user_id, platforms, parts)

    def part(i: int) -> T:
        return CACHE.get_or_compute((*base, parts[i][0]), prints[i], lambda: compute(i), weight)

    if found is None:
        values = [part(i) for i in range(len(parts))]
        whole = combine(values)
    else:
        _, kept_prints, kept_values, whole, _ = found
        changed = [i for i, kept in enumerate(kept_prints) if kept != prints[i]]
        values = [part(i) if i in changed else kept_values[i] for i in range(len(parts))]
        if replace is not None and 2 * len(changed) <= len(parts):
            for i in changed:
                whole = replace(whole, kept_values[i], values[i])
        else:
            whole = combine(values)
    CACHE.put(whole_key, (total, tuple(prints), tuple(values), whole, version), 1 + weight(whole))
    return whole
