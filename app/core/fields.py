"""Shared field types for API schemas and tables."""

import re
from datetime import UTC, date, datetime
from importlib.resources import files
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    Strict,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema as cs

from app.calc import pacing, vocabulary
from app.core.types import UTCDateTime  # noqa: F401  (re-exported for tables)


class Component:
    """Makes a type one named schema in the OpenAPI document (``#/components/schemas/<name>``)
    that every use refers to, instead of repeating an inline ``enum`` each time.
    Validation is the wrapped type's own: a ``Literal`` stays a ``Literal``."""

    def __init__(self, name: str, description: str) -> None:
        self.name = name
        self.description = description

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> cs.CoreSchema:
        # A CoreSchema is a union of TypedDicts; every member takes a "ref".
        return cast(cs.CoreSchema, {**handler(source), "ref": self.name})

    def __get_pydantic_json_schema__(
        self, core_schema: cs.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema.update(title=self.name, description=self.description)
        return handler(core_schema)


# calc's vocabularies, each documented once as a named schema: the Literals themselves are
# declared in app.calc (beside their values), never re-listed here.
Platform = Annotated[
    vocabulary.Platform,
    Component("Platform", "A social platform Rapport knows (GET /v1/platforms lists its presets)."),
]
Kind = Annotated[
    vocabulary.Kind,
    Component(
        "Kind",
        "What happened. Contacts (is_sales may be true) are post, share, reply, mention, "
        "direct_message, comment and wall_post; follow, unfollow and like are not contacts.",
    ),
]
Direction = Annotated[
    vocabulary.Direction,
    Component("Direction", "outbound: the user did it; inbound: someone did it to the user."),
]
Weekday = Annotated[
    vocabulary.Weekday,
    Component("Weekday", "A day of the week, in the user's time zone."),
]
PaceStatus = Annotated[
    pacing.PaceStatus,
    Component(
        "PaceStatus", "Follow pacing at as_of (§6.1): over_limit, ahead, behind or on_track."
    ),
]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# The shape of an instant the API takes: RFC 3339 with seconds and (for the schema) an
# offset, years 1970-2099 as written. The OpenAPI document states this pattern and the
# validator applies the same one to every instant with an offset; beyond it, the API also
# refuses dates that do not exist (2026-02-30), which a pattern does not express.
RFC3339_PATTERN = (
    r"^(19[7-9][0-9]|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]"
    r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_SHAPE = re.compile(
    r"(?P<year>[0-9]{4})-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
# An ISO week as the report takes it: years 1970-2099, weeks 01-53.
WEEK_PATTERN = r"^(19[7-9][0-9]|20[0-9]{2})-W(0[1-9]|[1-4][0-9]|5[0-3])$"
_INSTANT_HINT = "must be an RFC 3339 timestamp with a UTC offset, e.g. 2026-11-27T09:30:00Z"


def _rfc3339_only(value: object) -> object:
    # pydantic alone would read a number (or a numeric string) as Unix time, and take
    # shapes RFC 3339 does not have (no seconds, a space, +0500).
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or (match := _SHAPE.fullmatch(value)) is None:
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


class SchemaExtra:
    """Adds keywords to a type's JSON schema (works inside unions, unlike Field)."""

    def __init__(self, **keywords: object) -> None:
        self.keywords = keywords

    def __get_pydantic_json_schema__(
        self, core_schema: cs.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.update(self.keywords)
        return schema


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


# Text whose shape the document states (a JSON Schema pattern on the string itself, so also
# inside `| None`) while the route checks it with its own, more helpful problem.
WeekText = Annotated[str, SchemaExtra(pattern=WEEK_PATTERN)]
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"  # unpadded base64url (every issued cursor); empty = first page
CursorText = Annotated[str, SchemaExtra(pattern=CURSOR_PATTERN)]

# An instant sent by a client: RFC 3339 with an offset; normalised to UTC.
Instant = Annotated[
    AwareDatetime,
    Strict(False),
    BeforeValidator(_rfc3339_only),
    AfterValidator(_instant),
    SchemaExtra(pattern=RFC3339_PATTERN),
]

# A calendar date sent by a client: YYYY-MM-DD.
LocalDate = Annotated[
    date,
    Strict(False),
    BeforeValidator(_iso_date_only),
    SchemaExtra(pattern=r"^(19[7-9][0-9]|20[0-9]{2})-[0-9]{2}-[0-9]{2}$"),
]

# Text sent by a client: any Unicode except NUL, which PostgreSQL cannot store.
Text = Annotated[str, AfterValidator(_no_nul), SchemaExtra(pattern=r"^[^\x00]*$")]

# An instant answered to a client: always UTC with a trailing Z.
UtcOut = Annotated[
    datetime,
    PlainSerializer(lambda v: _to_utc(v).isoformat().replace("+00:00", "Z"), return_type=str),
]

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


# IANA time zones: the names of the tzdata package (a dependency), so the document lists the
# same zones on every machine whatever the system's /usr/share/zoneinfo holds.
TIME_ZONES: tuple[str, ...] = tuple(sorted(files("tzdata").joinpath("zones").read_text().split()))
_ZONE_SET = frozenset(TIME_ZONES)


def _valid_zone(value: str) -> str:
    if value not in _ZONE_SET:
        raise ValueError(
            f"'{value[:64]}' is not an IANA time zone; use a name like 'Europe/Berlin' or 'UTC'"
        )
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - guarded above
        raise ValueError(f"'{value}' is not a usable time zone") from exc
    return value


class _TimeZoneSchema:
    """A string checked against TIME_ZONES (so a wrong name gets one sentence, not a list of
    598), documented as the shared ``TimeZone`` enum."""

    def __get_pydantic_core_schema__(
        self, _source: Any, _handler: GetCoreSchemaHandler
    ) -> cs.CoreSchema:
        return cs.no_info_after_validator_function(
            _valid_zone, cs.str_schema(max_length=64), ref="TimeZone"
        )

    def __get_pydantic_json_schema__(
        self, core_schema: cs.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        ref = handler(core_schema)
        schema = handler.resolve_ref_schema(ref)
        schema.clear()
        schema.update(
            type="string",
            enum=list(TIME_ZONES),
            title="TimeZone",
            description="An IANA time zone name (the tzdata database), e.g. Europe/Berlin or UTC.",
        )
        return ref


TimeZoneName = Annotated[str, _TimeZoneSchema()]
