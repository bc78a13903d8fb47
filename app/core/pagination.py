"""Opaque keyset cursors: base64url JSON of the last row's sort key."""

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from app.core.errors import INVALID_CURSOR
from app.core.fields import CursorText

Limit = Annotated[int, Query(ge=1, le=500, description="Page size, 1–500.")]
# Only a cursor the API issued is usable: any other value, even of the documented shape
# (unpadded base64url), is a 400 invalid_cursor.
Cursor = Annotated[
    CursorText | None,
    Query(
        max_length=512,
        description="The next_cursor of the previous page, unchanged (opaque, issued by this API; "
        "any other value is a 400 invalid_cursor). Leave it out (or empty) for the first page.",
    ),
]


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps({"t": at.isoformat(), "id": str(row_id)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        at = datetime.fromisoformat(data["t"])
        row_id = uuid.UUID(data["id"])
        if at.tzinfo is None:
            raise ValueError("naive")
        at = at.astimezone(UTC)  # overflows for a forged instant near year 1 or 9999
    except (
        ValueError,
        KeyError,
        TypeError,
        OverflowError,
        binascii.Error,
        UnicodeError,
        json.JSONDecodeError,
    ):
        raise INVALID_CURSOR.error() from None
    return at, row_id
