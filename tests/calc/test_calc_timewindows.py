"""Local days, weeks and windows (SPEC §2), including DST days and far-off zones."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.calc.timewindows import (
    day_bounds,
    day_start,
    local_date,
    next_day_start,
    parse_iso_week,
    week_days,
    week_monday,
    window_start,
)

NY = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_new_york_spring_forward_day_has_23_hours():
    # 2026-03-08 starts at 00:00 EST (UTC-5) = 05:00Z; 2026-03-09 at 00:00 EDT (UTC-4) = 04:00Z.
    start, end = day_bounds(date(2026, 3, 8), NY)
    assert (start, end) == (utc(2026, 3, 8, 5), utc(2026, 3, 9, 4))
    assert end - start == timedelta(hours=23)


def test_new_york_fall_back_day_has_25_hours():
    # 2026-11-01 starts at 00:00 EDT = 04:00Z; 2026-11-02 at 00:00 EST = 05:00Z.
    start, end = day_bounds(date(2026, 11, 1), NY)
    assert (start, end) == (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5))
    assert end - start == timedelta(hours=25)
    # 01:30 happens twice that day; both are on 2026-11-01.
    assert local_date(utc(2026, 11, 1, 5, 30), NY) == date(2026, 11, 1)  # 01:30 EDT
    assert local_date(utc(2026, 11, 1, 6, 30), NY) == date(2026, 11, 1)  # 01:30 EST


def test_returned_instants_are_utc():
    start = day_start(date(2026, 11, 27), NY)
    assert start.tzinfo is UTC
    assert next_day_start(utc(2026, 11, 27, 12), NY).tzinfo is UTC


def test_late_evening_post_is_on_the_local_day_not_the_utc_day():
    # 23:30 EST on 2026-11-27 is 04:30Z on 2026-11-28.
    assert local_date(utc(2026, 11, 28, 4, 30), NY) == date(2026, 11, 27)
    assert local_date(utc(2026, 11, 28, 5, 0), NY) == date(2026, 11, 28)


def test_input_in_another_zone_is_handled_as_an_instant():
    tokyo = ZoneInfo("Asia/Tokyo")
    instant = datetime(2026, 11, 28, 13, 30, tzinfo=tokyo)  # = 04:30Z
    assert local_date(instant, NY) == date(2026, 11, 27)
    assert next_day_start(instant, NY) == utc(2026, 11, 28, 5)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="no UTC offset"):
        local_date(datetime(2026, 11, 27, 12), NY)


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        # Chile springs forward at 24:00 on Saturday 2026-09-05: midnight does not exist,
        # the day starts at 01:00 -03 = 04:00Z.
        ("America/Santiago", date(2026, 9, 6), utc(2026, 9, 6, 4)),
        # Cuba springs forward at 00:00 on 2026-03-08: the day starts at 01:00 CDT = 05:00Z.
        ("America/Havana", date(2026, 3, 8), utc(2026, 3, 8, 5)),
        # Ordinary days around them.
        ("America/Santiago", date(2026, 9, 5), utc(2026, 9, 5, 4)),  # 00:00 -04
        ("America/Santiago", date(2026, 9, 7), utc(2026, 9, 7, 3)),  # 00:00 -03
        # UTC+14 and UTC-11: the local day starts on a different UTC date or hour.
        ("Pacific/Kiritimati", date(2026, 11, 27), utc(2026, 11, 26, 10)),
        ("Pacific/Pago_Pago", date(2026, 11, 27), utc(2026, 11, 27, 11)),
    ],
)
def test_day_start(zone, day, expected):
    assert day_start(day, ZoneInfo(zone)) == expected


def test_santiago_gap_day_is_23_hours_and_nothing_is_lost():
    tz = ZoneInfo("America/Santiago")
    start, end = day_bounds(date(2026, 9, 6), tz)
    assert end - start == timedelta(hours=23)
    assert day_bounds(date(2026, 9, 5), tz)[1] == start  # days tile the timeline
    assert local_date(start - timedelta(microseconds=1), tz) == date(2026, 9, 5)
    assert local_date(start, tz) == date(2026, 9, 6)


def test_kiritimati_and_pago_pago_same_instant_different_dates():
    instant = utc(2026, 11, 27, 10, 30)
    assert local_date(instant, ZoneInfo("Pacific/Kiritimati")) == date(2026, 11, 28)  # 00:30
    assert local_date(instant, ZoneInfo("Pacific/Pago_Pago")) == date(2026, 11, 26)  # 23:30


def test_week_helpers():
    assert week_monday(date(2026, 11, 27)) == date(2026, 11, 23)
    assert week_monday(date(2026, 11, 23)) == date(2026, 11, 23)
    assert week_monday(date(2026, 11, 29)) == date(2026, 11, 23)  # Sunday
    days = week_days(date(2026, 11, 27))
    assert days[0] == date(2026, 11, 23) and days[-1] == date(2026, 11, 29) and len(days) == 7
    # Across a year boundary: 2027-01-01 is a Friday in ISO week 2026-W53.
    assert week_monday(date(2027, 1, 1)) == date(2026, 12, 28)


def test_local_monday_starts_on_the_previous_utc_day_in_kiritimati():
    tz = ZoneInfo("Pacific/Kiritimati")
    monday = week_monday(local_date(utc(2026, 11, 25, 12), tz))
    assert monday == date(2026, 11, 23)
    assert day_start(monday, tz) == utc(2026, 11, 22, 10)  # a Sunday in UTC


def test_window_start():
    # 7 days ending Friday 2026-11-27 start Saturday 2026-11-21 00:00.
    assert window_start(utc(2026, 11, 27, 12), UTC, 7) == utc(2026, 11, 21)
    assert window_start(utc(2026, 11, 27, 12), UTC, 1) == utc(2026, 11, 27)
    # New York, 3 days ending 2026-11-03 start 2026-11-01 00:00 EDT = 04:00Z.
    assert window_start(utc(2026, 11, 3, 12), NY, 3) == utc(2026, 11, 1, 4)
    with pytest.raises(ValueError):
        window_start(utc(2026, 11, 27), UTC, 0)


def test_next_day_start_on_a_25_hour_day():
    # 2026-11-01 20:00 EST = 2026-11-02T01:00Z; next local midnight 2026-11-02 00:00 EST = 05:00Z.
    assert next_day_start(utc(2026, 11, 2, 1), NY) == utc(2026, 11, 2, 5)
    # Exactly at a day start, the next one is a full day later.
    assert next_day_start(utc(2026, 11, 2, 5), NY) == utc(2026, 11, 3, 5)


@pytest.mark.parametrize(
    ("text", "monday"),
    [
        ("2026-W48", date(2026, 11, 23)),
        ("2026-W01", date(2025, 12, 29)),
        ("2026-W53", date(2026, 12, 28)),  # 2026 starts on a Thursday: 53 weeks
        ("2020-W53", date(2020, 12, 28)),
    ],
)
def test_parse_iso_week(text, monday):
    assert parse_iso_week(text) == monday


@pytest.mark.parametrize("text", ["2026-48", "2026W48", "2026-W4", "26-W48", "", "2026-W48-1"])
def test_parse_iso_week_rejects_bad_shapes(text):
    with pytest.raises(ValueError, match="YYYY-Www"):
        parse_iso_week(text)


@pytest.mark.parametrize("text", ["2025-W53", "2026-W00", "2026-W54"])
def test_parse_iso_week_rejects_weeks_that_do_not_exist(text):
    with pytest.raises(ValueError, match="does not exist"):
        parse_iso_week(text)


def test_a_skipped_date_is_an_empty_day():
    # Kiritimati jumped from UTC-10 to UTC+14 and skipped 1994-12-31.
    tz = ZoneInfo("Pacific/Kiritimati")
    start, end = day_bounds(date(1994, 12, 31), tz)
    assert start == end == utc(1994, 12, 31, 10)
    assert day_bounds(date(1994, 12, 30), tz) == (utc(1994, 12, 30, 10), start)
