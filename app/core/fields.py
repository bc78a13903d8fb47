"""Shared field types for API schemas and tables."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, PlainSerializer

from app.core.types import UTCDateTime  # noqa: F401  (re-exported for tables)

Platform = Literal["x", "facebook", "linkedin", "instagram"]
Kind = Literal[
    "follow", "unfollow", "post", "share", "reply", "mention",
    "direct_message", "comment", "wall_post", "like",
]
Direction = Literal["outbound", "inbound"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _instant(value: datetime) -> datetime:
    # Compare before converting: astimezone() overflows near year 1 and 9999.
    if not (1970 <= value.year <= 2099):
        raise ValueError("must be between 1970-01-01T00:00:00Z and 2100-01-01T00:00:00Z")
    value = _to_utc(value)
    if not (_EARLIEST <= value < _LATEST):
        raise ValueError("must be between 1970-01-01T00:00:00Z and 2100-01-01T00:00:00Z")
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


# An instant sent by a client: must carry an offset; normalised to UTC.
Instant = Annotated[AwareDatetime, AfterValidator(_instant)]

# Text sent by a client: any Unicode except NUL, which PostgreSQL cannot store.
Text = Annotated[str, AfterValidator(_no_nul)]

# An instant answered to a client: always UTC with a trailing Z.
UtcOut = Annotated[
    datetime,
    PlainSerializer(lambda v: _to_utc(v).isoformat().replace("+00:00", "Z"), return_type=str),
]

Id = uuid.UUID
Name = Annotated[Text, Field(min_length=1, max_length=200)]
ExternalId = Annotated[Text, Field(min_length=1, max_length=200)]
