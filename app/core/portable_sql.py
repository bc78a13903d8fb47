"""SQL constructs that read the same in a query on both databases and compile differently
on each (``sqlalchemy.ext.compiler.compiles``): a query builder never asks which dialect
it is building for.

- ``local_date(instant, tz)``: the date on the wall calendar of ``tz`` at ``instant``.
  PostgreSQL: ``CAST(timezone(tz, instant) AS DATE)``; SQLite: ``rapport_local_date``
  (app.core.sqlite_functions, registered on every connection).
- ``bytewise(text)``: ordered and compared byte by byte, so both databases page in the
  same order. PostgreSQL: ``COLLATE "C"``; SQLite's default collation, BINARY, already is.
- ``not_indexed(column)``: SQLite's no-op unary ``+``, which keeps its planner from using an
  index on the column; PostgreSQL's planner needs no such hint, so it is the column itself.
"""

from typing import Any

from sqlalchemy import Date, cast, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from app.core.sqlite_functions import LOCAL_DATE


class local_date(FunctionElement[Any]):
    type = Date()
    inherit_cache = True


@compiles(local_date)
def _local_date_sqlite(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    instant, tz = element.clauses
    return compiler.process(getattr(func, LOCAL_DATE)(instant, tz), **kw)


@compiles(local_date, "postgresql")
def _local_date_postgresql(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    instant, tz = element.clauses
    return compiler.process(cast(func.timezone(tz, instant), Date), **kw)


class _Wrapped(ColumnElement[Any]):
    """One column, compiled as the dialect's function below says."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012 - the type SQLAlchemy declares

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


class bytewise(_Wrapped):
    inherit_cache = True


class not_indexed(_Wrapped):
    inherit_cache = True


@compiles(bytewise)
@compiles(not_indexed)
def _as_is(element: _Wrapped, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(bytewise, "postgresql")
def _bytewise_postgresql(element: bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.collate("C"), **kw)


@compiles(not_indexed, "sqlite")
def _not_indexed_sqlite(element: not_indexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)
