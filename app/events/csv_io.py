"""Events as CSV (RFC 4180, UTF-8, header row): the columns, the export in keyset pages,
and the formula neutralisation the import undoes (app.events.csv_import).

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
"""

import csv
import io
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import StreamingResponse
from sqlalchemy import DateTime, Row, Select, select, type_coerce
from sqlmodel import Session

from app.events import service
from app.events.models import EVENT_TABLE

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
EXPORT_PAGE = 2000
TEXT_COLUMNS = frozenset({"counterpart", "url", "text", "external_id"})
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")  # export: prefix one ' (match at the start)
_QUOTED = re.compile(r"'+[=+\-@\t\r]")  # import: remove one ' (match at the start)


def neutralise(value: str) -> str:
    """A text cell as exported: one leading ' when a spreadsheet would run it (or when
    the import would otherwise take a leading ' of the value for the neutraliser)."""
    return "'" + value if _NEEDS_QUOTE.match(value) else value


def restore(cell: str) -> str:
    """A text cell as imported: the inverse of neutralise (one ' removed from `'…'=…`)."""
    return cell[1:] if _QUOTED.match(cell) else cell


_TRIGGER_OR_QUOTE = frozenset("'=+-@\t\r")


def _text(value: str | None) -> str:
    if value is None:
        return ""
    # Only a cell starting with ' or a trigger can need the neutraliser (the regex decides).
    return neutralise(value) if value[:1] in _TRIGGER_OR_QUOTE else value


def _instant(at: datetime) -> str:
    """RFC 3339 in UTC with Z, from the driver's value: naive UTC on SQLite, aware on
    PostgreSQL (in the session's time zone, UTC unless the server says otherwise)."""
    if at.tzinfo is None:
        return at.isoformat() + "Z"
    if at.utcoffset():
        at = at.astimezone(UTC)
    return at.isoformat().replace("+00:00", "Z")


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


# occurred_at as the driver gives it: UTCDateTime's conversion of every value to an aware
# UTC datetime was a quarter of the export's time; _instant formats either form.
_RAW_AT = type_coerce(EVENT_TABLE.c.occurred_at, DateTime(timezone=True)).label("occurred_at")
_EXPORTED = [_RAW_AT if c == "occurred_at" else EVENT_TABLE.c[c] for c in COLUMNS]


def _record(row: Row[Any]) -> tuple[str, ...]:
    """One event's cells, in COLUMNS order, from a row of those columns."""
    id_, platform, kind, direction, at, counterpart, is_sales, url, text, external_id = row
    if counterpart is not None and counterpart.startswith("@"):
        # Stored from "@@bob": the import removes one leading @ again (SPEC §1), so the cell
        # says "@@bob" for the round trip to give "@bob" back.
        counterpart = "@" + counterpart
    return (
        str(id_),
        platform,
        kind,
        direction,
        _instant(at),
        _text(counterpart),
        "" if is_sales is None else ("true" if is_sales else "false"),
        _text(url),
        _text(text),
        _text(external_id),
    )


def _export_page(
    user_id: uuid.UUID, filters: service.EventFilters, last: tuple[datetime, uuid.UUID] | None
) -> Select[Any]:
    """The EXPORT_PAGE events after ``last`` (newest first): a range of ix_event_user_time."""
    keyset = service.KEYSET
    return (
        select(*_EXPORTED)
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
    with the rows already sent), written by one csv.writer per page.

    ``session`` is owned by the generator: it is closed when the stream ends."""
    try:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        yield out.getvalue()
        last: tuple[datetime, uuid.UUID] | None = None
        while True:
            rows = session.execute(_export_page(user_id, filters, last)).all()
            out.seek(0)
            out.truncate()
            writer.writerows(map(_record, rows))
            yield out.getvalue()
            if len(rows) < EXPORT_PAGE:
                return
            last = (_aware(rows[-1].occurred_at), rows[-1].id)
    finally:
        session.close()


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
