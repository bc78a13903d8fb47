"""Query plans of a statement on either database, for tests that check a list pages by an
index range: ``EXPLAIN QUERY PLAN`` on SQLite (its detail lines) and ``EXPLAIN (ANALYZE,
FORMAT JSON)`` on PostgreSQL (every node, with its index condition, filter and the rows its
filter removed)."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ClauseElement, Executable
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session


class _Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Any, prefix: str) -> None:
        self.statement = statement
        self.prefix = prefix


@compiles(_Explain)
def _compile(element: _Explain, compiler: Any, **kw: Any) -> str:
    sql = element.prefix + " " + compiler.process(element.statement, **kw)
    # The plan's rows are not the statement's: no result columns to type them by.
    compiler._result_columns.clear()
    return sql


@dataclass
class Plan:
    dialect: str
    lines: list[str] = field(default_factory=list)  # one per node: "Type [index] cond/filter"
    nodes: list[dict[str, Any]] = field(default_factory=list)  # PostgreSQL's JSON nodes

    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def rows_removed_by_filter(self) -> int:
        return sum(int(n.get("Rows Removed by Filter", 0)) for n in self.nodes)


def _walk(node: dict[str, Any], out: list[dict[str, Any]], in_subplan: bool = False) -> None:
    in_subplan = in_subplan or node.get("Parent Relationship") == "SubPlan"
    out.append({**node, "in_subplan": in_subplan})
    for child in node.get("Plans", []):
        _walk(child, out, in_subplan)


def explain(session: Session, statement: Any, params: dict[str, Any] | None = None) -> Plan:
    """The plan of ``statement`` with ``params`` (its bind parameters' values, if any)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        rows = session.execute(_Explain(statement, "EXPLAIN QUERY PLAN"), params or {}).all()
        return Plan("sqlite", [str(r[-1]) for r in rows])
    explained = _Explain(statement, "EXPLAIN (ANALYZE, FORMAT JSON)")
    raw = session.execute(explained, params or {}).scalar_one()
    nodes: list[dict[str, Any]] = []
    _walk(raw[0]["Plan"], nodes)
    lines = [
        " ".join(
            str(x)
            for x in (
                n["Node Type"],
                n.get("Index Name", ""),
                "cond=" + str(n.get("Index Cond", "")),
                "filter=" + str(n.get("Filter", "")),
                "removed=" + str(n.get("Rows Removed by Filter", 0)),
                "rows=" + str(n.get("Actual Rows", "")),
            )
        )
        for n in nodes
    ]
    return Plan("postgresql", lines, nodes)
