"""Today's slots (SPEC §11): follow slots, post slots, best hours and working hours.

Properties (hypothesis) over random plans, histories, zones with DST days and as_of, and
hand-computed cases; expected numbers are written out by hand.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.calc.follow_rules import FollowRules, preset_follow_rules
from app.calc.pacing import allowed_follows_at, compute_pacing
from app.calc.platform_rules import EventLog, PlatformRule
from app.calc.slots import (
    BestHour,
    best_hours,
    follow_slots,
    jitter,
    min_follow_spacing,
    post_slots,
    preferred_post_hours,
    slot_seed,
)
from app.calc.timewindows import local_date
from app.calc.working_hours import WorkingHours, local_instant, parse_clock

NY = ZoneInfo("America/New_York")
ZONES = [
    ZoneInfo(n)
    for n in (
        "UTC",
        "America/New_York",
        "America/Santiago",
        "Australia/Lord_Howe",
        "Europe/Berlin",
        "Asia/Kolkata",
    )
]
# Days with DST changes in the zones above (and an ordinary one).
ANCHORS = [
    datetime(2026, 3, 8, 5, tzinfo=UTC),
    datetime(2026, 11, 1, 4, tzinfo=UTC),
    datetime(2026, 3, 29, 0, tzinfo=UTC),
    datetime(2026, 9, 6, 4, tzinfo=UTC),
    datetime(2026, 4, 4, 14, tzinfo=UTC),
    datetime(2026, 11, 25, 12, tzinfo=UTC),
]
PROPS = settings(max_examples=150, deadline=None)


def wall(t: datetime, tz: ZoneInfo = NY) -> str:
    return t.astimezone(tz).strftime("%H:%M")


@st.composite
def scenarios(draw):
    tz = draw(st.sampled_from(ZONES))
    as_of = draw(st.sampled_from(ANCHORS)) + timedelta(minutes=draw(st.integers(-900, 900)))
    today = local_date(as_of, tz)
    shared = draw(st.booleans())  # a rule that also counts posts, as Bluesky's
    rule = PlatformRule(
        "small",
        ("follow", "post") if shared else ("follow",),
        draw(st.integers(1, 12)),
        timedelta(minutes=draw(st.integers(30, 300))),
        "creates",
    )
    rules = FollowRules(
        weekly_target=draw(st.integers(1, 120)),
        active_weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        daily_cap=draw(st.integers(1, 40)),
        burst_limit=draw(st.integers(1, 15)),
        burst_window_minutes=draw(st.integers(1, 180)),
        warmup_days=draw(st.integers(0, 5)),
        starts_on=today - timedelta(days=draw(st.integers(0, 6))),
        platform_weekly_limit=draw(st.none() | st.integers(5, 60)),
        platform_rules=(rule,) if draw(st.booleans()) else (),
    )
    minutes = draw(st.lists(st.integers(1, 8 * 24 * 60), max_size=40))
    events = [("follow", as_of - timedelta(minutes=m)) for m in minutes]
    posts = draw(st.lists(st.integers(1, 24 * 60), max_size=10))
    events += [("post", as_of - timedelta(minutes=m)) for m in posts]
    start = draw(st.integers(0, 22 * 60))
    end = draw(st.integers(start + 1, 23 * 60 + 59))
    hours = WorkingHours(time(start // 60, start % 60), time(end // 60, end % 60))
    return rules, tz, as_of, events, hours


def schedule(rules, tz, as_of, events, hours):
    today = local_date(as_of, tz)
    follows = [t for k, t in events if k == "follow"]
    report = compute_pacing(rules, tz, as_of, follows, 0, (0, 0), EventLog(events))
    plan = follow_slots(
        rules,
        tz,
        as_of,
        hours.bounds(today, tz),
        report.remaining_today,
        events,
        slot_seed("user-1", "x", today),
    )
    return report, plan


@PROPS
@given(scenarios())
def test_following_once_at_every_slot_never_trips_a_limit(scenario):
    rules, tz, _, events, _ = scenario
    _, plan = schedule(*scenario)
    done = list(events)
    for slot in plan.slots:
        follows = [t for k, t in done if k == "follow"]
        assert allowed_follows_at(rules, tz, slot, follows, EventLog(done)) >= 1, slot
        done.append(("follow", slot))


@PROPS
@given(scenarios())
def test_slots_are_in_working_hours_after_as_of_in_order_and_spaced(scenario):
    rules, tz, as_of, _, hours = scenario
    report, plan = schedule(*scenario)
    start, end = hours.bounds(local_date(as_of, tz), tz)
    assert len(plan.slots) + plan.unscheduled == report.remaining_today
    for slot in plan.slots:
        assert max(as_of, start) <= slot < end
        assert local_date(slot, tz) == local_date(as_of, tz)
        assert hours.start <= slot.astimezone(tz).time() < hours.end
    gap = min_follow_spacing(rules)
    assert all(b - a >= gap for a, b in zip(plan.slots, plan.slots[1:], strict=False))
    assert schedule(*scenario) == (report, plan)  # the same request, the same slots


@PROPS
@given(scenarios())
def test_nothing_is_scheduled_on_an_inactive_weekday(scenario):
    rules, tz, as_of, events, hours = scenario
    weekday = local_date(as_of, tz).weekday()
    off = frozenset(range(7)) - {weekday}
    rules = FollowRules(
        weekly_target=min(rules.weekly_target, rules.daily_cap * len(off)),
        active_weekdays=off,
        daily_cap=rules.daily_cap,
        burst_limit=rules.burst_limit,
        burst_window_minutes=rules.burst_window_minutes,
        warmup_days=0,
        starts_on=rules.starts_on,
        platform_weekly_limit=rules.platform_weekly_limit,
        platform_rules=rules.platform_rules,
    )
    report, plan = schedule(rules, tz, as_of, events, hours)
    assert report.recommended_today == 0
    assert plan.slots == [] and plan.unscheduled == 0


@PROPS
@given(st.text(max_size=30), st.integers(0, 1000))
def test_jitter_is_within_one_and_deterministic(seed, i):
    assert -1 <= jitter(seed, i) <= 1
    assert jitter(seed, i) == jitter(seed, i)


def test_new_york_at_13_00_with_6_follows_left_on_x():
    """Work 09:00–18:00, as_of 13:00 EST: 5 hours for 6 follows, 50 minutes apart, each
    within ±12.5 minutes (25 %) of 13:25, 14:15, 15:05, 15:55, 16:45, 17:35."""
    rules = preset_follow_rules("x")  # burst 25 per 60 minutes: at least 144 s apart
    assert min_follow_spacing(rules) == timedelta(seconds=144)
    day = date(2026, 11, 24)
    as_of = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)  # 13:00 in New York
    work = WorkingHours.of("09:00", "18:00").bounds(day, NY)
    plan = follow_slots(rules, NY, as_of, work, 6, [], slot_seed("u1", "x", day))
    assert plan.unscheduled == 0 and plan.spacing == timedelta(minutes=50)
    centres = ["13:25", "14:15", "15:05", "15:55", "16:45", "17:35"]
    for slot, centre in zip(plan.slots, centres, strict=True):
        c = datetime.combine(day, parse_clock(centre), NY)
        assert abs(slot - c) <= timedelta(minutes=12, seconds=31), (wall(slot), centre)
    other = follow_slots(rules, NY, as_of, work, 6, [], slot_seed("u2", "x", day))
    assert other.slots != plan.slots  # another user gets other jitter


def test_a_burst_limit_leaves_the_rest_unscheduled():
    """10 follows with 1 per 60 minutes between 16:00 and 18:00: two fit, 8 do not."""
    rules = FollowRules(70, frozenset(range(7)), 20, 1, 60, 0, date(2026, 1, 1), None)
    day = date(2026, 11, 24)
    as_of = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)  # 16:00 in New York
    work = WorkingHours.of("09:00", "18:00").bounds(day, NY)
    plan = follow_slots(rules, NY, as_of, work, 10, [], "seed")
    assert [wall(s) for s in plan.slots] == ["16:30", "17:30"]  # 60 min apart, no room to jitter
    assert plan.unscheduled == 8


def test_a_follow_just_before_as_of_pushes_the_first_slot_out_of_the_burst_window():
    """Burst 2 per 60 minutes, two follows at 12:50 and 12:55: the first slot waits until
    13:50, when the 12:50 follow leaves the window."""
    rules = FollowRules(70, frozenset(range(7)), 20, 2, 60, 0, date(2026, 1, 1), None)
    day = date(2026, 11, 24)
    as_of = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
    history = [
        ("follow", datetime(2026, 11, 24, 17, 50, tzinfo=UTC)),
        ("follow", datetime(2026, 11, 24, 17, 55, tzinfo=UTC)),
    ]
    work = WorkingHours.of("09:00", "14:00").bounds(day, NY)
    plan = follow_slots(rules, NY, as_of, work, 2, history, "seed")
    assert [wall(s) for s in plan.slots] == ["13:50"]
    assert plan.unscheduled == 1


def test_working_hours_across_the_2026_03_08_jump():
    """00:00–06:00 on 2026-03-08 in New York is 5 real hours (02:00–03:00 does not exist):
    05:00Z to 10:00Z. Five follows: an hour apart around 05:30Z … 09:30Z, none at a local
    time in the gap."""
    day = date(2026, 3, 8)
    start, end = WorkingHours.of("00:00", "06:00").bounds(day, NY)
    assert (start, end) == (
        datetime(2026, 3, 8, 5, tzinfo=UTC),
        datetime(2026, 3, 8, 10, tzinfo=UTC),
    )
    rules = preset_follow_rules("x")
    plan = follow_slots(rules, NY, start, (start, end), 5, [], "seed")
    assert plan.spacing == timedelta(hours=1) and plan.unscheduled == 0
    for i, slot in enumerate(plan.slots):
        centre = datetime(2026, 3, 8, 5, 30, tzinfo=UTC) + timedelta(hours=i)
        assert abs(slot - centre) <= timedelta(minutes=15)
        assert not time(2) <= slot.astimezone(NY).time() < time(3)
    # A start of work inside the gap means the gap's end, 03:00 EDT.
    assert local_instant(day, time(2, 30), NY) == datetime(2026, 3, 8, 7, tzinfo=UTC)
    # Working hours inside the gap are empty: nothing scheduled, everything unscheduled.
    gap = WorkingHours.of("02:05", "02:55").bounds(day, NY)
    assert follow_slots(rules, NY, start, gap, 3, [], "seed").unscheduled == 3
    # The 2 o'clock post hour does not exist that day; the next preferred hour is used.
    posts = post_slots(NY, start, (start, end), 1, timedelta(minutes=60), None, [2, 4])
    assert [wall(p) for p in posts] == ["04:00"]


def test_working_hours_on_the_2026_11_01_overlap():
    """00:00–06:00 on 2026-11-01 in New York is 7 real hours (01:00–02:00 happens twice)."""
    start, end = WorkingHours.of("00:00", "06:00").bounds(date(2026, 11, 1), NY)
    assert end - start == timedelta(hours=7)
    # 01:30 happens twice; it means the first one (EDT, 05:30Z).
    assert local_instant(date(2026, 11, 1), time(1, 30), NY) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )


def test_working_hours_validate():
    with pytest.raises(ValueError, match="HH:MM"):
        parse_clock("9:00")
    with pytest.raises(ValueError, match="HH:MM"):
        parse_clock("24:00")
    with pytest.raises(ValueError, match="after start"):
        WorkingHours.of("18:00", "09:00")


def _inbound(weekday_hour_counts: dict[tuple[int, int], int]) -> list[datetime]:
    """Inbound instants at minute 10 of those local (weekday, hour), in the week of
    2026-11-16 (Monday) in New York."""
    out = []
    for (wd, hour), n in weekday_hour_counts.items():
        for k in range(n):
            t = datetime(2026, 11, 16 + wd, hour, 10, tzinfo=NY) - timedelta(weeks=k % 3)
            out.append(t.astimezone(UTC))
    return out


def test_best_hours_from_a_known_history():
    """Tue 12h: 10, Wed 09h: 8, Fri 17h: 5, Mon 08h: 2 (25 events): the first three."""
    history = _inbound({(1, 12): 10, (2, 9): 8, (4, 17): 5, (0, 8): 2})
    assert best_hours(history, NY) == [BestHour(1, 12, 10), BestHour(2, 9, 8), BestHour(4, 17, 5)]
    # A tie goes to the earlier hour of the week.
    assert best_hours(_inbound({(3, 15): 10, (1, 7): 10}), NY) == [
        BestHour(1, 7, 10),
        BestHour(3, 15, 10),
    ]


def test_fewer_than_20_inbound_means_the_default_hours():
    assert best_hours(_inbound({(1, 12): 19}), NY) is None
    assert preferred_post_hours(None, 1) == [9, 12, 17]
    best = [BestHour(1, 12, 10), BestHour(2, 9, 8), BestHour(1, 17, 5)]
    assert preferred_post_hours(best, 1) == [12, 17, 9]  # Tuesday's first
    assert preferred_post_hours(best, 3) == [12, 9, 17]


def test_post_slots_keep_the_gap_from_the_last_post_and_one_another():
    """Tuesday, as_of 08:00, last post 11:30, gap 60 min, preferred 12h then 9h, 2 posts:
    12:30 (the 12 o'clock hour, an hour after 11:30), then 13:30 (9h is too early; the
    first other hour that fits: 13h, pushed to an hour after 12:30)."""
    day = date(2026, 11, 24)
    as_of = datetime.combine(day, time(8), NY)
    work = WorkingHours.of("09:00", "18:00").bounds(day, NY)
    last = datetime.combine(day, time(11, 30), NY)
    slots = post_slots(NY, as_of, work, 2, timedelta(minutes=60), last, [12, 9])
    assert [wall(s) for s in slots] == ["12:30", "13:30"]
    # Without a last post: 09:00 and 12:00 by preference, in time order.
    slots = post_slots(NY, as_of, work, 2, timedelta(minutes=60), None, [12, 9, 17])
    assert [wall(s) for s in slots] == ["09:00", "12:00"]
    # Nothing after the end of work.
    late = datetime.combine(day, time(17, 45), NY)
    assert post_slots(NY, late, work, 2, timedelta(minutes=60), None, [9]) == [
        datetime.combine(day, time(17, 45), NY).astimezone(UTC)
    ]
