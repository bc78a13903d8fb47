"""Local days, ISO weeks and look-back windows in a user's time zone (SPEC §2).

A local day is ``[00:00, next 00:00)`` in the user's zone, so it lasts 23 or 25 hours on
DST days. All arithmetic is done on UTC instants: Python compares and subtracts two aware
datetimes that share a tzinfo by their wall clock, which is wrong across DST changes, so
every instant is converted to UTC first and every instant returned is in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_ISO_WEEK = re.compile(r"(\d{4})-W(\d{2})")


def to_utc(instant: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is a programming error (ValueError)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"datetime {instant.isoformat()} has no UTC offset")
    return instant.astimezone(UTC)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The date on the wall calendar in ``tz`` at ``instant``."""
    return to_utc(instant).astimezone(tz).date()


def _wall(instant_utc: datetime, tz: ZoneInfo) -> datetime:
    """Naive local wall-clock time of a UTC instant."""
    return instant_utc.astimezone(tz).replace(tzinfo=None)


def day_start(d: date, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) whose local date in ``tz`` is ``d``.

    Normally local 00:00 (the earlier one if midnight happens twice). When local midnight
    does not exist because a DST gap swallows it (America/Santiago 2026-09-06,
    America/Havana), it is the instant the gap ends, e.g. 01:00 local. A date a zone
    skipped altogether (Pacific/Kiritimati 1994-12-31) starts where the next date starts,
    so its ``day_bounds`` are empty.
    """
    midnight = datetime.combine(d, time(0))
    first = midnight.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(first, tz) == midnight:
        return first
    # Midnight falls in a gap. zoneinfo maps a missing wall time with fold=0 through the
    # offset before the transition (an instant at or after it) and with fold=1 through
    # the offset after it (an instant before it). The transition, which is the instant
    # the gap ends, lies in (before, after]; find it to the second.
    after = first
    before = midnight.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if before >= after:  # pragma: no cover - defensive, tzdata never does this
        return after
    lo, hi = 0, int((after - before).total_seconds())  # wall(before + lo) < midnight
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _wall(before + timedelta(seconds=mid), tz) >= midnight:
            hi = mid
        else:
            lo = mid
    return before + timedelta(seconds=hi)


def day_bounds(d: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``(start, end)`` in UTC of local day ``d``; the day is ``start <= t < end``."""
    return day_start(d, tz), day_start(d + timedelta(days=1), tz)


def week_monday(d: date) -> date:
    """The Monday of ``d``'s ISO week."""
    return d - timedelta(days=d.weekday())


def week_days(d: date) -> list[date]:
    """The seven dates, Monday to Sunday, of ``d``'s ISO week."""
    monday = week_monday(d)
    return [monday + timedelta(days=i) for i in range(7)]


def window_start(as_of: datetime, tz: ZoneInfo, window_days: int) -> datetime:
    """Start (UTC) of the ``window_days`` local days ending with as_of's local day.

    That is local midnight ``window_days - 1`` days before today; the window runs from
    there up to and including ``as_of``.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    today = local_date(as_of, tz)
    return day_start(today - timedelta(days=window_days - 1), tz)


def next_day_start(instant: datetime, tz: ZoneInfo) -> datetime:
    """The start (UTC) of the local day after ``instant``'s local day."""
    return day_start(local_date(instant, tz) + timedelta(days=1), tz)


def parse_iso_week(
    s: str, first: tuple[int, int] = (1, 1), last: tuple[int, int] = (9999, 51)
) -> date:
    """The Monday of an ISO week written ``YYYY-Www``, e.g. ``"2026-W48"`` → 2026-11-23.

    Weeks before ``first`` or after ``last`` ((year, week) pairs) are refused before any
    date arithmetic (9999-W52 would overflow Python's dates, which end on 9999-12-31)."""
    match = _ISO_WEEK.fullmatch(s.strip()) if isinstance(s, str) else None
    if match is None:
        raise ValueError(f"week must look like 2026-W48 (YYYY-Www), got {s!r}")
    year, week = int(match.group(1)), int(match.group(2))
    if not first <= (year, week) <= last:
        raise ValueError(
            f"week {s!r} is outside the accepted range: weeks {first[0]:04d}-W{first[1]:02d} "
            f"to {last[0]:04d}-W{last[1]:02d}"
        )
    weeks_in_year = date(year, 12, 28).isocalendar().week  # 28 Dec is always in the last week
    if not 1 <= week <= weeks_in_year:
        raise ValueError(
            f"week {s!r} does not exist: ISO year {year} has weeks 01 to {weeks_in_year:02d}"
        )
    return date.fromisocalendar(year, week, 1)
