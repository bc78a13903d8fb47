"""Events as CSV (RFC 4180, UTF-8, header row): export in keyset pages, atomic import.

Columns: id, platform, kind, direction, occurred_at, counterpart, is_sales, url, text,
external_id. An empty field is null (so an empty `text` does not survive a round trip as
""); `occurred_at` is RFC 3339 in UTC with `Z`; `is_sales` is `true` / `false`.

Formulas (SPEC §13, OWASP "CSV injection"): a spreadsheet runs a cell that starts with
`=`, `+`, `-`, `@`, tab or carriage return. Only the free-text columns a user controls
(counterpart, url, text, external_id) can start so; the others are UUIDs, names from the
vocabulary, `true`/`false` and timestamps starting with a year. On export such a text cell
gets one leading `'`, and so does a text cell made of `'`s followed by one of those
characters (`'=x` → `''=x`), so that the import can remove exactly one `'` from every text
cell of the form `'`…`'` + trigger + anything, and a round trip is the identity. A stored
counterpart that starts with `@` (sent as `@@bob`) is written `'@@bob`, since the import
normalises the handle again and removes one `@`.

Limits, checked before any row is validated (and before the write session is opened, see
csv_router): at most MAX_COLUMNS columns in the header, physical lines of at most
MAX_LINE_BYTES bytes, at most MAX_IMPORT_ROWS data rows. Every step is linear in the body.
"""

import csv
import io
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlalchemy import Row, Select, select
from sqlmodel import Session

from app.core.errors import (
    INVALID_CSV,
    INVALID_CSV_HEADER,
    LINE_TOO_LONG,
    TOO_MANY_COLUMNS,
    TOO_MANY_ROWS,
    Problem,
    ProblemError,
    validation_items,
)
from app.events import service, store
from app.events.models import EVENT_TABLE, EventIn
from app.events.problems import Where, store_problem

CSV_MEDIA_TYPE = "text/csv"
COLUMNS = (
    "id",
    "platform",
    "kind",
    "direction",
    "occurred_at",
    "counterpart",
    "is_sales",
    "url",
    "text",
    "external_id",
)
REQUIRED = ("platform", "kind", "occurred_at")
EXPORT_PAGE = 500
MAX_IMPORT_ROWS = 20_000
MAX_COLUMNS = 100
MAX_LINE_BYTES = 64 * 1024
TEXT_COLUMNS = frozenset({"counterpart", "url", "text", "external_id"})
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")  # export: prefix one ' (match at the start)
_QUOTED = re.compile(r"'+[=+\-@\t\r]")  # import: remove one ' (match at the start)
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def _line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


def neutralise(value: str) -> str:
    """A text cell as exported: one leading ' when a spreadsheet would run it (or when
    the import would otherwise take a leading ' of the value for the neutraliser)."""
    return "'" + value if _NEEDS_QUOTE.match(value) else value


def restore(cell: str) -> str:
    """A text cell as imported: the inverse of neutralise (one ' removed from `'…'=…`)."""
    return cell[1:] if _QUOTED.match(cell) else cell


def _cell(event: Row[Any], column: str) -> str:
    value = getattr(event, column)
    if value is None:
        return ""
    if column == "is_sales":
        return "true" if value else "false"
    if column == "occurred_at":
        instant: str = value.isoformat()
        return instant.replace("+00:00", "Z")
    if column == "counterpart" and value.startswith("@"):
        # Stored from "@@bob": the import removes one leading @ again (SPEC §1), so the cell
        # says "@@bob" for the round trip to give "@bob" back.
        value = "@" + value
    if column in TEXT_COLUMNS:
        return neutralise(str(value))
    return str(value)


def _export_page(
    user_id: uuid.UUID, filters: service.EventFilters, last: tuple[datetime, uuid.UUID] | None
) -> Select[Any]:
    """The EXPORT_PAGE events after ``last`` (newest first): a range of ix_event_user_time."""
    keyset = service.KEYSET
    return (
        select(*(EVENT_TABLE.c[c] for c in COLUMNS))
        .where(
            EVENT_TABLE.c.user_id == user_id,
            *service.conditions(filters, last),
        )
        .order_by(*keyset.order_by())
        .limit(EXPORT_PAGE)
    )


def export_lines(
    session: Session, user_id: uuid.UUID, filters: service.EventFilters
) -> Iterator[str]:
    """The header, then one CSV record per event, newest first, EXPORT_PAGE rows a query,
    each page an index range after the last row of the one before (its cost does not grow
    with the rows already sent).

    ``session`` is owned by the generator: it is closed when the stream ends."""
    try:
        yield _line(list(COLUMNS))
        last: tuple[datetime, uuid.UUID] | None = None
        while True:
            rows = session.execute(_export_page(user_id, filters, last)).all()
            yield "".join(_line([_cell(e, c) for c in COLUMNS]) for e in rows)
            if len(rows) < EXPORT_PAGE:
                return
            last = (rows[-1].occurred_at, rows[-1].id)
    finally:
        session.close()


def _problem(
    detail: str, errors: list[dict[str, Any]] | None = None, problem: Problem = INVALID_CSV
) -> ProblemError:
    return problem.error(detail, errors=errors)


def _header(row: list[str], line: int) -> list[str]:
    if len(row) > MAX_COLUMNS:
        raise _problem(
            f"The header row (line {line}) has {len(row)} columns; at most "
            f"{MAX_COLUMNS} are accepted. Known columns: {', '.join(COLUMNS)}.",
            [
                {
                    "row": 0,
                    "line": line,
                    "column": None,
                    "detail": f"{len(row)} columns, at most {MAX_COLUMNS}",
                }
            ],
            TOO_MANY_COLUMNS,
        )
    names = [h.strip().lower() for h in row]
    counts = Counter(names)
    unknown = [n for n in names if n not in COLUMNS]
    missing = [c for c in REQUIRED if c not in counts]
    twice = sorted(n for n, k in counts.items() if k > 1)
    if unknown or missing or twice:
        parts = (
            ([f"unknown column(s): {', '.join(repr(u) for u in unknown)}"] if unknown else [])
            + ([f"missing required column(s): {', '.join(missing)}"] if missing else [])
            + ([f"repeated column(s): {', '.join(twice)}"] if twice else [])
        )
        errors = (
            [{"row": 0, "line": line, "column": n, "detail": "unknown column"} for n in unknown]
            + [
                {"row": 0, "line": line, "column": n, "detail": "required column is missing"}
                for n in missing
            ]
            + [
                {"row": 0, "line": line, "column": n, "detail": "column appears twice"}
                for n in twice
            ]
        )
        raise _problem(
            "The header row is not usable: "
            + "; ".join(parts)
            + f". Known columns: {', '.join(COLUMNS)}.",
            errors,
            INVALID_CSV_HEADER,
        )
    return names


def _row_errors(exc: ValidationError, row: int, line: int) -> list[dict[str, Any]]:
    items = []
    for item in validation_items([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]):
        column = item["pointer"].removeprefix("#").strip("/").split("/")[0] or None
        if column is None and "is_sales" in item["detail"]:
            column = "is_sales"
        items.append({"row": row, "line": line, "column": column, "detail": item["detail"]})
    return items


@dataclass(frozen=True)
class Parsed:
    """Every data row of an import, validated (also for repeated external_ids): the batch
    to record and the line each row starts on."""

    batch: store.Batch
    lines: list[int]

    def where(self, i: int) -> dict[str, Any]:
        """Item i as the CSV's row, line and column."""
        return {"row": i + 1, "line": self.lines[i], "column": "external_id"}


def _records(body: bytes) -> tuple[list[str], int, list[tuple[list[str], int]]]:
    """(header, its line, [(record, first line)]) after the limits; no row validated yet."""
    if max(map(len, body.splitlines()), default=0) > MAX_LINE_BYTES:  # CR, LF or CRLF
        line = next(i for i, s in enumerate(body.splitlines(), 1) if len(s) > MAX_LINE_BYTES)
        raise _problem(
            f"Line {line} is longer than {MAX_LINE_BYTES} bytes; no valid row is that "
            "long (text is at most 5000 characters).",
            [
                {
                    "row": None,
                    "line": line,
                    "column": None,
                    "detail": f"longer than {MAX_LINE_BYTES} bytes",
                }
            ],
            LINE_TOO_LONG,
        )
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _problem(
            f"The body is not valid UTF-8 (byte {exc.start}); save the CSV as UTF-8."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 0
    records: list[tuple[list[str], int]] = []
    try:
        last_line = 0
        for record in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if not record or not any(field.strip() for field in record):
                continue
            if header is None:
                header, header_line = _header(record, first_line), first_line
                continue
            if len(records) == MAX_IMPORT_ROWS:
                raise _problem(
                    f"More than {MAX_IMPORT_ROWS} rows (row {MAX_IMPORT_ROWS + 1} starts "
                    f"on line {first_line}); split the file.",
                    problem=TOO_MANY_ROWS,
                )
            records.append((record, first_line))
    except csv.Error as exc:
        raise _problem(f"The CSV is malformed near line {reader.line_num}: {exc}.") from None
    if header is None:
        raise _problem(
            "The body has no header row; the first line must name the columns: "
            + ", ".join(COLUMNS)
            + ".",
            problem=INVALID_CSV_HEADER,
        )
    return header, header_line, records


def parse(body: bytes) -> Parsed:
    """Every data row validated as an EventIn.

    Raises one 422 problem listing every bad row; blank records are skipped and not
    counted as rows (``row`` is the 1-based data row, ``line`` the physical line)."""
    header, _, records = _records(body)
    items: list[EventIn] = []
    lines: list[int] = []
    errors: list[dict[str, Any]] = []
    for row, (record, line) in enumerate(records, start=1):
        lines.append(line)
        if len(record) != len(header):
            errors.append(
                {
                    "row": row,
                    "line": line,
                    "column": None,
                    "detail": f"the row has {len(record)} fields, the header {len(header)}",
                }
            )
            continue
        data: dict[str, Any] = {
            k: restore(v) if k in TEXT_COLUMNS else v
            for k, v in zip(header, record, strict=True)
            if k != "id" and v != ""
        }
        if "is_sales" in data:
            flag = _BOOLEANS.get(data["is_sales"].strip().lower())
            if flag is None:
                errors.append(
                    {
                        "row": row,
                        "line": line,
                        "column": "is_sales",
                        "detail": "is_sales must be true or false (or empty for false)",
                    }
                )
                continue
            data["is_sales"] = flag
        try:
            items.append(EventIn.model_validate(data))
        except ValidationError as exc:
            errors.extend(_row_errors(exc, row, line))
    if errors:
        shown = "; ".join(f"row {e['row']} {e['column'] or ''}: {e['detail']}" for e in errors[:5])
        raise _problem(
            f"{len({e['row'] for e in errors})} row(s) are invalid; nothing was imported. {shown}",
            errors,
        )
    try:
        batch = store.prepare(items)
    except store.RepeatedExternalId as exc:
        raise _repeats_problem(exc, lines) from None
    return Parsed(batch, lines)


def _repeats_problem(error: store.RepeatedExternalId, lines: list[int]) -> ProblemError:
    """Rows repeating an earlier row's external_id with different content."""
    return _problem(
        f"{len(error.repeats)} row(s) reuse an external_id with different content; "
        "nothing was imported.",
        [
            {
                "row": i + 1,
                "line": lines[i],
                "column": "external_id",
                "detail": f"external_id repeats row {j + 1} with different content",
            }
            for i, j in error.repeats
        ],
    )


def import_events(session: Session, user_id: uuid.UUID, parsed: Parsed) -> list[store.Stored]:
    """Store the rows ``parse`` validated, all or nothing (idempotent by external_id)."""
    where: Where = parsed.where
    try:
        return store.record(session, user_id, parsed.batch)
    except store.StoreError as exc:
        raise store_problem(exc, where) from None


def csv_response(
    session: Session, user_id: uuid.UUID, filters: service.EventFilters
) -> StreamingResponse:
    """Stream every event matching ``filters``, newest first (limit and cursor do not apply).

    The request's session is closed once the route returns, so the stream reads through a
    session of its own on the same bind (a savepoint when that bind is a connection)."""
    own = Session(
        bind=session.get_bind(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return StreamingResponse(
        export_lines(own, user_id, filters),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="events-{user_id}.csv"'},
    )
