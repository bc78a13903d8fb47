"""Insights: fetch what a window needs, hand plain values to app.calc, and return its
results (``app.insights.results``); the router shapes them into responses.

The guard (``check``) is meant to agree with the insight endpoints at the same instant:
the follow check takes ``follow_rules`` and the follows since
``pacing_calc.follows_fetch_start`` as pacing does, the post check ``posting_rules`` as
posting does, and the sales check ``ratio_calc.ratio_figures`` over contacts in a window.
Each pair reads its events with its own query, so nothing in the code makes them agree:
tests/insights/test_checks_{follow,post,sales}.py check that they do.
"""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, select
from sqlmodel import Session, col

from app.calc import pacing as pacing_calc
from app.calc import posting as posting_calc
from app.calc import ratios as ratio_calc
from app.calc.engagement import engagement_figures
from app.calc.follow_limits import check_follow
from app.calc.follow_rules import FollowRules, preset_follow_rules
from app.calc.guard import Action, GuardResult
from app.calc.post_limits import check_post_with_limits
from app.calc.timewindows import day_start, local_date, window_start
from app.calc.vocabulary import (
    BROADCAST_KINDS,
    PLATFORM_PRESETS,
    PLATFORMS,
    Platform,
    weekday_numbers,
)
from app.core.db import generic_plan
from app.core.errors import NO_FOLLOW_PLAN, RANGE_TOO_LONG, query_item, validation_problem
from app.events import store
from app.events.store import DbWindowSource
from app.insights.results import Engagement, Pacing, PlatformPosting, Posting, SalesRatio
from app.plans.models import FollowPlan, PostingPlan
from app.plans.service import get_follow_plan, get_posting_plan
from app.users.models import User

MAX_POSTING_RANGE_DAYS = 366
SALES_CHECK_WINDOW_DAYS = 30


def follow_rules(plan: FollowPlan) -> FollowRules:
    return FollowRules(
        weekly_target=plan.weekly_target,
        active_weekdays=weekday_numbers(plan.active_weekdays),
        daily_cap=plan.daily_cap,
        burst_limit=plan.burst_limit,
        burst_window_minutes=plan.burst_window_minutes,
        warmup_days=plan.warmup_days,
        starts_on=plan.starts_on,
        platform_weekly_limit=PLATFORM_PRESETS[plan.platform].follow_weekly_limit,
        platform_rules=PLATFORM_PRESETS[plan.platform].follow_rules,
    )


def _rule_source(
    session: Session, user: User, platform: str, rules: FollowRules
) -> DbWindowSource | None:
    """Where the platform rules' events come from: the follows already read (None) when every
    rule counts follows alone, else the database (Bluesky's shared budget of creates)."""
    return None if rules.follow_only else store.rule_counts(session, user.id, platform)


def _follows(
    session: Session, user: User, platform: str, rules: FollowRules, at: datetime
) -> list[datetime]:
    start = pacing_calc.follows_fetch_start(at, user.zone, rules)
    return [t for _, t in store.instants(session, user.id, [platform], ["follow"], start, at)]


def pacing(
    session: Session, user: User, platform: Platform, as_of: datetime, window_days: int
) -> Pacing:
    plan = get_follow_plan(session, user.id, platform)
    if plan is None:
        raise NO_FOLLOW_PLAN.error(
            f"This user has no follow plan for {platform}; PUT "
            f"/v1/users/{user.id}/follow-plans/{platform} with a weekly_target first."
        )
    return plan_pacing(session, user, plan, platform, as_of, window_days)


def plan_pacing(
    session: Session,
    user: User,
    plan: FollowPlan,
    platform: Platform,
    as_of: datetime,
    window_days: int,
) -> Pacing:
    """Pacing of a follow plan already read (``plan.platform`` is ``platform``)."""

    tz = user.zone
    rules = follow_rules(plan)
    today_start = day_start(local_date(as_of, tz), tz)
    # Follows since the fetch start and today's unfollows in one statement: the fetch start
    # is at least 7 days back, so it covers today.
    start = pacing_calc.follows_fetch_start(as_of, tz, rules)
    rows = store.kind_instants(
        session, user.id, [platform], ["follow", "unfollow"], min(start, today_start), as_of
    )
    follows = [t for _, kind, t in rows if kind == "follow" and t >= start]
    unfollows_today = sum(1 for _, kind, t in rows if kind == "unfollow" and t >= today_start)
    back_start = window_start(as_of, tz, window_days)
    back = store.counters(
        session, user.id, back_start, as_of, ("follows_in", "follows_out"), [platform]
    )[platform]
    follow_back = (back["follows_in"], back["follows_out"])
    report = pacing_calc.compute_pacing(
        rules,
        tz,
        as_of,
        follows,
        unfollows_today,
        follow_back,
        _rule_source(session, user, platform, rules),
    )
    return Pacing(platform, as_of, window_days, plan, rules, follows, report)


def posting_range(
    tz: ZoneInfo, as_of: datetime, first: date | None, last: date | None
) -> tuple[date, date]:
    """Default: the 7 local days ending today; one bound given: 7 days from/to it."""
    week = timedelta(days=6)
    if first is None:
        last = last if last is not None else local_date(as_of, tz)
        first = last - week
    elif last is None:
        last = first + week
    if first > last:
        raise validation_problem(
            [query_item("from", "must not be after to")],
            f"from ({first}) is after to ({last}); send from ≤ to.",
        )
    if (last - first).days + 1 > MAX_POSTING_RANGE_DAYS:
        raise RANGE_TOO_LONG.error(
            f"from {first} to {last} is {(last - first).days + 1} days; ask for at most "
            f"{MAX_POSTING_RANGE_DAYS} days at a time.",
            errors=[query_item("to", f"at most {MAX_POSTING_RANGE_DAYS} days after from")],
        )
    return first, last


def posting_rules(plan: PostingPlan | None, platform: Platform) -> posting_calc.PostingRules:
    preset = PLATFORM_PRESETS[platform]
    if plan is None:
        return posting_calc.PostingRules(
            preset.min_posts_per_day, preset.max_posts_per_day, preset.min_gap_minutes
        )
    return posting_calc.PostingRules(
        plan.min_posts_per_day, plan.max_posts_per_day, plan.min_gap_minutes
    )


@cache
def _posting_plans() -> Select[tuple[PostingPlan]]:
    return generic_plan(select(PostingPlan).where(col(PostingPlan.user_id) == bindparam("user_id")))


def posting(
    session: Session,
    user: User,
    platform: Platform | None,
    as_of: datetime,
    first: date | None,
    last: date | None,
) -> Posting:
    tz = user.zone
    first, last = posting_range(tz, as_of, first, last)
    range_end = day_start(last + timedelta(days=1), tz)  # first instant after the range
    end = min(range_end, as_of)
    # A post at as_of counts; one at range_end is on the day after the range, not in it.
    include_end = as_of < range_end
    today_start = day_start(local_date(as_of, tz), tz)
    plans = {
        plan.platform: plan
        for plan in session.execute(_posting_plans(), {"user_id": user.id}).scalars()
    }
    # Without `platform`, every platform is summarised (one query, one cache entry) and the
    # answer keeps those with a plan or with posts in the range.
    candidates: Sequence[Platform] = [platform] if platform else PLATFORMS
    rules = {p: posting_rules(plans.get(p), p) for p in candidates}
    days = store.post_days(
        session,
        user.id,
        tz,
        {p: rules[p].min_gap for p in candidates},
        first,
        last,
        end,
        include_end,
    )
    platforms = [p for p in candidates if platform or p in plans or days[p]]
    posts_today: dict[str, int]
    today = local_date(as_of, tz)
    if first <= today <= last:
        posts_today = {p: days[p][today].posts if today in days[p] else 0 for p in platforms}
    else:  # posts_today is about today even outside the range
        posts_today = dict.fromkeys(platforms, 0)
        for p, _ in store.instants(
            session, user.id, platforms, BROADCAST_KINDS, today_start, as_of
        ):
            posts_today[p] += 1
    streaks = store.current_streaks(session, user.id, tz, today, posts_today)
    sections = [
        PlatformPosting(
            p,
            rules[p],
            posting_calc.section_from_days(
                rules[p], tz, as_of, first, last, days[p], posts_today[p], streaks[p]
            ),
        )
        for p in platforms
    ]
    return Posting(first, last, as_of, sections)


def sales_ratio(
    session: Session, user: User, as_of: datetime, window_days: int, platform: Platform | None
) -> SalesRatio:
    start = window_start(as_of, user.zone, window_days)
    required = user.sales_ratio
    per_platform, rows = store.contacts(session, user.id, start, as_of, platform)
    non_sales = sum(n for n, _ in per_platform.values())
    sales = sum(s for _, s in per_platform.values())
    return SalesRatio(
        as_of,
        window_days,
        platform,
        ratio_calc.ratio_figures(non_sales, sales, required),
        [
            (p, ratio_calc.ratio_figures(*per_platform[p], required))
            for p in PLATFORMS
            if p in per_platform
        ],
        ratio_calc.worst_counterparts(rows, required),
    )


def engagement(session: Session, user: User, as_of: datetime, window_days: int) -> Engagement:
    start = window_start(as_of, user.zone, window_days)
    broadcasts, interactions, inbound, people = store.engagement_counts(
        session, user.id, start, as_of
    )
    figures = engagement_figures(
        broadcasts, interactions, inbound, people, user.interaction_share_target
    )
    return Engagement(as_of, window_days, figures)


def check(
    session: Session,
    user: User,
    action: Action,
    platform: Platform,
    count: int,
    counterpart: str | None,
    at: datetime,
    text: str | None = None,
) -> GuardResult:
    tz = user.zone
    if action == "follow":
        plan = get_follow_plan(session, user.id, platform)
        rules = follow_rules(plan) if plan else preset_follow_rules(platform)
        return check_follow(
            rules,
            tz,
            at,
            _follows(session, user, platform, rules, at),
            count,
            _rule_source(session, user, platform, rules),
        )
    if action == "post":
        rules_p = posting_rules(get_posting_plan(session, user.id, platform), platform)
        today_start = day_start(local_date(at, tz), tz)
        today = [
            t
            for _, t in store.instants(
                session, user.id, [platform], BROADCAST_KINDS, today_start, at
            )
        ]
        last = store.last_instant(session, user.id, platform, BROADCAST_KINDS, at)
        post_rules = PLATFORM_PRESETS[platform].post_rules
        return check_post_with_limits(
            rules_p,
            tz,
            at,
            today,
            last,
            count,
            platform=platform,
            platform_rules=post_rules,
            source=store.rule_counts(session, user.id, platform) if post_rules else None,
            text=text,
        )
    start = window_start(at, tz, SALES_CHECK_WINDOW_DAYS)
    per_platform = store.contacts_by_platform(session, user.id, start, at)
    figures = ratio_calc.ratio_figures(
        sum(n for n, _ in per_platform.values()),
        sum(s for _, s in per_platform.values()),
        user.sales_ratio,
    )
    theirs = None
    if counterpart is not None:
        non_sales, sales = store.counterpart_contacts(session, user.id, start, at, counterpart)
        theirs = (
            ratio_calc.ratio_figures(non_sales, sales, user.sales_ratio)
            if non_sales or sales
            else None
        )
    return ratio_calc.check_sales_contact(figures, count, counterpart, theirs)
