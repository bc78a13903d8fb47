"""The event-driven webhook types (SPEC §12), evaluated in the transaction of an event write
(``app.events.store`` calls ``after_write`` from ``record`` and ``delete``), so the outbox
row commits or rolls back with the events that caused it.

Cheap first: one indexed query finds the workspace's enabled endpoints; a workspace without
one subscribed to these types (nearly all) costs nothing more. Then only the (platform,
local day) pairs the write touched are evaluated, each with one read of its events:

- ``pacing.over_limit``: for each touched day with follows, every limit of
  ``app.calc.webhooks.pacing_breaches`` (the follow plan's rules, or the platform's house
  defaults without a plan, as the pre-flight guard uses); dedupe key (user, platform, local
  day, limit): once per platform, day and limit, whatever later deletes and re-trips do.
- ``posting.over_posting`` / ``posting.burst``: the day's flags (SPEC §6.2); once per
  platform and day each.
- ``sales_ratio.breached`` / ``.restored``: the 30-day ratio, all platforms, at the write's
  instant, compared with the state remembered per user (``webhook_user_state``); each
  transition is sent once (its dedupe key counts the transitions).

A delete can only lower a day's counts (and widen the gaps between posts), so it cannot trip
pacing or posting; it is evaluated for the sales ratio only.
"""

import json
import uuid
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.calc import ratios as ratio_calc
from app.calc import webhooks as rules_calc
from app.calc.follow_rules import FollowRules, preset_follow_rules
from app.calc.timewindows import day_bounds, local_date, window_start
from app.calc.vocabulary import BROADCASTS, CONTACTS, Platform
from app.core.types import utc_now
from app.events import store
from app.insights.service import follow_rules, posting_rules
from app.plans.service import get_follow_plan, get_posting_plan
from app.users.models import USER_TABLE, User
from app.webhooks.models import ENDPOINT_TABLE, USER_STATE_TABLE, WebhookUserState
from app.webhooks.outbox import Outgoing, emit, emit_many, sent_keys

EP = ENDPOINT_TABLE.c
SALES_WINDOW_DAYS = 30
PACING = "pacing.over_limit"
OVER_POSTING = "posting.over_posting"
BURST = "posting.burst"
BREACHED = "sales_ratio.breached"
RESTORED = "sales_ratio.restored"
_TYPES = frozenset({PACING, OVER_POSTING, BURST, BREACHED, RESTORED})
Targets = dict[str, list[uuid.UUID]]


def _listening(session: Session, user_id: uuid.UUID) -> tuple[uuid.UUID, Targets] | None:
    """(workspace, type → its enabled endpoints subscribed to it) for this module's types;
    None when there is none. One statement (the user's row by key, the workspace's endpoints
    by index)."""
    rows = session.execute(
        select(EP.workspace_id, EP.id, EP.events)
        .join(USER_TABLE, USER_TABLE.c.workspace_id == EP.workspace_id)
        .where(USER_TABLE.c.id == user_id, EP.enabled.is_(True))
    ).all()
    targets: Targets = {}
    for r in rows:
        for t in set(json.loads(r.events)) & _TYPES:
            targets.setdefault(t, []).append(r.id)
    return (rows[0].workspace_id, targets) if targets else None


def after_write(
    session: Session, user_id: uuid.UUID, rows: Iterable[Mapping[str, Any]], deleted: bool = False
) -> None:
    """Evaluate the triggers for the events just inserted (or ``deleted``) for one user."""
    rows = [r for r in rows if r["direction"] == "outbound"]
    if not rows:
        return
    listening = _listening(session, user_id)
    if listening is None:
        return
    workspace_id, targets = listening
    types = set(targets)
    user = session.get(User, user_id)
    if user is None:
        return
    now = utc_now()
    if not deleted:
        tz = user.zone
        follow_days: dict[str, set[date]] = {}
        post_days: dict[str, set[date]] = {}
        for r in rows:
            if r["kind"] == "follow":
                follow_days.setdefault(r["platform"], set()).add(local_date(r["occurred_at"], tz))
            elif r["kind"] in BROADCASTS:
                post_days.setdefault(r["platform"], set()).add(local_date(r["occurred_at"], tz))
        if PACING in types:
            for platform, days in follow_days.items():
                _pacing(session, workspace_id, user, platform, days, targets, now)
        if types & {OVER_POSTING, BURST}:
            for platform, days in post_days.items():
                _posting(session, workspace_id, user, platform, days, targets, now)
    if types & {BREACHED, RESTORED} and any(r["kind"] in CONTACTS for r in rows):
        _sales_ratio(session, workspace_id, user, targets, now)


def _rules(session: Session, user: User, platform: str) -> FollowRules:
    plan = get_follow_plan(session, user.id, platform)
    return follow_rules(plan) if plan else preset_follow_rules(platform)


def _pacing(
    session: Session,
    workspace_id: uuid.UUID,
    user: User,
    platform: str,
    days: set[date],
    targets: Targets,
    now: datetime,
) -> None:
    tz = user.zone
    rules = _rules(session, user, platform)
    start = day_bounds(min(days), tz)[0]
    end = day_bounds(max(days), tz)[1]
    longest = max((r.window for r in rules.limit_rules), default=timedelta(0))
    first = start - max(longest, rules.burst_window)
    kinds = sorted({"follow", *(k for r in rules.limit_rules for k in r.kinds)})
    events = [
        (kind, t)
        for _, kind, t in store.kind_instants(
            session, user.id, [platform], kinds, first, end, include_end=False
        )
    ]
    follows = [t for kind, t in events if kind == "follow"]  # oldest first
    pacing_days = rules_calc.PacingDays(rules, tz, follows, events)
    found: list[tuple[str, str, dict[str, Any]]] = []
    for day in sorted(days):
        lo, hi = day_bounds(day, tz)
        for limit in pacing_days.breaches(day):
            data = {
                "platform": platform,
                "date": day.isoformat(),
                "limit": limit,
                "follows": bisect_left(follows, hi) - bisect_left(follows, lo),
            }
            key = f"{PACING}/{user.id}/{platform}/{day.isoformat()}/{limit}"
            found.append((PACING, key, data))
    _emit_new(session, workspace_id, user, found, targets, now)


def _posting(
    session: Session,
    workspace_id: uuid.UUID,
    user: User,
    platform: str,
    days: set[date],
    targets: Targets,
    now: datetime,
) -> None:
    tz = user.zone
    p: Platform = platform  # type: ignore[assignment]  # a stored event's platform is one
    rules = posting_rules(get_posting_plan(session, user.id, platform), p)
    start, end = day_bounds(min(days), tz)[0], day_bounds(max(days), tz)[1]
    posts = [
        t
        for _, t in store.instants(
            session, user.id, [platform], sorted(BROADCASTS), start, end, include_end=False
        )
    ]
    found: list[tuple[str, str, dict[str, Any]]] = []
    for day in sorted(days):
        lo, hi = day_bounds(day, tz)
        mine = posts[bisect_left(posts, lo) : bisect_left(posts, hi)]  # oldest first
        for flag in rules_calc.posting_flags(rules, tz, day, mine):
            event_type = f"posting.{flag}"
            if event_type not in targets:
                continue
            data: dict[str, Any] = {
                "platform": platform,
                "date": day.isoformat(),
                "posts": len(mine),
            }
            if flag == "over_posting":
                data["max_posts_per_day"] = rules.max_posts_per_day
            else:
                data["min_gap_minutes"] = rules.min_gap_minutes
            key = f"{event_type}/{user.id}/{platform}/{day.isoformat()}"
            found.append((event_type, key, data))
    _emit_new(session, workspace_id, user, found, targets, now)


def _emit_new(
    session: Session,
    workspace_id: uuid.UUID,
    user: User,
    found: list[tuple[str, str, dict[str, Any]]],
    targets: Targets,
    now: datetime,
) -> None:
    """Emit the conditions found whose dedupe key was not emitted before (one look-up for
    all: a condition that still holds at the next write costs no insert; the new ones are
    written together, ``emit_many``)."""
    sent = sent_keys(session, workspace_id, [key for _, key, _ in found])
    fresh = [
        Outgoing(event_type, data, key, targets[event_type])
        for event_type, key, data in found
        if key not in sent
    ]
    if fresh:
        emit_many(session, workspace_id=workspace_id, user=user, messages=fresh, now=now)


def user_state(session: Session, user_id: uuid.UUID) -> WebhookUserState:
    """The user's webhook state row, created if missing, locked for this transaction on
    PostgreSQL (so two writes of one user take turns at a transition)."""
    locked = (
        select(WebhookUserState)
        .where(USER_STATE_TABLE.c.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    # Read (and lock) first: the row exists after a user's first evaluation, and the insert
    # below is an ON CONFLICT statement SQLAlchemy compiles afresh each time.
    found: WebhookUserState | None = session.execute(locked).scalar_one_or_none()
    if found is not None:
        return found
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(USER_STATE_TABLE)
        .values(user_id=user_id, sales_transitions=0)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    state: WebhookUserState = session.execute(locked).scalar_one()
    return state


def _sales_ratio(
    session: Session, workspace_id: uuid.UUID, user: User, targets: Targets, now: datetime
) -> None:
    start = window_start(now, user.zone, SALES_WINDOW_DAYS)
    per_platform = store.contacts_by_platform(session, user.id, start, now)
    figures = ratio_calc.ratio_figures(
        sum(n for n, _ in per_platform.values()),
        sum(s for _, s in per_platform.values()),
        user.sales_ratio,
    )
    state = user_state(session, user.id)
    before = True if state.sales_compliant is None else state.sales_compliant
    state.sales_compliant = figures.compliant
    if figures.compliant == before:
        session.add(state)
        return
    state.sales_transitions += 1
    session.add(state)
    session.flush()
    event_type = RESTORED if figures.compliant else BREACHED
    emit(
        session,
        workspace_id=workspace_id,
        user=user,
        type=event_type,
        data={
            "window_days": SALES_WINDOW_DAYS,
            "non_sales": figures.non_sales,
            "sales": figures.sales,
            "ratio": figures.ratio,
            "required_ratio": figures.required_ratio,
            "compliant": figures.compliant,
        },
        dedupe_key=f"sales_ratio/{user.id}/{state.sales_transitions}",
        endpoints=targets.get(event_type, []),
        now=now,
    )
