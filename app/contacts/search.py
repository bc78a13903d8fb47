"""Contacts ``?q=``: the ids of the contacts whose name or one of whose handles holds q.

Handles are read through a trigram index where migration 0016 could make one: on
PostgreSQL pg_trgm's GIN index on ``handle COLLATE "C"`` serves the ``LIKE '%q%'`` on that
expression itself; on SQLite the candidates come from the FTS5 trigram table
``contact_handle_search`` (a GLOB of three or more characters uses its index; ESCAPE would
not, and a shorter q has no trigram) and the LIKE is checked again on contact_handle, so
the table may hold handles that are gone. Without either, and for a q the index cannot
serve, the user's handles are scanned. Names are few (set by PATCH): a range of
ix_contact_user_name.
"""

import uuid
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Integer,
    Select,
    String,
    bindparam,
    column,
    func,
    select,
    text,
)
from sqlalchemy import table as table_
from sqlmodel import Session

from app.contacts.models import CONTACT_TABLE, HANDLE_TABLE
from app.core.portable_sql import bytewise

C = CONTACT_TABLE.c
H = HANDLE_TABLE.c
SEARCH_TABLE = "contact_handle_search"  # SQLite (0016)
TRIGRAM_INDEX = "ix_contact_handle_trigram"  # PostgreSQL (0016)
_SEARCH = table_(SEARCH_TABLE, column("handle", String()), column("user_id", H.user_id.type))
_GLOB_SPECIAL = frozenset("*?[")
_TRIGRAM = 3
_found: dict[str, bool] = {}  # database URL → has the FTS5 table


def like_pattern(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _user() -> BindParameter[Any]:
    return bindparam("user_id", type_=H.user_id.type)


_PATTERN = bindparam("pattern", type_=String())
_CAP = bindparam("cap", type_=Integer())


@cache
def _by_handle(trigram_table: bool) -> Select[Any]:
    # bytewise: on PostgreSQL the expression the trigram index is on (migration 0016).
    matching = bytewise(H.handle).like(_PATTERN, escape="\\")
    stmt = select(H.contact_id).where(H.user_id == _user(), matching)
    if trigram_table:
        candidates = select(_SEARCH.c.handle).where(
            _SEARCH.c.handle.op("GLOB")(bindparam("glob", type_=String())),
            _SEARCH.c.user_id == _user(),
        )
        stmt = stmt.where(H.handle.in_(candidates))
    return stmt.limit(_CAP)


@cache
def _by_name() -> Select[Any]:
    return (
        select(C.id)
        .where(
            C.user_id == bindparam("user_id", type_=C.user_id.type),
            C.name.is_not(None),
            func.lower(C.name).like(_PATTERN, escape="\\"),
        )
        .limit(_CAP)
    )


def _has_search_table(session: Session) -> bool:
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    url = str(bind.engine.url)
    if url not in _found:
        probe = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"
        _found[url] = session.execute(text(probe), {"name": SEARCH_TABLE}).first() is not None
    return _found[url]


def contact_ids(session: Session, user_id: uuid.UUID, q: str, cap: int) -> set[uuid.UUID]:
    """Up to ``cap`` ids of contacts with a handle holding q, and up to ``cap`` with a name
    holding it (the caller tells a common q by the count)."""
    lowered = q.lower()
    params = {"user_id": user_id, "pattern": like_pattern(q), "cap": cap}
    trigram = (
        len(lowered) >= _TRIGRAM
        and not (_GLOB_SPECIAL & set(lowered))
        and _has_search_table(session)
    )
    if trigram:
        params["glob"] = f"*{lowered}*"
    by_handle = session.execute(_by_handle(trigram), params).scalars()
    return set(by_handle) | set(session.execute(_by_name(), params).scalars())
