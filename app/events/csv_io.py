"""Events as CSV (RFC 4180, UTF-8, header row): export in keyset pages, atomic import.

Columns: id, platform, kind, direction, occurred_at, counterpart, is_sales, url, text,
external_id. An empty field is null (so an empty `text` does not survive a round trip as
""); `occurred_at` is RFC 3339 in UTC with `Z`; `is_sales` is `true` / `false`.
"""

import csv
import io
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlmodel import Session

from app.core.errors import ProblemError, validation_items
from app.events import service
from app.events.models import Event, EventIn

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
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def _line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


def _cell(event: Event, column: str) -> str:
    value = getattr(event, column)
    if value is None:
        return ""
    if column == "is_sales":
        return "true" if value else "false"
    if column == "occurred_at":
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def export_lines(
    session: Session, user_id: uuid.UUID, filters: service.EventFilters
) -> Iterator[str]:
    """The header, then one CSV record per event, newest first, EXPORT_PAGE rows a query.

    ``session`` is owned by the generator: it is closed when the stream ends."""
    try:
        yield _line(list(COLUMNS))
        cursor = None
        while True:
            events, cursor = service.list_events(session, user_id, filters, EXPORT_PAGE, cursor)
            yield "".join(_line([_cell(e, c) for c in COLUMNS]) for e in events)
            if cursor is None:
                return
    finally:
        session.close()


def _problem(
    detail: str, errors: list[dict[str, Any]] | None = None, code: str = "invalid_csv"
) -> ProblemError:
    return ProblemError(422, code, detail, title="Invalid CSV", errors=errors)


def _header(row: list[str]) -> list[str]:
    names = [h.strip().lower() for h in row]
    unknown = [n for n in names if n not in COLUMNS]
    missing = [c for c in REQUIRED if c not in names]
    twice = sorted({n for n in names if names.count(n) > 1})
    if unknown or missing or twice:
        parts = (
            ([f"unknown column(s): {', '.join(repr(u) for u in unknown)}"] if unknown else [])
            + ([f"missing required column(s): {', '.join(missing)}"] if missing else [])
            + ([f"repeated column(s): {', '.join(twice)}"] if twice else [])
        )
        errors = (
            [{"row": 0, "line": 1, "column": n, "detail": "unknown column"} for n in unknown]
            + [
                {"row": 0, "line": 1, "column": n, "detail": "required column is missing"}
                for n in missing
            ]
            + [{"row": 0, "line": 1, "column": n, "detail": "column appears twice"} for n in twice]
        )
        raise _problem(
            "The header row is not usable: "
            + "; ".join(parts)
            + f". Known columns: {', '.join(COLUMNS)}.",
            errors,
            "invalid_csv_header",
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


def parse(body: bytes) -> tuple[list[EventIn], list[int]]:
    """Every data row validated as an EventIn; (items, the line each starts on).

    Raises one 422 problem listing every bad row; blank records are skipped and not
    counted as rows (``row`` is the 1-based data row, ``line`` the physical line)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _problem(f"The body is not valid UTF-8 (byte {exc.start}); save the CSV as UTF-8.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    items: list[EventIn] = []
    lines: list[int] = []
    errors: list[dict[str, Any]] = []
    try:
        header, last_line = None, 0
        for record in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if not any(field.strip() for field in record):
                continue
            if header is None:
                header = _header(record)
                continue
            row, line = len(lines) + 1, first_line
            lines.append(line)
            if row > MAX_IMPORT_ROWS:
                raise _problem(
                    f"More than {MAX_IMPORT_ROWS} rows; split the file.", code="too_many_rows"
                )
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
                k: v for k, v in zip(header, record, strict=True) if k != "id" and v != ""
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
    except csv.Error as exc:
        raise _problem(f"The CSV is malformed near line {reader.line_num}: {exc}.")
    if header is None:
        raise _problem(
            "The body has no header row; the first line must name the columns: "
            + ", ".join(COLUMNS)
            + ".",
            code="invalid_csv_header",
        )
    if errors:
        shown = "; ".join(f"row {e['row']} {e['column'] or ''}: {e['detail']}" for e in errors[:5])
        raise _problem(
            f"{len({e['row'] for e in errors})} row(s) are invalid; nothing was imported. {shown}",
            errors,
        )
    return items, lines


def _repeats(items: list[EventIn], lines: list[int]) -> list[dict[str, Any]]:
    """Rows repeating an earlier row's external_id with different content."""
    first: dict[str, int] = {}
    errors = []
    for i, item in enumerate(items):
        if item.external_id is None:
            continue
        j = first.setdefault(item.external_id, i)
        if j != i and items[j].content() != item.content():
            errors.append(
                {
                    "row": i + 1,
                    "line": lines[i],
                    "column": "external_id",
                    "detail": f"external_id repeats row {j + 1} with different content",
                }
            )
    return errors


def import_events(session: Session, user_id: uuid.UUID, body: bytes) -> list[service.Stored]:
    """Validate every row, then store them all or nothing (idempotent by external_id)."""
    items, lines = parse(body)
    if errors := _repeats(items, lines):
        raise _problem(
            f"{len(errors)} row(s) reuse an external_id with different content; "
            "nothing was imported.",
            errors,
        )
    try:
        return service.store_events(session, user_id, items, pointer="{i}")
    except ProblemError as exc:
        for item in exc.errors or []:
            index = int(item.pop("pointer").split("/")[0])
            item.update({"row": index + 1, "line": lines[index], "column": "external_id"})
        raise


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
