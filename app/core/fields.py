"""Shared field types for API schemas and tables."""

import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    model_validator,
)

from app.core.types import UTCDateTime  # noqa: F401  (re-exported for tables)

Platform = Literal["x", "facebook", "linkedin", "instagram"]
Kind = Literal[
    "follow",
    "unfollow",
    "post",
    "share",
    "reply",
    "mention",
    "direct_message",
    "comment",
    "wall_post",
    "like",
]
Direction = Literal["outbound", "inbound"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# The shape of an instant the API takes: RFC 3339 with seconds and (for the schema) an
# offset, years 1970-2099 as written. One pattern serves validation and the OpenAPI
# document, so what the schema allows is exactly what the API accepts.
RFC3339_PATTERN = (
    r"^(19[7-9][0-9]|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]"
    r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_SHAPE = re.compile(
    r"(?P<year>[0-9]{4})-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
_INSTANT_HINT = "must be an RFC 3339 timestamp with a UTC offset, e.g. 2026-11-27T09:30:00Z"


def _rfc3339_only(value: object) -> object:
    # pydantic alone would read a number (or a numeric string) as Unix time, and take
    # shapes RFC 3339 does not have (no seconds, a space, +0500).
    if isinstance(value, datetime):
        return value
    match = _SHAPE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(_INSTANT_HINT)
    if not 1970 <= int(match["year"]) <= 2099:
        raise ValueError("must be in the years 1970 to 2099, e.g. 2026-11-27T09:30:00Z")
    if match["offset"] is not None and not re.fullmatch(RFC3339_PATTERN, value):
        raise ValueError(_INSTANT_HINT)  # e.g. an offset of +24:00
    return value  # without an offset: AwareDatetime says it needs one


def _instant(value: datetime) -> datetime:
    return _to_utc(value)


_ISO_DATE = re.compile(r"(19[7-9][0-9]|20[0-9]{2})-[0-9]{2}-[0-9]{2}")


def _iso_date_only(value: object) -> object:
    # pydantic alone would read 0 or "0" as 1970-01-01.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date YYYY-MM-DD in the years 1970 to 2099, e.g. 2026-11-27")
    return value


class _SchemaExtra:
    """Adds keywords to a type's JSON schema (works inside unions, unlike Field)."""

    def __init__(self, **keywords: object):
        self.keywords = keywords

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        schema.update(self.keywords)
        return schema


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


# An instant sent by a client: RFC 3339 with an offset; normalised to UTC.
Instant = Annotated[
    AwareDatetime,
    Strict(False),
    BeforeValidator(_rfc3339_only),
    AfterValidator(_instant),
    _SchemaExtra(pattern=RFC3339_PATTERN),
]

# A calendar date sent by a client: YYYY-MM-DD.
LocalDate = Annotated[
    date,
    Strict(False),
    BeforeValidator(_iso_date_only),
    _SchemaExtra(pattern=r"^(19[7-9][0-9]|20[0-9]{2})-[0-9]{2}-[0-9]{2}$"),
]

# Text sent by a client: any Unicode except NUL, which PostgreSQL cannot store.
Text = Annotated[str, AfterValidator(_no_nul), _SchemaExtra(pattern=r"^[^\x00]*$")]

# An instant answered to a client: always UTC with a trailing Z.
UtcOut = Annotated[
    datetime,
    PlainSerializer(lambda v: _to_utc(v).isoformat().replace("+00:00", "Z"), return_type=str),
]

Id = uuid.UUID
Name = Annotated[Text, Field(min_length=1, max_length=200)]
ExternalId = Annotated[Text, Field(min_length=1, max_length=200)]


class InputModel(BaseModel):
    """Base of every request body: unknown fields are refused, and JSON types are taken as
    sent (no "1" for 1, no 0 for false; the date and time types above check their own
    text). JSON has one number type, so 19.0 is the whole number 19, as JSON Schema says."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _integral_numbers(cls, data: Any) -> Any:
        # One call per object, not one per field: a batch holds a thousand events.
        if isinstance(data, dict) and any(type(v) is float for v in data.values()):
            return {
                k: int(v) if type(v) is float and v.is_integer() else v for k, v in data.items()
            }
        return data
