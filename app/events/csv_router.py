"""POST /v1/users/{user_id}/events:import — events from a CSV file.

The order of the work is the point: authenticate (and find the user) in a read session,
then read and validate the whole body in a worker thread with no write session open, and
only then open the write session (on SQLite: the single write lock) to store the rows. A
hostile body (20,000 columns, a 100 KiB line, too many rows) is refused without ever
queueing for the lock, so it cannot stall other writers.

The body is not buffered (the request gate only counts it, and answers 413 past
MAX_IMPORT_BYTES): it is read as a stream into a temporary file as the parser gets to it
(``app.core.body_spool``), so a worker's memory does not grow with the file, and a file
refused at its header is not read further.
"""

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from app.calc.crm_values import DateFormat
from app.core.body_spool import BodySpool
from app.core.errors import validation_problem
from app.core.fields import Component, TimeZoneName
from app.deps import DeferredWriteSession, UserDep, require_scope
from app.events import csv_import, csv_read
from app.events.csv_io import COLUMNS, REQUIRED
from app.events.models import EventBatchResult

router = APIRouter(prefix="/users/{user_id}/events", tags=["events"])

MAX_IMPORT_BYTES = 32 * 1024 * 1024  # the import's own body limit (app.core.middleware)

UnknownColumnsParam = Annotated[
    csv_import.UnknownColumns,
    Component(
        "UnknownColumns",
        "What the CSV import does with header columns it does not know: reject (422 "
        "listing them) or ignore (left out, and listed in ignored_columns).",
    ),
]
DateFormatParam = Annotated[
    DateFormat,
    Component(
        "DateFormat",
        "How the CSV import reads dates: iso (year first, always read), dmy (26/11/2026) "
        "or mdy (11/26/2026).",
    ),
]


class CsvImportResult(EventBatchResult):
    ignored_columns: list[str] = Field(
        default_factory=list,
        description="Header columns left out (with unknown_columns=ignore), as written.",
    )


def import_options(
    unknown_columns: Annotated[
        UnknownColumnsParam, Query(description="reject (default) or ignore unknown columns.")
    ] = "reject",
    columns: Annotated[
        str | None,
        Query(
            max_length=2000,
            # The shape, for the document; checked by parse_mapping with a clearer message.
            json_schema_extra={"pattern": csv_import.MAPPING_PATTERN},
            description="Map a CRM's column names onto Rapport's: CRM_NAME:column pairs "
            "separated by commas, e.g. `Activity Date:occurred_at,Channel:platform`. Names "
            "match case-, space- and underscore-insensitively.",
        ),
    ] = None,
    timezone: Annotated[
        TimeZoneName | None,
        Query(description="Read times without a UTC offset as wall-clock times in this zone."),
    ] = None,
    date_format: Annotated[
        DateFormatParam | None,
        Query(description="dmy or mdy for dates such as 26/11/2026; ISO dates need none."),
    ] = None,
) -> csv_import.ImportOptions:
    try:
        mapping = csv_import.parse_mapping(columns)
    except ValueError as exc:
        raise validation_problem(
            [{"parameter": "columns", "in": "query", "detail": f"columns: {exc}"}]
        ) from None
    return csv_import.ImportOptions(unknown_columns, mapping, timezone, date_format)


Options = Annotated[csv_import.ImportOptions, Depends(import_options)]


async def parsed_csv(
    request: Request, user: UserDep, options: Options
) -> AsyncIterator[csv_import.Parsed]:
    """The validated rows: after authentication (``user``), before any write session; the
    staged rows are deleted when the endpoint has returned."""
    codec = csv_read.charset(request.headers.get("content-type"))
    stream = request.stream()
    try:
        with BodySpool(stream) as spool:
            parsed = await run_in_threadpool(csv_import.parse, spool.open, codec, options)
    finally:
        await stream.aclose()  # not read to the end when the file was refused early
    try:
        yield parsed
    finally:
        parsed.close()


ParsedCsv = Annotated[csv_import.Parsed, Depends(parsed_csv, scope="function")]

_BODY_DOC = (
    "RFC 4180 CSV with a header row; comma, semicolon or tab delimited (read from the "
    "header). UTF-8 unless the Content-Type declares a charset (e.g. windows-1252); a "
    "byte-order mark is honoured. Also sent as "
    + ", ".join(csv_read.MEDIA_TYPES[1:])
    + f". Rapport's columns: {', '.join(COLUMNS)} "
    f"({', '.join(REQUIRED)} required; id ignored; an empty field is null)."
)


@router.post(
    ":import",
    response_model=CsvImportResult,
    responses={
        409: {"description": "external_id already used with different content"},
        413: {
            "description": "The body is over the size limit of the import "
            f"({MAX_IMPORT_BYTES // (1 << 20)} MiB)"
        },
        415: {"description": "Content-Type is not CSV, or a charset this API does not read"},
        422: {
            "description": "Bad header, or bad rows: errors [{row, line, column, value, "
            "detail}] (the first 100) and error_count; nothing written"
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": _BODY_DOC,
            # One media type, so generators make one body parameter (the others of
            # csv_read.MEDIA_TYPES are accepted too, as the description says).
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    summary="Import events from CSV atomically; idempotent by external_id",
    description="Takes the columns `GET …/events` answers with `Accept: text/csv`, so an "
    "export imports unchanged, and files as CRMs write them: header names match case-, "
    "space- and underscore-insensitively (`Occurred At`), `columns` maps other names, "
    "`unknown_columns=ignore` leaves other columns out; platform, kind and direction "
    "take aliases (`Twitter` → x, `Retweet` → share), is_sales takes true/false, yes/no, "
    "1/0; occurred_at takes RFC 3339 or a space for the `T`, and with `date_format` "
    "day-first or month-first dates (`26/11/2026 09:30`, `11/26/2026 9:30 AM`); a time "
    "without an offset needs `timezone`. Every data row is validated first; any bad row "
    "answers 422 listing the first 100 errors (`row` is the 1-based data row, `line` the "
    "physical line, `value` the bad value) with `error_count`, and nothing is written. "
    f"The body limit is {MAX_IMPORT_BYTES // (1 << 20)} MiB; at most "
    f"{csv_read.MAX_IMPORT_ROWS} rows, {csv_read.MAX_COLUMNS} header columns and "
    f"{csv_read.MAX_LINE_CHARS // 1024} Ki characters per line. Text cells (counterpart, "
    "url, text, external_id) that start with `'` followed by `=`, `+`, `-`, `@`, tab or "
    "carriage return lose that one `'` (the export adds it so a spreadsheet does not run "
    "them as formulas).",
    dependencies=[require_scope("write")],
)
def import_events(user: UserDep, parsed: ParsedCsv, session: DeferredWriteSession) -> Response:
    imported = csv_import.import_events(session, user.id, parsed)
    # CsvImportResult, encoded here: 100,000 ids as UUID objects, then as a validated model
    # and its JSON, would hold over 20 MB more than these bytes.
    body = bytearray(
        b'{"created":%d,"duplicates":%d,"ids":'
        % (imported.created, imported.rows - imported.created)
    )
    body += imported.ids_json()
    body += (
        b',"ignored_columns":%b}'
        % json.dumps(parsed.ignored_columns, ensure_ascii=False, separators=(",", ":")).encode()
    )
    return Response(bytes(body), media_type="application/json")
