"""/v1/users/{user_id}/events"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from app.core.errors import not_found, query_item, validation_problem
from app.core.fields import Direction, Instant, Kind, Platform
from app.core.negotiation import JSON, preferred
from app.core.pagination import Cursor, Limit
from app.deps import (
    CallerDep,
    ReadSession,
    SingleWritesDep,
    UserDep,
    WriteSession,
    require_scope,
)
from app.events import csv_io, service, store
from app.events.models import (
    Event,
    EventBatchIn,
    EventBatchResult,
    EventIn,
    EventList,
    EventPublic,
    normalise_counterpart,
)

router = APIRouter(prefix="/users/{user_id}/events", tags=["events"])

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "external_id already used with different content"}
}


def public(event: Event | None) -> EventPublic:
    return EventPublic.model_validate(event, from_attributes=True)


@router.post(
    "",
    response_model=EventPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "model": EventPublic,
            "description": "Repeat of a stored event (same external_id and content)",
        },
        **_CONFLICT,
    },
    summary="Record one event (idempotent by external_id)",
    dependencies=[require_scope("write")],
)
async def create_event(
    body: EventIn, caller: CallerDep, user: UserDep, writes: SingleWritesDep, response: Response
) -> EventPublic:
    recorded = await service.record_one(writes, user.id, body, caller.key)
    response.status_code = status.HTTP_201_CREATED if recorded.created else status.HTTP_200_OK
    response.headers["Location"] = f"/v1/users/{user.id}/events/{recorded.event.id}"
    return public(recorded.event)


@router.post(
    ":batch",
    response_model=EventBatchResult,
    status_code=status.HTTP_200_OK,
    responses=_CONFLICT,
    summary="Record up to 1000 events atomically; ids come back in input order",
    dependencies=[require_scope("write")],
)
def create_events_batch(
    body: EventBatchIn, user: UserDep, session: WriteSession
) -> EventBatchResult:
    return service.record_batch(session, user.id, body.events)


@router.get(
    "",
    response_model=EventList,
    summary="List events, newest first",
    responses={
        200: {
            "content": {csv_io.CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
            "description": "JSON page, or with `Accept: text/csv` every matching "
            "event as CSV (limit and cursor do not apply)",
        }
    },
    dependencies=[require_scope("read")],
)
def list_events(
    request: Request,
    user: UserDep,
    session: ReadSession,
    limit: Limit = 50,
    cursor: Cursor = None,
    platform: Platform | None = None,
    kind: Kind | None = None,
    direction: Direction | None = None,
    counterpart: Annotated[str | None, Query(max_length=200)] = None,
    is_sales: bool | None = None,
    from_: Annotated[Instant | None, Query(alias="from", description="occurred_at ≥ from")] = None,
    to: Annotated[Instant | None, Query(description="occurred_at < to")] = None,
) -> EventList | StreamingResponse:
    if from_ is not None and to is not None and from_ > to:
        raise validation_problem(
            [query_item("from", "must not be after to")], "from is after to; send from ≤ to."
        )
    filters = service.EventFilters(
        platform, kind, direction, normalise_counterpart(counterpart), from_, to, is_sales
    )
    if preferred(request.headers.get("accept"), [JSON, csv_io.CSV_MEDIA_TYPE]) != JSON:
        return csv_io.csv_response(session, user.id, filters)
    events, next_cursor = service.list_events(session, user.id, filters, limit, cursor)
    return EventList(items=[public(e) for e in events], next_cursor=next_cursor)


@router.get(
    "/{event_id}",
    response_model=EventPublic,
    summary="Read an event",
    dependencies=[require_scope("read")],
)
def get_event(event_id: uuid.UUID, user: UserDep, session: ReadSession) -> EventPublic:
    event = service.get_event(session, user.id, event_id)
    if event is None:
        raise not_found("event")
    return public(event)


@router.delete(
    "/{event_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an event",
    dependencies=[require_scope("write")],
)
def delete_event(event_id: uuid.UUID, user: UserDep, session: WriteSession) -> None:
    if not store.delete(session, user.id, event_id):
        raise not_found("event")
