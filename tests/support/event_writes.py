"""Guard: every INSERT, UPDATE or DELETE on the event table comes from the events store.

A SQLAlchemy ``before_cursor_execute`` listener, installed for the whole test session
(tests/conftest.py), looks at the Python stack of each such statement. It is allowed when a
frame of app/events/store/ is on the stack, or when the innermost frame of this repository
is in tests/ or bench/ (fixtures that seed rows straight into the table) or in
migrations/versions/ (0005 rewrites counterparts). Any other writer (app code outside the
store) is refused: the statement raises, and the test fails at teardown even if the
error was swallowed on the way.
"""

import re
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
STORE = str(ROOT / "app" / "events" / "store") + "/"
ALLOWED_DIRECT = tuple(str(ROOT / d) + "/" for d in ("tests", "bench", "migrations/versions"))
_APP = str(ROOT / "app") + "/"
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?event"?(?=[\s(]|$)', re.I)

violations: list[str] = []


def writer_of(statement: str) -> str | None:
    """None when the statement is not a write to the event table or its writer is allowed;
    else where the write came from."""
    if not _WRITE.match(statement):
        return None
    frame: FrameType | None = sys._getframe(1)
    innermost: str | None = None
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(STORE):
            return None
        ours = name.startswith(str(ROOT) + "/") and ".venv" not in name and name != __file__
        if innermost is None and ours:
            innermost = f"{name[len(str(ROOT)) + 1 :]}:{frame.f_lineno}"
            if name.startswith(ALLOWED_DIRECT):
                return None
        frame = frame.f_back
    return innermost or "(no frame of this repository)"


def _check(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    writer = writer_of(statement)
    if writer is not None:
        violations.append(f"{writer}: {statement.split(chr(10))[0][:120]}")
        raise AssertionError(
            f"the event table is written outside app/events/store ({writer}); "
            "use app.events.store.record / delete"
        )


def install() -> None:
    if not event.contains(Engine, "before_cursor_execute", _check):
        event.listen(Engine, "before_cursor_execute", _check)


def uninstall() -> None:
    if event.contains(Engine, "before_cursor_execute", _check):
        event.remove(Engine, "before_cursor_execute", _check)
