"""Working hours (SPEC §11): the part of a local day in which Rapport schedules actions.

A user's working hours are two local wall-clock times ``"HH:MM"``, start before end. On a
DST day a wall-clock time may not exist (a gap: 02:30 on 2026-03-08 in America/New_York)
or happen twice (an overlap: 01:30 on 2026-11-01 there). A time in a gap means the instant
the gap ends (03:00 EDT: the first local time after it that exists); a time that happens
twice means its first occurrence. Every instant returned is in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.calc.timewindows import day_start

DEFAULT_WORK_START = "09:00"
DEFAULT_WORK_END = "18:00"

_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def parse_clock(text: str) -> time:
    """``"09:30"`` → ``time(9, 30)``; anything but 00:00…23:59 written HH:MM is a ValueError."""
    match = _CLOCK.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"must be a local time written HH:MM from 00:00 to 23:59, e.g. 09:00; got {text!r}"
        )
    return time(int(match.group(1)), int(match.group(2)))


def local_instant(d: date, clock: time, tz: ZoneInfo) -> datetime:
    """The instant (UTC) at which local date ``d`` shows ``clock`` in ``tz``; in a DST gap,
    the instant the gap ends; when it shows twice, the first time."""
    wall = datetime.combine(d, clock)
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In a gap: fold=0 maps through the offset before the transition, to an instant after
    # it. The gap ends at the transition: the latest instant whose wall time is before
    # ``wall`` plus one step. Search the local day's instants to the second.
    lo = day_start(d, tz)
    hi = first
    while (hi - lo) > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(
                f"end ({self.end:%H:%M}) must be after start ({self.start:%H:%M}) on the same day"
            )

    @classmethod
    def of(cls, start: str, end: str) -> WorkingHours:
        return cls(parse_clock(start), parse_clock(end))

    def bounds(self, d: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """(start, end) instants (UTC) of work on local date ``d``; empty (start ≥ end) when
        a DST gap swallows the whole window."""
        return local_instant(d, self.start, tz), local_instant(d, self.end, tz)
