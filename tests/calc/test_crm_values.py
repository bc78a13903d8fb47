"""app.calc.crm_values: how CRM files write Rapport's names, values and timestamps."""

from datetime import UTC, datetime, timedelta

import pytest

from app.calc import crm_values as cv
from app.calc.vocabulary import DIRECTIONS, KINDS, PLATFORMS


def test_keys_ignore_case_spaces_and_underscores():
    assert cv.key("Occurred At") == cv.key("occurred_at") == cv.key("OccurredAt") == "occurredat"
    assert cv.key(" External-ID ") == "externalid"


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        ("X", "x"),
        ("Twitter", "x"),
        ("X (Twitter)", "x"),
        ("LinkedIn", "linkedin"),
        ("linked in", "linkedin"),
        ("IG", "instagram"),
        ("Bsky", "bluesky"),
        ("TikTok", "tiktok"),
    ],
)
def test_platform_aliases(text, platform):
    assert cv.platform(text) == platform


def test_every_own_name_is_its_own_alias_and_unknown_names_are_none():
    assert all(cv.platform(p.upper()) == p for p in PLATFORMS)
    assert all(cv.kind(k.replace("_", " ").title()) == k for k in KINDS)
    assert all(cv.direction(d.upper()) == d for d in DIRECTIONS)
    assert cv.platform("myspace") is None and cv.kind("poke") is None


def test_kind_direction_and_boolean_aliases():
    assert [cv.kind(t) for t in ("Retweet", "DM", "Friend Request", "favourite", "Tweet")] == [
        "share",
        "direct_message",
        "follow",
        "like",
        "post",
    ]
    assert (cv.direction("Outgoing"), cv.direction("received")) == ("outbound", "inbound")
    assert [cv.boolean(t) for t in ("TRUE", "no", "Y", "0", " ", "maybe")] == [
        True,
        False,
        True,
        False,
        None,
        None,
    ]


BERLIN = "Europe/Berlin"


@pytest.mark.parametrize(
    ("text", "fmt", "zone", "utc"),
    [
        ("2026-11-26T09:30:00Z", None, None, "2026-11-26T09:30:00"),
        ("2026-11-26 09:30:00+01:00", None, None, "2026-11-26T08:30:00"),
        ("2026-11-26 09:30:00.123+0100", None, None, "2026-11-26T08:30:00.123000"),
        ("2026-11-26 09:30", None, BERLIN, "2026-11-26T08:30:00"),
        ("26/11/2026 09:30", "dmy", BERLIN, "2026-11-26T08:30:00"),
        ("26.11.2026 09:30:15", "dmy", "UTC", "2026-11-26T09:30:15"),
        ("11/26/2026 9:30 AM", "mdy", "UTC", "2026-11-26T09:30:00"),
        ("11/26/2026 12:05 AM", "mdy", "UTC", "2026-11-26T00:05:00"),
        ("11/26/2026 12:05 PM", "mdy", "UTC", "2026-11-26T12:05:00"),
        ("11/26/2026, 9:30 PM Z", "mdy", None, "2026-11-26T21:30:00"),
        ("2026-11-26 09:30", "mdy", "UTC", "2026-11-26T09:30:00"),  # ISO is always read
    ],
)
def test_timestamps_crms_write(text, fmt, zone, utc):
    got = cv.parse_time(text, fmt, zone)
    assert got.tzinfo is not None
    assert got.astimezone(UTC).replace(tzinfo=None).isoformat() == utc


@pytest.mark.parametrize(
    ("text", "fmt", "zone", "words"),
    [
        ("26/11/2026 09:30", None, "UTC", "?date_format=dmy"),
        ("2026-11-26 09:30", None, None, "UTC offset"),
        ("26/11/2026 09:30", "mdy", "UTC", "does not exist"),
        ("2026-02-30 09:30Z", None, None, "does not exist"),
        ("11/26/2026 13:30 PM", "mdy", "UTC", "AM/PM"),
        ("2026-11-26T09:30+24:00", None, None, "offset"),
        ("yesterday", None, "UTC", "not a timestamp"),
        ("2026-03-08 02:30", None, "America/New_York", "skip"),
    ],
)
def test_timestamps_refused_with_a_reason(text, fmt, zone, words):
    with pytest.raises(cv.TimeError, match=None) as info:
        cv.parse_time(text, fmt, zone)
    assert words in str(info.value)


def test_the_hour_that_happens_twice_is_its_first_occurrence():
    got = cv.parse_time("2026-11-01 01:30", None, "America/New_York")
    assert got.utcoffset() == timedelta(hours=-4)
    assert got.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
