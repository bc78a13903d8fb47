"""The §10 figures of contacts at as_of, from their summaries and their 90-day events (read
for the contacts asked for only, through the events store)."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from app.calc import contacts as calc
from app.contacts.schemas import ContactOut
from app.contacts.summaries import Summary
from app.events import store
from app.users.models import User


def window(
    session: Session,
    user: User,
    summaries: Sequence[Summary],
    as_of: datetime,
    every_handle: bool = False,
) -> dict[uuid.UUID, calc.WindowFigures]:
    """contact id → reciprocity, unanswered and reply time over the 90 days ending at as_of
    (``every_handle``: one read of the user's whole window, for the slow paths)."""
    handles = None if every_handle else [h for s in summaries for h in s.handles]
    events = store.handle_window_events(
        session, user.id, handles, as_of - calc.RECIPROCITY_WINDOW, as_of
    )
    return {
        s.id: calc.window_figures(e for h in s.handles for e in events.get(h, ()))
        for s in summaries
    }


def health(user: User, s: Summary, w: calc.WindowFigures, as_of: datetime) -> int:
    f = s.figures
    return calc.health(
        as_of,
        f.last_contact_at,
        s.keep_in_touch_days(user),
        w.reciprocity,
        f.non_sales,
        f.sales,
        user.sales_ratio,
    )


def out(user: User, s: Summary, w: calc.WindowFigures, as_of: datetime) -> ContactOut:
    f = s.figures
    return ContactOut(
        id=s.id,
        name=s.name,
        tags=s.tags,
        notes=s.notes,
        handles=list(s.handles),
        created_at=s.created_at,
        first_contact_at=f.first_contact_at,
        last_contact_at=f.last_contact_at,
        outbound=f.outbound,
        inbound=f.inbound,
        non_sales=f.non_sales,
        sales=f.sales,
        stage=s.stage,  # type: ignore[arg-type]  # one of Stage's values, as stored
        stale=calc.stale(s.due_at, as_of),
        keep_in_touch_days=s.keep_in_touch_days(user),
        own_keep_in_touch_days=s.own_keep_in_touch_days,
        due_at=s.due_at,
        overdue_days=calc.overdue_days(s.due_at, as_of),
        reciprocity=w.reciprocity,
        unanswered=w.unanswered,
        median_reply_minutes=w.median_reply_minutes,
        health=health(user, s, w, as_of),
    )


def outs(
    session: Session, user: User, summaries: Sequence[Summary], as_of: datetime
) -> list[ContactOut]:
    windows = window(session, user, summaries, as_of)
    return [out(user, s, windows[s.id], as_of) for s in summaries]
