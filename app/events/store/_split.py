"""Split a window into whole UTC days and the partial edges around them.

Counters kept per UTC day answer the whole days; the edges are counted from the events.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True)
class WindowSplit:
    """[start, end] = [start, first_day 00:00Z) + days [first_day, end_day) + [end_day 00:00Z, end].

    When the window holds no whole UTC day, ``days`` is None and ``head`` is the whole
    window, closed at both ends.
    """

    head: tuple[datetime, datetime] | None  # half-open [a, b)
    days: tuple[date, date] | None  # half-open [first, last)
    tail: tuple[datetime, datetime]  # closed [a, b]


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=UTC)


def split_utc_days(start: datetime, end: datetime) -> WindowSplit:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first = start.date() if start == _midnight(start.date()) else start.date() + timedelta(days=1)
    last = end.date()
    if first >= last:
        return WindowSplit(head=None, days=None, tail=(start, end))
    head = (start, _midnight(first)) if start < _midnight(first) else None
    return WindowSplit(head=head, days=(first, last), tail=(_midnight(last), end))
