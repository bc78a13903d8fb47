"""Bulk inserts on PostgreSQL: a batch is one `INSERT … SELECT unnest(:a), unnest(:b), …`
with one array parameter per column — one statement, planned once, one round trip —
where an executemany sends one statement per row. (SQLite's executemany reuses one
prepared statement in-process and needs no such help.)"""

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql


@cache
def unnest_insert(table: Table, columns: tuple[str, ...]) -> postgresql.Insert:
    """INSERT INTO table (columns) SELECT the arrays bound as :<column>, zipped row by row."""
    arrays = [func.unnest(bindparam(c, type_=postgresql.ARRAY(table.c[c].type))) for c in columns]
    return postgresql.insert(table).from_select(list(columns), select(*arrays))


def as_arrays(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> dict[str, list[Any]]:
    return {c: [row[c] for row in rows] for c in columns}
