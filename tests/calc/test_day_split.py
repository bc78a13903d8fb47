from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.events.store.maintenance import split_utc_days


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_window_inside_one_day_is_all_tail():
    s = split_utc_days(utc(2026, 3, 8, 5), utc(2026, 3, 8, 20))
    assert s.head is None and s.days is None and s.tail == (utc(2026, 3, 8, 5), utc(2026, 3, 8, 20))


def test_local_midnight_start_splits_into_head_days_tail():
    # New York midnight of 2026-11-20 is 05:00Z; as_of 2026-11-26 18:00Z.
    s = split_utc_days(utc(2026, 11, 20, 5), utc(2026, 11, 26, 18))
    assert s.head == (utc(2026, 11, 20, 5), utc(2026, 11, 21))
    assert s.days == (date(2026, 11, 21), date(2026, 11, 26))
    assert s.tail == (utc(2026, 11, 26), utc(2026, 11, 26, 18))


def test_start_on_utc_midnight_has_no_head():
    s = split_utc_days(utc(2026, 11, 20), utc(2026, 11, 22, 1))
    assert s.head is None and s.days == (date(2026, 11, 20), date(2026, 11, 22))


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    st.integers(min_value=0, max_value=400 * 24 * 60),
    st.floats(min_value=-0.1, max_value=1.1),
)
def test_split_covers_each_instant_exactly_once(start, minutes, where):
    start = start.replace(tzinfo=UTC)
    end = start + timedelta(minutes=minutes)
    probe = start + timedelta(minutes=minutes * where) + timedelta(seconds=round(where * 7))
    s = split_utc_days(start, end)
    hits = 0
    if s.head and s.head[0] <= probe < s.head[1]:
        hits += 1
    if s.days and s.days[0] <= probe.date() < s.days[1]:
        hits += 1
    if s.tail[0] <= probe <= s.tail[1]:
        hits += 1
    assert hits == (1 if start <= probe <= end else 0)
