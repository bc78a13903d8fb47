"""The weekly report (SPEC §6.8): the insight services at the week's as_of, in one document.

as_of is the end of the ISO week (local Sunday 24:00 minus 1 µs, so "today" is still the
Sunday) or now (the as_of parameter) when that is earlier. Posting cadence of a finished
week is asked at the week's end itself, so its Sunday has ended and can count as missed.
Engagement and the sales ratio cover the week's local days up to as_of; relationship
stages are counted over all history up to as_of.
"""

from datetime import date, datetime, timedelta

from sqlmodel import Session

from app.calc.next_actions import FollowWeek, PostingWeek, WeekFigures, next_actions
from app.calc.timewindows import day_start, local_date, parse_iso_week, week_monday
from app.calc.vocabulary import PLATFORMS
from app.calc.weekly import follow_days
from app.core.errors import INVALID_WEEK, WEEK_NOT_STARTED, Problem, ProblemError, query_item
from app.insights import queries as insight_queries
from app.insights import service as insights
from app.plans.service import get_follow_plan
from app.profiles.check import check_out, findings_by_platform
from app.relationships.service import count_stages
from app.reports.schemas import (
    FollowDayOut,
    FollowWeekOut,
    NextActionOut,
    PostingWeekOut,
    ReportOut,
)
from app.users.models import User

_TICK = timedelta(microseconds=1)
# The ISO weeks holding a day of the accepted instants (1970-01-01 to 2099-12-31):
# 1970-W01 starts on Monday 1969-12-29, 2099-W53 ends on Sunday 2100-01-03.
FIRST_WEEK, LAST_WEEK = (1970, 1), (2099, 53)


def _week_problem(problem: Problem, detail: str) -> ProblemError:
    return problem.error(detail, errors=[query_item("week", detail)])


def resolve_week(user: User, week: str | None, now: datetime) -> tuple[date, datetime, bool]:
    """(Monday, as_of, complete) of the asked week; default the current week locally."""
    tz = user.zone
    if week is None:
        monday = week_monday(local_date(now, tz))
    else:
        try:
            monday = parse_iso_week(week, FIRST_WEEK, LAST_WEEK)
        except ValueError as exc:
            raise _week_problem(
                INVALID_WEEK, f"{exc} (the weeks of the years 1970 to 2099); e.g. ?week=2026-W48"
            ) from None
    start, end = day_start(monday, tz), day_start(monday + timedelta(days=7), tz)
    if start > now:
        iso = monday.isocalendar()
        raise _week_problem(
            WEEK_NOT_STARTED,
            f"week {iso.year}-W{iso.week:02d} starts on {monday} ({user.timezone}) "
            "and has not begun yet; ask for the current or a past week",
        )
    return monday, min(end - _TICK, now), now >= end


def _follow_week(session: Session, user: User, platform: str, monday: date, as_of: datetime):
    plan = get_follow_plan(session, user.id, platform)
    if plan is None:
        return None
    pacing = insights.pacing(session, user, platform, as_of, 7)
    rules = insights.follow_rules(plan)
    follows = [
        t
        for _, t in insight_queries.instants(
            session, user.id, [platform], ["follow"], day_start(monday, user.zone), as_of
        )
    ]
    days = follow_days(rules, user.zone, [(d.date, d.quota) for d in pacing.days], follows, as_of)
    return FollowWeekOut(
        platform=platform,
        weekly_target=plan.weekly_target,  # type: ignore[arg-type]
        follows=sum(d.follows for d in days),
        remaining_to_target=max(0, plan.weekly_target - sum(d.follows for d in days)),
        over_limit_days=sum(d.over_limit for d in days),
        daily_cap=plan.daily_cap,
        burst_limit=plan.burst_limit,
        burst_window_minutes=plan.burst_window_minutes,
        status=pacing.status,
        remaining_today=pacing.remaining_today,
        days=[FollowDayOut(**vars(d)) for d in days],
    )


def weekly_report(session: Session, user: User, week: str | None, now: datetime) -> ReportOut:
    monday, as_of, complete = resolve_week(user, week, now)
    days_covered = (local_date(as_of, user.zone) - monday).days + 1
    found = findings_by_platform(session, user.id)
    follows = [f for p in PLATFORMS if (f := _follow_week(session, user, p, monday, as_of))]
    # A finished week's Sunday has ended: ask at the week's end so it can count as missed.
    posting_as_of = as_of + _TICK if complete else as_of
    posting = [
        PostingWeekOut(
            platform=s.platform,
            min_posts_per_day=s.min_posts_per_day,
            max_posts_per_day=s.max_posts_per_day,
            posts=sum(d.posts for d in s.days),
            days_posted=sum(1 for d in s.days if d.posts),
            missed_days=s.missed_days,
            over_posting_days=s.over_posting_days,
            days=s.days,
        )
        for s in insights.posting(
            session, user, None, posting_as_of, monday, monday + timedelta(days=6)
        ).platforms
    ]
    engagement = insights.engagement(session, user, as_of, days_covered)
    ratio = insights.sales_ratio(session, user, as_of, days_covered, None)
    stages = count_stages(session, user, as_of)
    figures = WeekFigures(
        profile=[(p, f) for p, _, findings in found for f in findings],
        follows=[
            FollowWeek(
                f.platform,
                f.weekly_target,
                f.follows,
                f.over_limit_days,
                f.daily_cap,
                f.burst_limit,
                f.burst_window_minutes,
                None if complete else f.remaining_today,
            )
            for f in follows
        ],
        posting=[
            PostingWeek(
                s.platform,
                s.min_posts_per_day,
                s.max_posts_per_day,
                s.missed_days,
                s.over_posting_days,
                None if complete else s.days[days_covered - 1].posts,
            )
            for s in posting
        ],
        broadcasts=engagement.broadcasts,
        interactions=engagement.interactions,
        interaction_share_target=user.interaction_share_target,
        non_sales=ratio.non_sales,
        sales=ratio.sales,
        non_sales_needed=ratio.non_sales_needed,
        stale=stages.stale,
        keep_in_touch_days=user.keep_in_touch_days,
    )
    iso = monday.isocalendar()
    return ReportOut(
        user_id=user.id,
        timezone=user.timezone,
        week=f"{iso.year}-W{iso.week:02d}",
        first_day=monday,
        last_day=monday + timedelta(days=6),
        as_of=as_of,
        complete=complete,
        days_covered=days_covered,
        profile=check_out(found),
        follows=follows,
        posting=posting,
        engagement=engagement,
        sales_ratio=ratio,
        relationships=stages,
        next_actions=[NextActionOut(**vars(a)) for a in next_actions(figures)],
    )
