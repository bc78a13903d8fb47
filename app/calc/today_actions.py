"""The day's to-do list of the Today plan (SPEC §11): concrete, numeric actions.

Pure: the Today service hands over the slots, the people and the findings; times in the
texts are local ``HH:MM`` in the user's zone. Order: by time, then importance. An action
without a time (answer someone, fix the profile) is due now: it sorts at
max(as_of, start of work), and its ``at`` stays None. Importance, most first: replies,
follows, posts, helpful contacts before a pitch, reconnecting, then profile fixes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from app.calc.next_actions import profile_action
from app.calc.profile_findings import Finding, FindingCode
from app.calc.timewindows import to_utc
from app.calc.vocabulary import Platform

TodayActionCode = Literal[
    "reply",
    "follow",
    "follow_unscheduled",
    "post",
    "helpful_contacts",
    "reconnect",
    FindingCode,
]
_IMPORTANCE = {
    "reply": 0,
    "follow": 1,
    "follow_unscheduled": 1,
    "post": 2,
    "helpful_contacts": 3,
    "reconnect": 4,
}
_PROFILE_IMPORTANCE = 5


@dataclass(frozen=True)
class FollowDay:
    platform: Platform
    remaining_today: int
    slots: Sequence[datetime]
    unscheduled: int


@dataclass(frozen=True)
class PostDay:
    platform: Platform
    slots: Sequence[datetime]
    posts_today: int
    min_posts_per_day: int


@dataclass(frozen=True)
class Person:
    """A contact as the to-do list names it: ``label`` is "@grace" or "Grace (@grace)"."""

    contact_id: uuid.UUID
    label: str
    unanswered: int = 0
    waiting_since: datetime | None = None
    overdue_days: int = 0


@dataclass(frozen=True)
class DayFigures:
    as_of: datetime
    tz: ZoneInfo
    start_of_work: datetime
    follows: Sequence[FollowDay] = ()
    posts: Sequence[PostDay] = ()
    get_back_to: Sequence[Person] = ()
    keep_in_touch: Sequence[Person] = ()
    helpful_before_next_pitch: int = 0
    profile: Sequence[tuple[Platform, Finding]] = ()


@dataclass(frozen=True)
class TodayAction:
    code: TodayActionCode
    text: str
    platform: Platform | None = None
    contact_id: uuid.UUID | None = None
    at: datetime | None = None


def _n(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def handle_label(name: str | None, handles: Sequence[str]) -> str:
    """ "@grace", "Grace Hopper (@grace)", or the name alone when there is no handle; a
    handle that already has an @ (an e-mail address, a Mastodon account) is kept as it is."""
    handle = next(iter(handles), None)
    shown = None if handle is None else handle if "@" in handle else f"@{handle}"
    if name and shown:
        return f"{name} ({shown})"
    return name or shown or "a contact"


def waited(since: datetime, as_of: datetime) -> str:
    """ "2 days", "5 hours", "40 minutes" (whole units, rounded down; at least 1 minute)."""
    gap = max(timedelta(0), to_utc(as_of) - to_utc(since))
    if gap >= timedelta(days=1):
        return _n(gap.days, "day")
    if gap >= timedelta(hours=1):
        return _n(int(gap.total_seconds() // 3600), "hour")
    return _n(max(1, int(gap.total_seconds() // 60)), "minute")


def _clock(t: datetime, tz: ZoneInfo) -> str:
    return to_utc(t).astimezone(tz).strftime("%H:%M")


def _follow(f: FollowDay, tz: ZoneInfo) -> list[TodayAction]:
    if f.remaining_today <= 0:
        return []
    out = []
    if f.slots:
        first, last = f.slots[0], f.slots[-1]
        when = (
            f"at {_clock(first, tz)}"
            if len(f.slots) == 1
            else f"between {_clock(first, tz)} and {_clock(last, tz)}"
        )
        out.append(
            TodayAction(
                "follow",
                f"follow {_n(len(f.slots), 'person', 'people')} on {f.platform} {when}, "
                "one at each slot",
                f.platform,
                at=first,
            )
        )
    if f.unscheduled:
        out.append(
            TodayAction(
                "follow_unscheduled",
                f"{_n(f.unscheduled, 'follow')} of today's {f.remaining_today} on {f.platform} "
                "do not fit in your working hours within the limits; leave them for tomorrow",
                f.platform,
            )
        )
    return out


def _posts(p: PostDay, tz: ZoneInfo) -> list[TodayAction]:
    total = len(p.slots)
    return [
        TodayAction(
            "post",
            f"post on {p.platform} at {_clock(t, tz)}"
            + (f" ({i} of {total} today)" if total > 1 else ""),
            p.platform,
            at=t,
        )
        for i, t in enumerate(p.slots, start=1)
    ]


def _reply(person: Person, as_of: datetime) -> TodayAction:
    if person.waiting_since is None:
        wait = ""
    elif person.unanswered == 1:
        wait = f": their message has waited {waited(person.waiting_since, as_of)}"
    else:
        wait = (
            f": {person.unanswered} messages, the oldest has waited "
            f"{waited(person.waiting_since, as_of)}"
        )
    return TodayAction("reply", f"reply to {person.label}{wait}", contact_id=person.contact_id)


def _reconnect(person: Person) -> TodayAction:
    late = f": {_n(person.overdue_days, 'day')} overdue" if person.overdue_days else ": due today"
    return TodayAction(
        "reconnect", f"get back in touch with {person.label}{late}", contact_id=person.contact_id
    )


def today_actions(d: DayFigures) -> list[TodayAction]:
    """The day's actions, ordered by time then importance (see the module's docstring)."""
    actions: list[TodayAction] = []
    for f in d.follows:
        actions += _follow(f, d.tz)
    for p in d.posts:
        actions += _posts(p, d.tz)
    actions += [_reply(p, d.as_of) for p in d.get_back_to]
    if d.helpful_before_next_pitch > 0:
        n = d.helpful_before_next_pitch
        actions.append(
            TodayAction(
                "helpful_contacts",
                f"help before you sell: make {_n(n, 'helpful (non-sales) contact')} "
                "before your next sales message",
            )
        )
    actions += [_reconnect(p) for p in d.keep_in_touch]
    for platform, finding in d.profile:
        fix = profile_action(platform, finding)
        actions.append(TodayAction(finding.code, fix.text, platform))
    now = max(to_utc(d.as_of), to_utc(d.start_of_work))

    def key(a: TodayAction) -> tuple[datetime, int]:
        return (a.at or now, _IMPORTANCE.get(a.code, _PROFILE_IMPORTANCE))

    return sorted(actions, key=key)  # stable: equal keys keep the order above
