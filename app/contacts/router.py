"""/v1/users/{user_id}/contacts (SPEC §10)"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.contacts import csv_export, merging, service
from app.contacts.schemas import (
    ContactList,
    ContactOut,
    ContactPatch,
    ContactSort,
    MergeIn,
    SplitIn,
)
from app.contacts.summaries import Filters
from app.core.fields import Instant
from app.core.negotiation import JSON, preferred
from app.core.pagination import Cursor, Limit
from app.core.types import utc_now
from app.deps import ReadSession, UserDep, WriteSession, require_scope
from app.events.csv_io import CSV_MEDIA_TYPE
from app.relationships.router import AsOf
from app.relationships.schemas import Stage

router = APIRouter(prefix="/users/{user_id}/contacts", tags=["contacts"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "User or contact not found (or another workspace's)"}
}
_FIGURES = (
    "Figures cover all the contact's handles at `as_of` (default now): §6.7's totals and "
    "stage, `due_at` = last_contact_at + keep_in_touch_days days, `stale` = as_of > due_at, "
    "`overdue_days`, and over the 90 days ending at as_of `reciprocity`, `unanswered`, "
    "`median_reply_minutes`; `health` 0–100."
)


@router.get(
    "",
    dependencies=[require_scope("read")],
    response_model=ContactList,
    responses={
        200: {
            "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
            "description": "JSON page, or with `Accept: text/csv` every matching contact as "
            "CSV (one row each, handles and tags joined by `;`; limit and cursor do not apply)",
        },
        **_NOT_FOUND,
    },
    summary="List contacts (§10)",
    description=_FIGURES
    + " Contacts without events up to as_of are not listed. `sort`: `last_contact` (newest "
    "first, default), `due` (soonest due_at first), `health` (lowest first); ties by id.",
)
def list_contacts(
    request: Request,
    user: UserDep,
    session: ReadSession,
    stage: Annotated[Stage | None, Query(description="Only this stage.")] = None,
    stale: Annotated[bool | None, Query(description="Only stale (true) or not (false).")] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Substring of the name or a handle."),
    ] = None,
    due_before: Annotated[Instant | None, Query(description="Only due_at before it.")] = None,
    sort: Annotated[ContactSort, Query()] = "last_contact",
    as_of: AsOf = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ContactList | Response:
    at = as_of or utc_now()
    filters = Filters(stage, stale, tag, q, due_before)
    if preferred(request.headers.get("accept"), [JSON, CSV_MEDIA_TYPE]) != JSON:
        return csv_export.csv_response(session, user, at, filters, sort)
    return service.list_contacts(session, user, at, filters, sort, limit, cursor)


@router.get(
    "/{contact_id}",
    dependencies=[require_scope("read")],
    response_model=ContactOut,
    responses=_NOT_FOUND,
    summary="Read a contact (§10)",
    description=_FIGURES,
)
def get_contact(
    contact_id: uuid.UUID, user: UserDep, session: ReadSession, as_of: AsOf = None
) -> ContactOut:
    return service.get_contact(session, user, contact_id, as_of or utc_now())


@router.patch(
    "/{contact_id}",
    dependencies=[require_scope("write")],
    response_model=ContactOut,
    responses=_NOT_FOUND,
    summary="Update a contact's name, tags, own cadence or notes",
    description="Partial update: only the fields sent change. `tags` replaces the list "
    "(at most 20 of 1–50 chars; repeats are kept once); `keep_in_touch_days` 1–3650, null "
    "for the user's setting; `notes` at most 5000 chars; null clears name or notes.",
)
def patch_contact(
    contact_id: uuid.UUID, body: ContactPatch, user: UserDep, session: WriteSession
) -> ContactOut:
    return service.patch_contact(session, user, contact_id, body, utc_now())


@router.post(
    "/{contact_id}:merge",
    dependencies=[require_scope("write")],
    response_model=ContactOut,
    responses=_NOT_FOUND,
    summary="Merge other contacts into this one (idempotent)",
    description="Moves every handle of `contact_ids` into this contact; their name, tags and "
    "notes are kept here where this contact has none, and they are deleted. Repeating it "
    "is a no-op (an id already merged into this contact is skipped).",
)
def merge_contacts(
    contact_id: uuid.UUID, body: MergeIn, user: UserDep, session: WriteSession
) -> ContactOut:
    return merging.merge(session, user, contact_id, body.contact_ids, utc_now())


@router.post(
    "/{contact_id}:split",
    dependencies=[require_scope("write")],
    response_model=ContactOut,
    responses=_NOT_FOUND,
    summary="Make one handle of this contact a contact of its own (idempotent)",
    description="Answers the handle's own contact (new, or the one it already is when the "
    "handle is alone in its contact, e.g. on a repeat).",
)
def split_contact(
    contact_id: uuid.UUID, body: SplitIn, user: UserDep, session: WriteSession
) -> ContactOut:
    return merging.split(session, user, contact_id, body.handle, utc_now())
