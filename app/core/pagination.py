"""Keyset pages and their cursors: one codec and one keyset helper for every list.

A cursor is opaque to clients: unpadded base64url JSON of the last row's sort key,
``{"t": <instant>, <tie>: <value>}`` (``id`` for a UUID, ``c`` for a counterpart). A page
after a cursor is a range of an index in the list's order, written as a row-value
comparison ``(t, id) < (:t, :id)``, which SQLite (≥ 3.15) and PostgreSQL both turn into an
index range; ``t < :t OR (t = :t AND id < :id)`` is a filter that PostgreSQL applies to
every row before the cursor (1.3 s for a page deep in a million events, against 0.4 ms).
"""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from sqlalchemy import ColumnElement, and_, or_, tuple_
from sqlalchemy.sql.elements import UnaryExpression

from app.core.errors import INVALID_CURSOR, ProblemError
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

T = TypeVar("T", uuid.UUID, str)
R = TypeVar("R")


def _uuid(value: object) -> uuid.UUID:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return uuid.UUID(value)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


_PARSE: dict[type, Callable[[object], Any]] = {uuid.UUID: _uuid, str: _text}


def invalid_cursor() -> ProblemError:
    return INVALID_CURSOR.error()


def encode_cursor(at: datetime, tie: uuid.UUID | str, key: str = "id") -> str:
    raw = json.dumps(
        {"t": at.isoformat(), key: str(tie)}, separators=(",", ":"), ensure_ascii=False
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, tie: type[T], key: str = "id") -> tuple[datetime, T]:
    """(instant in UTC, tie) of a cursor encode_cursor issued; else a 400 invalid_cursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        at = datetime.fromisoformat(data["t"])
        value: T = _PARSE[tie](data[key])
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
    ):  # json.JSONDecodeError is a ValueError
        raise invalid_cursor() from None
    return at, value


def after(
    columns: tuple[ColumnElement[Any], ColumnElement[Any]],
    last: tuple[Any, Any],
    descending: tuple[bool, bool],
) -> ColumnElement[bool]:
    """Rows after ``last`` in the order of ``columns`` (each descending or not).

    In one direction, the row-value comparison (an index range). In mixed directions
    (newest first, then names A to Z), no single index range exists, and the condition is
    spelled out."""
    if descending[0] == descending[1]:
        row, bound = tuple_(*columns), tuple_(*last, types=[c.type for c in columns])
        return row < bound if descending[0] else row > bound
    (a, b), (x, y) = columns, last
    first = a < x if descending[0] else a > x
    second = b < y if descending[1] else b > y
    return or_(first, and_(a == x, second))


@dataclass(frozen=True)
class Keyset(Generic[T]):
    """A list ordered by (``at``, ``tie``), both descending or both ascending, paged by
    cursor; ``tie`` is a UUID column (cursor key ``id``) or a text column (``c``)."""

    at: ColumnElement[datetime]
    tie: ColumnElement[T]
    tie_type: type[T]
    descending: bool = False

    @property
    def _key(self) -> str:
        return "id" if self.tie_type is uuid.UUID else "c"

    def where(self, cursor: str | None) -> list[ColumnElement[bool]]:
        """The page's condition: nothing for the first page (no cursor, or empty)."""
        if not cursor:
            return []
        return [self.beyond(decode_cursor(cursor, self.tie_type, self._key))]

    def beyond(self, last: tuple[datetime, T]) -> ColumnElement[bool]:
        """Rows after ``last`` (the sort key of the previous page's last row)."""
        return after((self.at, self.tie), last, (self.descending, self.descending))

    def order_by(self) -> list[UnaryExpression[Any]]:
        columns = (self.at, self.tie)
        return [c.desc() if self.descending else c.asc() for c in columns]

    def page(
        self, rows: Sequence[R], limit: int, key: Callable[[R], tuple[datetime, T]]
    ) -> tuple[list[R], str | None]:
        """The first ``limit`` of ``limit + 1`` rows read, and the cursor of the next page
        (None when there is none)."""
        if len(rows) <= limit:
            return list(rows), None
        return list(rows[:limit]), encode_cursor(*key(rows[limit - 1]), key=self._key)
