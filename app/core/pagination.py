"""Opaque keyset cursors: base64url JSON of the last row's sort key."""

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from app.core.errors import ProblemError

Limit = Annotated[int, Query(ge=1, le=500, description="Page size, 1–500.")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="The next_cursor of the previous page."),
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
        raise ProblemError(
            400,
            "invalid_cursor",
            "cursor is not one this API issued; pass next_cursor from the previous page unchanged, "
            "or leave it out to start from the first page.",
        ) from None
    return at, row_id
