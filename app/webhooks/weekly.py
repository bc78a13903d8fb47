"""report.weekly (SPEC §12), time-driven: after each local Monday 00:00 of a user with a
plan, the previous ISO week's report (the §6.8 JSON).

``webhook_user_state.next_weekly_report_at`` holds when each user's next report is due
(index ``ix_webhook_user_state_weekly``): a pass reads the due users as an index range,
never every user. Users are scheduled (the first Monday after now) when their workspace has
an enabled endpoint subscribed to report.weekly and they have a follow or posting plan; only
those workspaces' users are looked at. The dedupe key (user, ISO week) means a restart or a
second worker never sends one twice; on PostgreSQL the due rows are claimed with
``FOR UPDATE SKIP LOCKED``. A worker down for weeks sends the week before the Monday that
was due, then goes on from the next Monday after now (missed weeks are not replayed).
"""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.calc.webhooks import next_weekly_report_at, reported_week
from app.plans.models import FollowPlan, PostingPlan
from app.reports.schemas import ReportOut
from app.reports.service import weekly_report
from app.users.models import USER_TABLE, User
from app.webhooks.models import ENDPOINT_TABLE, USER_STATE_TABLE
from app.webhooks.outbox import emit

REPORT_WEEKLY = "report.weekly"
EP, U, S = ENDPOINT_TABLE.c, USER_TABLE.c, USER_STATE_TABLE.c
BATCH = 100


def _subscribed_workspaces(session: Session) -> list[object]:
    rows = session.execute(select(EP.workspace_id, EP.events).where(EP.enabled.is_(True))).all()
    return sorted({r.workspace_id for r in rows if REPORT_WEEKLY in json.loads(r.events)}, key=str)


def schedule_new(session: Session, now: datetime) -> int:
    """Give a first due instant to the users with a plan of subscribed workspaces that have
    none yet; how many."""
    workspaces = _subscribed_workspaces(session)
    if not workspaces:
        return 0
    has_plan = or_(
        exists().where(FollowPlan.user_id == U.id),  # type: ignore[arg-type]
        exists().where(PostingPlan.user_id == U.id),  # type: ignore[arg-type]
    )
    scheduled = exists().where(S.user_id == U.id, S.next_weekly_report_at.is_not(None))
    users = session.execute(
        select(U.id, U.timezone).where(U.workspace_id.in_(workspaces), has_plan, ~scheduled)
    ).all()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for user_id, timezone in users:
        due = next_weekly_report_at(now, ZoneInfo(timezone))
        session.execute(
            dialect.insert(USER_STATE_TABLE)
            .values(user_id=user_id, sales_transitions=0, next_weekly_report_at=due)
            .on_conflict_do_update(index_elements=["user_id"], set_={"next_weekly_report_at": due})
        )
    return len(users)


def run_due(session: Session, now: datetime) -> int:
    """Schedule new users, then emit the reports that are due; how many were due."""
    schedule_new(session, now)
    due = session.execute(
        select(S.user_id, S.next_weekly_report_at)
        .where(S.next_weekly_report_at <= now)
        .order_by(S.next_weekly_report_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    for user_id, due_at in due:
        user = session.get(User, user_id)
        if user is None:
            continue
        tz = user.zone
        monday = reported_week(due_at, tz)
        iso = monday.isocalendar()
        week = f"{iso.year}-W{iso.week:02d}"
        report = ReportOut.from_result(weekly_report(session, user, week, now))
        emit(
            session,
            workspace_id=user.workspace_id,
            user=user,
            type=REPORT_WEEKLY,
            data={"week": week, "report": report.model_dump(mode="json")},
            dedupe_key=f"{REPORT_WEEKLY}/{user.id}/{week}",
            now=now,
        )
        session.execute(
            update(USER_STATE_TABLE)
            .where(S.user_id == user_id)
            .values(next_weekly_report_at=next_weekly_report_at(now, tz))
        )
    return len(due)
