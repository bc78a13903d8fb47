"""Today (SPEC §11): what to do on the local day of ``as_of``.

Built from the same functions as the other endpoints, so it agrees with them by
construction: pacing is ``insights.service.plan_pacing`` (§6.1), posting is
``insights.service.posting`` (§6.2), the pitch count ``insights.service.sales_ratio``
(§6.3), the profile ``profiles.check`` (§6.6), the contacts ``contacts.reach`` (§10); the
slots and the to-do list come from ``app.calc.slots`` and ``app.calc.today_actions``.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlmodel import Session, col

from app.calc.slots import (
    BEST_HOURS_LOOKBACK,
    BestHour,
    best_hours,
    follow_slots,
    post_slots,
    preferred_post_hours,
    slot_seed,
)
from app.calc.timewindows import local_date, to_utc
from app.calc.today_actions import DayFigures, FollowDay, Person, PostDay, handle_label
from app.calc.today_actions import today_actions as build_actions
from app.calc.vocabulary import BROADCAST_KINDS, KINDS, PLATFORMS, WEEKDAYS, Platform
from app.calc.working_hours import WorkingHours
from app.contacts.reach import ContactBrief, reach_lists
from app.events import store
from app.insights import service as insights
from app.plans.models import FollowPlan, PostingPlan
from app.profiles.check import check_out, findings_by_platform
from app.today.schemas import (
    ActionOut,
    BestHourOut,
    ContactsToday,
    ContactToday,
    FollowToday,
    PostToday,
    TodayOut,
)
from app.users.models import User

REACH_LIMIT = 10
SALES_WINDOW_DAYS = 30
FOLLOW_BACK_WINDOW_DAYS = 30  # pacing's default window (§6.1); today does not show it


PlanT = TypeVar("PlanT", FollowPlan, PostingPlan)


def _plans(session: Session, model: type[PlanT], user: User) -> dict[str, PlanT]:
    rows = session.execute(select(model).where(col(model.user_id) == user.id)).scalars()
    return {p.platform: p for p in rows}


def _platform_order(platforms: set[str]) -> list[Platform]:
    return [p for p in PLATFORMS if p in platforms]


def _follows(
    session: Session,
    user: User,
    plans: dict[str, FollowPlan],
    as_of: datetime,
    work: tuple[datetime, datetime],
) -> tuple[list[FollowToday], list[FollowDay]]:
    out, days = [], []
    today = local_date(as_of, user.zone)
    for platform in _platform_order(set(plans)):
        pacing = insights.plan_pacing(
            session, user, plans[platform], platform, as_of, FOLLOW_BACK_WINDOW_DAYS
        )
        rules, report = pacing.rules, pacing.report
        events = [("follow", t) for t in pacing.follows]
        if not rules.follow_only:  # a rule that also counts other kinds (Bluesky's creates)
            longest = max(r.window for r in rules.limit_rules)
            others = sorted({k for r in rules.limit_rules for k in r.kinds} - {"follow"})
            events += [
                (kind, t)
                for _, kind, t in store.kind_instants(
                    session, user.id, [platform], others, as_of - longest, as_of
                )
            ]
        plan = follow_slots(
            rules,
            user.zone,
            as_of,
            work,
            report.remaining_today,
            events,
            slot_seed(user.id, platform, today),
        )
        out.append(
            FollowToday(
                platform=platform,
                recommended_today=report.recommended_today,
                follows_today=report.follows_today,
                remaining_today=report.remaining_today,
                allowed_now=report.allowed_now,
                slots=plan.slots,
                unscheduled=plan.unscheduled,
            )
        )
        days.append(FollowDay(platform, report.remaining_today, plan.slots, plan.unscheduled))
    return out, days


def _best_hours(
    session: Session, user: User, as_of: datetime, platforms: set[str]
) -> dict[str, list[BestHour] | None]:
    """Per platform with a plan or inbound events in the 8 weeks before as_of."""
    rows = store.instants(
        session, user.id, PLATFORMS, KINDS, as_of - BEST_HOURS_LOOKBACK, as_of, direction="inbound"
    )
    inbound: dict[str, list[datetime]] = {}
    for platform, t in rows:
        inbound.setdefault(platform, []).append(t)
    return {
        p: best_hours(inbound.get(p, []), user.zone)
        for p in _platform_order(platforms | set(inbound))
    }


def _posts(
    session: Session,
    user: User,
    plans: dict[str, PostingPlan],
    as_of: datetime,
    work: tuple[datetime, datetime],
    best: dict[str, list[BestHour] | None],
) -> tuple[list[PostToday], list[PostDay]]:
    if not plans:
        return [], []
    today = local_date(as_of, user.zone)
    posting = insights.posting(session, user, None, as_of, today, today)
    out, days = [], []
    for section in posting.platforms:
        platform = section.platform
        if platform not in plans:
            continue
        rules, figures = section.rules, section.section
        last = store.last_instant(session, user.id, platform, BROADCAST_KINDS, as_of)
        slots = post_slots(
            user.zone,
            as_of,
            work,
            max(0, rules.min_posts_per_day - figures.posts_today),
            rules.min_gap,
            last,
            preferred_post_hours(best.get(platform), today.weekday()),
        )
        out.append(
            PostToday(
                platform=platform,
                posts_today=figures.posts_today,
                remaining_today=figures.remaining_today,
                slots=slots,
            )
        )
        days.append(PostDay(platform, slots, figures.posts_today, rules.min_posts_per_day))
    return out, days


def _contact(c: ContactBrief) -> ContactToday:
    return ContactToday(
        contact_id=c.contact_id,
        name=c.name,
        handles=list(c.handles),
        unanswered=c.unanswered,
        waiting_since=c.waiting_since,
        due_at=c.due_at,
        overdue_days=c.overdue_days,
    )


def _people(contacts: Sequence[ContactBrief]) -> list[Person]:
    return [
        Person(
            c.contact_id,
            handle_label(c.name, c.handles),
            c.unanswered,
            c.waiting_since,
            c.overdue_days,
        )
        for c in contacts
    ]


def plan_today(session: Session, user: User, as_of: datetime) -> TodayOut:
    """The Today document (SPEC §11) for ``user`` at ``as_of``."""
    as_of = to_utc(as_of)
    tz = user.zone
    today = local_date(as_of, tz)
    hours = WorkingHours.of(user.work_start, user.work_end)
    work = hours.bounds(today, tz)
    follow_plans = _plans(session, FollowPlan, user)
    posting_plans = _plans(session, PostingPlan, user)
    follows, follow_days = _follows(session, user, follow_plans, as_of, work)
    best = _best_hours(session, user, as_of, set(follow_plans) | set(posting_plans))
    posts, post_days = _posts(session, user, posting_plans, as_of, work, best)
    ratio = insights.sales_ratio(session, user, as_of, SALES_WINDOW_DAYS, None)
    reach = reach_lists(session, user, as_of, REACH_LIMIT)
    found = findings_by_platform(session, user.id)
    actions = build_actions(
        DayFigures(
            as_of=as_of,
            tz=tz,
            start_of_work=work[0],
            follows=follow_days,
            posts=post_days,
            get_back_to=_people(reach.get_back_to),
            keep_in_touch=_people(reach.keep_in_touch),
            helpful_before_next_pitch=ratio.figures.non_sales_needed,
            profile=[(platform, f) for platform, _, findings in found for f in findings],
        )
    )
    return TodayOut(
        date=today,
        as_of=as_of,
        timezone=user.timezone,
        working_hours=user.settings.working_hours,
        start_of_work=work[0],
        end_of_work=work[1],
        follows=follows,
        posts=posts,
        best_hours={
            p: None
            if hours_ is None
            else [
                BestHourOut(weekday=WEEKDAYS[b.weekday], hour=b.hour, inbound=b.inbound)
                for b in hours_
            ]
            for p, hours_ in best.items()
        },
        contacts=ContactsToday(
            helpful_before_next_pitch=ratio.figures.non_sales_needed,
            get_back_to=[_contact(c) for c in reach.get_back_to],
            keep_in_touch=[_contact(c) for c in reach.keep_in_touch],
        ),
        profile=check_out(found),
        actions=[
            ActionOut(
                code=a.code, text=a.text, platform=a.platform, contact_id=a.contact_id, at=a.at
            )
            for a in actions
        ],
    )
