"""The weekly report (SPEC §6.8): the insight services' results at the week's as_of,
combined into one ``WeeklyReport`` (``app.reports.schemas.ReportOut`` shapes it). Each
follow plan is read once, and its week's follows are those pacing already read.

as_of is the end of the ISO week (local Sunday 24:00 minus 1 µs, so "today" is still the
Sunday) or now (the as_of parameter) when that is earlier. Posting cadence of a finished
week is asked at the week's end itself, so its Sunday has ended and can count as missed.
Engagement and the sales ratio cover the week's local days up to as_of; relationship
stages are counted over all history up to as_of.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from app.calc.next_actions import FollowWeek as NextFollowWeek
from app.calc.next_actions import NextAction, PostingWeek, WeekFigures, next_actions
from app.calc.profile_findings import Finding
from app.calc.timewindows import day_start, local_date, parse_iso_week, week_monday
from app.calc.vocabulary import PLATFORMS, Platform
from app.calc.weekly import FollowDay, follow_days
from app.core.errors import INVALID_WEEK, WEEK_NOT_STARTED, Problem, ProblemError, query_item
from app.insights import service as insights
from app.insights.results import Engagement, Pacing, Posting, SalesRatio
from app.plans.service import get_follow_plan
from app.profiles.check import findings_by_platform
from app.profiles.models import Profile
from app.relationships.schemas import StageCounts
from app.relationships.service import count_stages
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


@dataclass(frozen=True)
class FollowWeek:
    """One follow plan's week: pacing at as_of and the limits of each day."""

    pacing: Pacing
    days: list[FollowDay]

    @property
    def follows(self) -> int:
        return sum(d.follows for d in self.days)

    @property
    def over_limit_days(self) -> int:
        return sum(d.over_limit for d in self.days)


@dataclass(frozen=True)
class WeeklyReport:
    """The week's insight results, combined (the router shapes them)."""

    user: User
    monday: date
    as_of: datetime
    complete: bool
    days_covered: int
    profile: list[tuple[Platform, Profile | None, list[Finding]]]
    follows: list[FollowWeek]
    posting: Posting
    engagement: Engagement
    sales_ratio: SalesRatio
    relationships: StageCounts
    next_actions: list[NextAction]


def _follow_week(
    session: Session, user: User, platform: Platform, monday: date, as_of: datetime
) -> FollowWeek | None:
    plan = get_follow_plan(session, user.id, platform)
    if plan is None:
        return None
    pacing = insights.plan_pacing(session, user, plan, platform, as_of, 7)
    # pacing.follows start at or before the week's Monday, so they hold all the week's.
    quotas = [(d.date, d.quota) for d in pacing.report.days]
    return FollowWeek(pacing, follow_days(pacing.rules, user.zone, quotas, pacing.follows, as_of))


def _figures(
    user: User,
    complete: bool,
    days_covered: int,
    profile: list[tuple[Platform, Profile | None, list[Finding]]],
    follows: list[FollowWeek],
    posting: Posting,
    engagement: Engagement,
    ratio: SalesRatio,
    stale: int,
) -> WeekFigures:
    """The numbers next_actions derives the actions from; the days to come (today's
    remaining follows and posts) only while the week is not over."""
    return WeekFigures(
        profile=[(p, f) for p, _, findings in profile for f in findings],
        follows=[
            NextFollowWeek(
                f.pacing.platform,
                f.pacing.rules.weekly_target,
                f.follows,
                f.over_limit_days,
                f.pacing.rules.daily_cap,
                f.pacing.rules.burst_limit,
                f.pacing.rules.burst_window_minutes,
                None if complete else f.pacing.report.remaining_today,
            )
            for f in follows
        ],
        posting=[
            PostingWeek(
                s.platform,
                s.rules.min_posts_per_day,
                s.rules.max_posts_per_day,
                s.section.missed_days,
                s.section.over_posting_days,
                None if complete else s.section.days[days_covered - 1].posts,
            )
            for s in posting.platforms
        ],
        broadcasts=engagement.figures.broadcasts,
        interactions=engagement.figures.interactions,
        interaction_share_target=user.interaction_share_target,
        non_sales=ratio.figures.non_sales,
        sales=ratio.figures.sales,
        non_sales_needed=ratio.figures.non_sales_needed,
        stale=stale,
        keep_in_touch_days=user.keep_in_touch_days,
    )


def weekly_report(session: Session, user: User, week: str | None, now: datetime) -> WeeklyReport:
    monday, as_of, complete = resolve_week(user, week, now)
    days_covered = (local_date(as_of, user.zone) - monday).days + 1
    found = findings_by_platform(session, user.id)
    follows = [f for p in PLATFORMS if (f := _follow_week(session, user, p, monday, as_of))]
    # A finished week's Sunday has ended: ask at the week's end so it can count as missed.
    posting_as_of = as_of + _TICK if complete else as_of
    posting = insights.posting(
        session, user, None, posting_as_of, monday, monday + timedelta(days=6)
    )
    engagement = insights.engagement(session, user, as_of, days_covered)
    ratio = insights.sales_ratio(session, user, as_of, days_covered, None)
    stages = count_stages(session, user, as_of)
    figures = _figures(
        user, complete, days_covered, found, follows, posting, engagement, ratio, stages.stale
    )
    return WeeklyReport(
        user,
        monday,
        as_of,
        complete,
        days_covered,
        found,
        follows,
        posting,
        engagement,
        ratio,
        stages,
        next_actions(figures),
    )
