"""GET …/contacts as CSV (Accept: text/csv): one row per matching contact, handles and tags
joined by ``;``, text cells neutralised as the events export does (SPEC §13)."""

import csv
import io
from datetime import datetime

from fastapi.responses import Response
from sqlmodel import Session

from app.contacts import service
from app.contacts.schemas import ContactOut
from app.contacts.summaries import Filters
from app.events.csv_io import CSV_MEDIA_TYPE, neutralise
from app.users.models import User

COLUMNS = (
    "id",
    "name",
    "handles",
    "tags",
    "stage",
    "stale",
    "first_contact_at",
    "last_contact_at",
    "due_at",
    "overdue_days",
    "keep_in_touch_days",
    "outbound",
    "inbound",
    "non_sales",
    "sales",
    "reciprocity",
    "unanswered",
    "median_reply_minutes",
    "health",
    "notes",
)
TEXT = frozenset({"name", "handles", "tags", "notes"})
_PAGE = 500


def _cell(contact: ContactOut, column: str) -> str:
    value = getattr(contact, column)
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    text = str(value)
    return neutralise(text) if column in TEXT else text


def csv_response(session: Session, user: User, as_of: datetime, f: Filters, sort: str) -> Response:
    """Every matching contact in the list's order (limit and cursor do not apply)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    cursor: str | None = None
    while True:
        page = service.list_contacts(session, user, as_of, f, sort, _PAGE, cursor)
        writer.writerows([_cell(c, col) for col in COLUMNS] for c in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return Response(
        out.getvalue(),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="contacts-{user.id}.csv"'},
    )
