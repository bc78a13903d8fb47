"""How CRM and spreadsheet files write Rapport's values: header names, platform, kind and
direction aliases, booleans, and timestamps in the shapes CRMs export.

Pure: no database, no clock. Every function answers either the value in Rapport's own
vocabulary or ``None`` / an error sentence, and leaves the final validation to the API's
schemas (so an unknown platform still gets the usual message listing the platforms).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from app.calc.vocabulary import DIRECTIONS, KINDS, PLATFORMS

DateFormat = Literal["iso", "dmy", "mdy"]


def key(text: str) -> str:
    """A name or value compared case-, space-, underscore- and punctuation-insensitively:
    "Occurred At", "occurred_at" and "OccurredAt" all give "occurredat"."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _table(own: tuple[str, ...], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table = {key(v): v for v in own}
    for value, names in aliases.items():
        table.update((key(n), value) for n in names)
    return table


# Documented in the README (CSV import); each value also matches its own name.
PLATFORM_ALIASES: dict[str, tuple[str, ...]] = {
    "x": ("Twitter", "X (Twitter)", "Twitter/X", "X.com"),
    "facebook": ("FB", "Facebook Page"),
    "linkedin": ("LinkedIn", "Linked In", "LinkedIn Sales Navigator"),
    "instagram": ("IG", "Insta"),
    "bluesky": ("Bsky", "Blue Sky"),
    "threads": ("Threads.net",),
    "mastodon": ("Fediverse",),
    "tiktok": ("Tik Tok",),
}
KIND_ALIASES: dict[str, tuple[str, ...]] = {
    "follow": ("friend request", "connection request", "connect", "invite", "subscribe"),
    "unfollow": ("unfriend", "disconnect", "unsubscribe"),
    "post": ("tweet", "status", "status update", "article", "update"),
    "share": ("retweet", "repost", "reshare", "boost", "quote"),
    "reply": ("response",),
    "mention": ("@mention", "tag"),
    "direct_message": ("DM", "message", "private message", "InMail", "chat"),
    "comment": (),
    "wall_post": ("timeline post",),
    "like": ("favorite", "favourite", "fave", "heart"),
}
DIRECTION_ALIASES: dict[str, tuple[str, ...]] = {
    "outbound": ("out", "outgoing", "sent"),
    "inbound": ("in", "incoming", "received"),
}
_PLATFORMS = _table(PLATFORMS, PLATFORM_ALIASES)
_KINDS = _table(KINDS, KIND_ALIASES)
_DIRECTIONS = _table(DIRECTIONS, DIRECTION_ALIASES)
_BOOLEANS = {
    **dict.fromkeys(("true", "t", "yes", "y", "1"), True),
    **dict.fromkeys(("false", "f", "no", "n", "0"), False),
}


def platform(text: str) -> str | None:
    """The platform a CRM's value names ("Twitter" → "x"), or None."""
    return _PLATFORMS.get(key(text))


def kind(text: str) -> str | None:
    """The kind a CRM's value names ("Retweet" → "share"), or None."""
    return _KINDS.get(key(text))


def direction(text: str) -> str | None:
    """The direction a CRM's value names ("Outgoing" → "outbound"), or None."""
    return _DIRECTIONS.get(key(text))


def boolean(text: str) -> bool | None:
    """true/false, yes/no, y/n, t/f, 1/0 in any case; None for anything else."""
    return _BOOLEANS.get(text.strip().casefold())


_TIME = (
    r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]+))?)?"
    r"(?:\s*(?P<ampm>[AaPp][Mm]))?"
    r"\s*(?P<offset>[Zz]|UTC|GMT|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
_ISO = re.compile(r"(?P<year>[0-9]{4})-(?P<a>[0-9]{1,2})-(?P<b>[0-9]{1,2})(?:[Tt]|\s+)" + _TIME)
_SLASHED = re.compile(
    r"(?P<a>[0-9]{1,2})(?P<sep>[/.-])(?P<b>[0-9]{1,2})(?P=sep)(?P<year>[0-9]{4})(?:,?\s+|[Tt])"
    + _TIME
)
OFFSET_HINT = "e.g. 2026-11-27T09:30:00Z"


class TimeError(ValueError):
    """A timestamp that cannot be read; the message says what to change (without the value)."""


def _offset(text: str) -> timezone:
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise TimeError("has an offset out of range (at most ±23:59)")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _hour(hour: int, ampm: str | None) -> int:
    if ampm is None:
        return hour
    if not 1 <= hour <= 12:
        raise TimeError("has an AM/PM hour outside 1 to 12")
    return hour % 12 + (12 if ampm.upper() == "PM" else 0)


def _local(naive: datetime, zone: str) -> datetime:
    """A wall-clock time in ``zone``: the earlier instant when the clocks go back (the hour
    happens twice), an error when they skip it."""
    tz = ZoneInfo(zone)
    aware = naive.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise TimeError(f"does not exist in {zone} (the clocks skip that hour)")
    return aware


def parse_time(text: str, date_format: DateFormat | None, zone: str | None) -> datetime:
    """An aware datetime from a CRM's timestamp.

    ISO 8601 (year first, `T` or a space, optional seconds and offset) is always read.
    Day-first (``dmy``) or month-first (``mdy``) dates with `/`, `.` or `-` are read only
    when ``date_format`` says which (26/11/2026 and 11/26/2026 look alike for the 1st to
    12th of a month). A time without an offset is read in ``zone``; without a zone it is an
    error. Raises TimeError with a sentence to act on."""
    value = text.strip()
    match = _ISO.fullmatch(value)
    if match is not None:
        month, day = int(match["a"]), int(match["b"])
    else:
        match = _SLASHED.fullmatch(value)
        if match is None:
            raise TimeError(f"is not a timestamp; send RFC 3339 with an offset, {OFFSET_HINT}")
        if date_format not in ("dmy", "mdy"):
            raise TimeError(
                "is a day/month date: say which comes first with ?date_format=dmy "
                "(26/11/2026) or ?date_format=mdy (11/26/2026)"
            )
        first, second = int(match["a"]), int(match["b"])
        day, month = (first, second) if date_format == "dmy" else (second, first)
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    try:
        naive = datetime(
            int(match["year"]),
            month,
            day,
            _hour(int(match["hour"]), match["ampm"]),
            int(match["minute"]),
            int(match["second"] or 0),
            int(fraction),
        )
    except ValueError as exc:  # 2026-02-30, 25:00, 13/13/2026
        order = {"dmy": "day", "mdy": "month"}.get(date_format or "")
        hint = f"; with ?date_format={date_format} the {order} comes first" if order else ""
        raise TimeError(f"does not exist as a date and time ({exc}){hint}") from None
    if match["offset"] is not None:
        return naive.replace(tzinfo=_offset(match["offset"]))
    if zone is None:
        raise TimeError(
            f"must include a UTC offset, {OFFSET_HINT}; or send ?timezone= (an IANA zone such "
            "as Europe/Berlin) to read times without one in that zone"
        )
    return _local(naive, zone)
