"""Only app/events/store writes the event table, and its internals stay private.

Static half (this file): over the source of app/ outside the store, no import of the
store's private modules (``_``-prefixed) nor of ``maintenance`` (save app/models.py, for
Alembic's metadata), no reference to the counter table, and no statement that writes the
event table (insert/update/delete of Event, EVENT_TABLE or Event.__table__, an Event(...)
to add, or SQL text writing to "event"). Runtime half: the listener of
tests/support/event_writes.py, checked after every test; the last test here proves it
refuses a direct write from app code.
"""

import ast
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from app.events.models import EVENT_TABLE
from tests.support import event_writes

APP = Path(__file__).resolve().parents[1] / "app"
STORE = APP / "events" / "store"
EVENT_NAMES = {"Event", "EVENT_TABLE"}
WRITES = {"insert", "update", "delete"}
SQL_WRITE = re.compile(r'(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?event"?(?=[\s(]|$)', re.I)


def _outside_store() -> list[Path]:
    return [p for p in sorted(APP.rglob("*.py")) if STORE not in p.parents]


def _mentions_event(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id in EVENT_NAMES for n in ast.walk(node))


def findings(source: str, path: str) -> list[str]:
    """What in ``source`` breaks the store's boundary, as "path:line what"."""
    out = []
    for node in ast.walk(ast.parse(source)):
        line = f"{path}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names]
            for name in [node.module, *names]:
                parts = name.split(".")
                if (
                    name.startswith("app.events.store.")
                    and len(parts) > 3
                    and (
                        parts[3].startswith("_")
                        or (parts[3] == "maintenance" and path != "app/models.py")
                    )
                ):
                    out.append(f"{line} imports {name}")
                    break
        elif isinstance(node, ast.Import):
            out += [
                f"{line} imports {a.name}"
                for a in node.names
                if a.name.startswith("app.events.store.")
            ]
        elif isinstance(node, ast.Name) and node.id == "EventDayCount" and path != "app/models.py":
            out.append(f"{line} names the counter table")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value == "event_day_count" or SQL_WRITE.search(node.value):
                out.append(f"{line} SQL on the event tables: {node.value[:40]!r}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in WRITES and any(_mentions_event(a) for a in node.args):
                out.append(f"{line} {name}() of the event table")
            elif (
                isinstance(func, ast.Attribute)
                and func.attr in WRITES
                and _mentions_event(func.value)
            ):
                out.append(f"{line} .{func.attr}() of the event table")
            elif name == "Event" and path != "app/events/models.py":
                out.append(f"{line} builds an Event row")
    return out


def test_nothing_outside_the_store_writes_events_or_reaches_into_it():
    found = []
    for path in _outside_store():
        rel = str(path.relative_to(APP.parent))
        found += findings(path.read_text(), rel)
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import insert\nfrom app.events.models import Event\ninsert(Event)",
        "from app.events.models import EVENT_TABLE\nEVENT_TABLE.delete()",
        "from app.events.models import Event\nsession.add(Event(user_id=u))",
        "from app.events.store._day_counts import apply",
        "from app.events.store import _write",
        "from app.events.store.maintenance import rebuild_counters",
        "text('DELETE FROM event WHERE id = :id')",
    ],
)
def test_the_static_check_sees_a_direct_write(source):
    assert findings(source, "app/somewhere.py")


def test_the_runtime_guard_refuses_a_write_from_app_code(session, monkeypatch):
    """A statement issued as if from app code outside the store is refused (its innermost
    repository frame is in app/); the same statement from a test is allowed seeding."""
    stmt = insert(EVENT_TABLE).values(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        platform="x",
        kind="post",
        direction="outbound",
        occurred_at=datetime.now(UTC),
        is_sales=False,
        created_at=datetime.now(UTC),
    )
    code = compile(
        "def write(session, stmt):\n    session.execute(stmt)\n",
        str(APP / "profiles" / "check.py"),  # as if a line of app code outside the store
        "exec",
    )
    scope: dict = {}
    exec(code, scope)
    before = len(event_writes.violations)
    with pytest.raises(AssertionError, match="outside app/events/store"):
        scope["write"](session, stmt)
    assert len(event_writes.violations) == before + 1
    del event_writes.violations[before:]  # expected here: not a failure of this test
    session.rollback()
