"""POST /v1/users/{user_id}/events:import — events from a CSV file (text/csv).

The order of the work is the point: authenticate (and find the user) in a read session,
then read and validate the whole body in a worker thread with no write session open, and
only then open the write session (on SQLite: the single write lock) to store the rows. A
hostile body (20,000 columns, a 100 KiB line, too many rows) is refused without ever
queueing for the lock, so it cannot stall other writers.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from app.core.errors import UNSUPPORTED_MEDIA_TYPE
from app.deps import DeferredWriteSession, UserDep, require_scope
from app.events import csv_io
from app.events.models import EventBatchResult
from app.events.store import created_flags

router = APIRouter(prefix="/users/{user_id}/events", tags=["events"])

_BODY_DOC = (
    "RFC 4180 CSV, UTF-8, header row first. Columns: "
    + ", ".join(csv_io.COLUMNS)
    + " (platform, kind, occurred_at required; id ignored; an empty field is null)."
)


async def csv_body(request: Request) -> bytes:
    """The raw body, after checking it is declared as text/csv (else 415)."""
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media != csv_io.CSV_MEDIA_TYPE:
        raise UNSUPPORTED_MEDIA_TYPE.error(
            f"Content-Type {media or '(missing)'} is not accepted here; send "
            "'Content-Type: text/csv'."
        )
    return await request.body()


async def parsed_csv(request: Request, user: UserDep) -> csv_io.Parsed:
    """The validated rows: after authentication (``user``), before any write session."""
    return await run_in_threadpool(csv_io.parse, await csv_body(request))


ParsedCsv = Annotated[csv_io.Parsed, Depends(parsed_csv)]


@router.post(
    ":import",
    response_model=EventBatchResult,
    responses={
        409: {"description": "external_id already used with different content"},
        415: {"description": "Content-Type is not text/csv"},
        422: {
            "description": "Bad header, or bad rows: errors [{row, line, column, detail}]; "
            "nothing written"
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": _BODY_DOC,
            "content": {csv_io.CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
    summary="Import events from CSV atomically; idempotent by external_id",
    description="The same columns `GET …/events` answers with `Accept: text/csv`, so an "
    "export imports unchanged. Every data row is validated first; any bad row "
    "answers 422 listing each one (`row` is the 1-based data row, `line` the "
    "physical line) and nothing is written. The body limit is 1 MiB; at most "
    f"{csv_io.MAX_IMPORT_ROWS} rows, {csv_io.MAX_COLUMNS} header columns and "
    f"{csv_io.MAX_LINE_BYTES // 1024} KiB per line. Text cells (counterpart, url, "
    "text, external_id) that start with `'` followed by `=`, `+`, `-`, `@`, tab or "
    "carriage return lose that one `'` (the export adds it so a spreadsheet does "
    "not run them as formulas).",
    dependencies=[require_scope("write")],
)
def import_events(
    user: UserDep, parsed: ParsedCsv, session: DeferredWriteSession
) -> EventBatchResult:
    stored = csv_io.import_events(session, user.id, parsed)
    flags = created_flags(stored)
    return EventBatchResult(
        created=sum(flags), duplicates=len(stored) - sum(flags), ids=[s.id for s in stored]
    )
