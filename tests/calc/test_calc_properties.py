"""Property tests for the calculations (hypothesis)."""

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.calc.follow_limits import FollowLog, headroom
from app.calc.follow_rules import first_day_with_cap
from app.calc.pacing import (
    FollowRules,
    allowed_follows_at,
    check_follow,
    compute_pacing,
    daily_quotas,
    effective_daily_cap,
    follows_fetch_start,
    next_follow_allowed_at,
)
from app.calc.posting import PostingRules, compute_posting_section
from app.calc.ratios import check_sales_contact, exact, ratio_figures
from app.calc.timewindows import day_bounds, day_start, local_date

FAST = settings(max_examples=200, deadline=None)
ZONES = [
    ZoneInfo(name)
    for name in (
        "UTC",
        "America/New_York",
        "America/Santiago",
        "America/Havana",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        "Australia/Lord_Howe",  # 30-minute DST shift
        "Asia/Kolkata",
    )
]
# Instants near DST changes of the zones above, so days of 23, 23.5, 24.5 and 25 hours show up.
ANCHORS = [
    datetime(2026, 3, 8, 6, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 9, 6, 4, tzinfo=UTC),
    datetime(2026, 4, 5, 3, tzinfo=UTC),
    datetime(2026, 10, 4, 0, tzinfo=UTC),
    datetime(2026, 11, 25, 12, tzinfo=UTC),
]

zones = st.sampled_from(ZONES)


@st.composite
def follow_scenarios(draw):
    tz = draw(zones)
    as_of = draw(st.sampled_from(ANCHORS)) + timedelta(
        minutes=draw(st.integers(-3 * 24 * 60, 3 * 24 * 60))
    )
    warmup = draw(st.integers(0, 10))
    rules = FollowRules(
        weekly_target=draw(st.integers(0, 100)),
        active_weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        daily_cap=draw(st.integers(1, 30)),
        burst_limit=draw(st.integers(1, 15)),
        burst_window_minutes=draw(st.integers(1, 180)),
        warmup_days=warmup,
        starts_on=local_date(as_of, tz) + timedelta(days=draw(st.integers(-12, 5))),
        platform_weekly_limit=draw(st.none() | st.integers(1, 60)),
    )
    # Dense follows in the last two days, sparse ones over the last 8 days, a few after as_of.
    recent = draw(st.lists(st.integers(0, 2 * 24 * 60), max_size=60))
    older = draw(st.lists(st.integers(0, 8 * 24 * 60), max_size=30))
    future = draw(st.lists(st.integers(1, 600), max_size=3))
    follows = [as_of - timedelta(minutes=m) for m in recent + older]
    follows += [as_of + timedelta(minutes=m) for m in future]
    return rules, tz, as_of, draw(st.permutations(follows))


@FAST
@given(st.integers(0, 5000), st.frozensets(st.integers(0, 6), min_size=1))
def test_quotas_sum_to_target_and_differ_by_at_most_one(target, active):
    quotas = daily_quotas(target, active)
    assert sum(quotas) == target
    on = [quotas[d] for d in sorted(active)]
    assert max(on) - min(on) <= 1
    assert on == sorted(on, reverse=True)  # the extra ones go to the first active days
    assert all(quotas[d] == 0 for d in range(7) if d not in active)


@FAST
@given(
    st.integers(1, 50),
    st.integers(0, 40),
    st.integers(-60, 60),
    st.integers(1, 55),
)
def test_first_day_with_cap_matches_walking_day_by_day(cap, warmup, start_shift, count):
    after = date(2026, 11, 25)
    r = FollowRules(
        0, frozenset(range(7)), cap, 1, 60, warmup, after + timedelta(start_shift), None
    )
    found = first_day_with_cap(r, after, count)
    if count > cap:
        assert found is None
        return
    day = after + timedelta(days=1)
    while effective_daily_cap(r, day) < count:
        day += timedelta(days=1)
    assert found == day
    # The warm-up cap never shrinks from one day to the next.
    caps = [effective_daily_cap(r, after + timedelta(days=i)) for i in range(-5, 100)]
    assert caps == sorted(caps) and max(caps) <= cap


@FAST
@given(zones, st.dates(date(1990, 1, 1), date(2037, 12, 31)))
def test_local_days_tile_the_timeline(tz, d):
    start, end = day_bounds(d, tz)
    assert local_date(start - timedelta(microseconds=1), tz) < d
    if start == end:  # a skipped date, e.g. Pacific/Kiritimati 1994-12-31: nothing is lost
        assert local_date(start, tz) > d
        return
    assert local_date(start, tz) == d
    assert local_date(end - timedelta(microseconds=1), tz) == d
    assert timedelta(hours=22) <= end - start <= timedelta(hours=26)
    assert day_start(d, tz).tzinfo is UTC


@FAST
@given(follow_scenarios())
def test_recording_allowed_now_never_breaks_a_limit(scenario):
    rules, tz, as_of, follows = scenario
    allowed = allowed_follows_at(rules, tz, as_of, follows)
    assert allowed >= 0
    after = FollowLog(list(follows) + [as_of] * allowed, until=as_of)
    room = headroom(rules, tz, as_of, after)
    if allowed > 0:
        assert room.follows_today <= room.effective_cap
        assert room.follows_in_burst_window <= rules.burst_limit
        if rules.platform_weekly_limit is not None:
            assert room.follows_in_7_days <= rules.platform_weekly_limit
        assert room.allowed == 0


@FAST
@given(follow_scenarios(), st.integers(1, 4) | st.integers(1, 35), st.floats(0, 1))
def test_next_allowed_at_is_the_earliest_instant(scenario, count, fraction):
    rules, tz, as_of, follows = scenario
    nxt = next_follow_allowed_at(rules, tz, as_of, follows, count)
    guard = check_follow(rules, tz, as_of, follows, count)
    if nxt is None:
        limits = [rules.daily_cap, rules.burst_limit, rules.platform_weekly_limit or count]
        assert count > min(limits)
        assert not guard.allowed and "exceeds_limit" in guard.codes
        assert guard.next_allowed_at is None
        return
    assert nxt >= as_of and nxt.tzinfo is UTC
    assert allowed_follows_at(rules, tz, nxt, [f for f in follows if f <= as_of]) >= count
    if nxt > as_of:
        just_before = nxt - timedelta(seconds=1)
        past = [f for f in follows if f <= as_of]
        assert allowed_follows_at(rules, tz, just_before, past) < count
        somewhere_before = as_of + (nxt - as_of) * fraction
        if somewhere_before < nxt:
            assert allowed_follows_at(rules, tz, somewhere_before, past) < count
        assert not guard.allowed and guard.next_allowed_at == nxt and guard.reasons
    else:
        assert guard.allowed and guard.reasons == [] and guard.next_allowed_at is None


@FAST
@given(follow_scenarios())
def test_pacing_and_guard_agree(scenario):
    rules, tz, as_of, follows = scenario
    fetched = [f for f in follows if f >= follows_fetch_start(as_of, tz, rules)]
    report = compute_pacing(rules, tz, as_of, fetched, 0, (1, 2))
    assert report.allowed_now == allowed_follows_at(rules, tz, as_of, follows)
    guard = check_follow(rules, tz, as_of, follows, 1)
    assert guard.allowed == (report.allowed_now >= 1)
    assert guard.next_allowed_at == report.next_allowed_at
    assert (report.next_allowed_at is None) == (report.allowed_now > 0)
    assert sum(d.follows for d in report.days) == report.follows_this_week
    assert 0 <= report.remaining_today <= report.recommended_today <= report.effective_daily_cap
    assert report.peak_burst_today <= report.follows_today
    assert sum(d.quota for d in report.days) == rules.weekly_target


@FAST
@given(
    zones,
    st.sampled_from(ANCHORS),
    st.integers(-10, 10),
    st.integers(1, 20),
    st.lists(st.integers(-20 * 24 * 60, 3 * 24 * 60), max_size=40),
    st.integers(0, 3),
    st.integers(1, 4),
    st.integers(0, 120),
)
def test_posting_section_invariants(tz, anchor, shift, length, offsets, low, high, gap):
    as_of = anchor
    first = local_date(as_of, tz) + timedelta(days=shift - length + 1)
    last = first + timedelta(days=length - 1)
    posts = [as_of + timedelta(minutes=m) for m in offsets]
    rules = PostingRules(min_posts_per_day=low, max_posts_per_day=high, min_gap_minutes=gap)
    s = compute_posting_section(rules, tz, as_of, first, last, posts)
    assert len(s.days) == length
    assert 0 <= s.longest_streak <= length and s.current_streak >= 0
    # The current streak counts back from today over every given post, whatever the range.
    posted = {local_date(p, tz) for p in posts if p <= as_of}
    today = local_date(as_of, tz)
    day, run = (today if today in posted else today - timedelta(days=1)), 0
    while day in posted:
        day, run = day - timedelta(days=1), run + 1
    assert s.current_streak == run
    in_range = [
        p
        for p in posts
        if day_start(first, tz) <= p <= as_of and p < day_start(last + timedelta(days=1), tz)
    ]
    assert sum(d.posts for d in s.days) == len(in_range)
    assert s.posts_today == sum(
        1 for p in posts if p <= as_of and local_date(p, tz) == local_date(as_of, tz)
    )
    today = local_date(as_of, tz)
    for d in s.days:
        if d.date >= today:
            assert "no_post" not in d.flags
        if d.date > today:
            assert d.posts == 0 and d.flags == []
    # Brute-force longest run.
    best = run = 0
    for d in s.days:
        run = run + 1 if d.posts else 0
        best = max(best, run)
    assert s.longest_streak == best


ratios = st.sampled_from([1, 2, 2.5, 3, 7.5, 10, 10.3, 12.25, 1.1])


@FAST
@given(st.integers(0, 500), st.integers(0, 60), ratios, st.integers(1, 20))
def test_ratio_figures_are_consistent(non_sales, sales, required, count):
    f = ratio_figures(non_sales, sales, required)
    r = exact(required)
    assert f.compliant == (non_sales >= r * sales)
    if f.sales_allowed_now > 0:
        assert f.compliant
    assert (f.non_sales_needed == 0) == (f.sales_allowed_now >= 1)
    # The numbers are tight: exactly non_sales_needed more non-sales let one more sale in.
    assert ratio_figures(non_sales + f.non_sales_needed, sales, required).sales_allowed_now >= 1
    if f.non_sales_needed > 0:
        fewer = ratio_figures(non_sales + f.non_sales_needed - 1, sales, required)
        assert fewer.sales_allowed_now == 0
    # sales_allowed_now more sales stay compliant, one more would not.
    assert non_sales >= r * (sales + f.sales_allowed_now) or f.sales_allowed_now == 0
    assert non_sales < r * (sales + f.sales_allowed_now + 1)
    assert check_sales_contact(f, count).allowed == (count <= f.sales_allowed_now)
    assert (f.ratio is None) == (sales == 0)
    assert f.ratio is None or abs(f.ratio - Fraction(non_sales, sales)) < 1e-9
