"""CSV import as CRMs and spreadsheets write files: header names matched loosely, a
mapping of a CRM's column names, unknown columns rejected or ignored, platform, kind and
direction aliases, booleans and timestamps in the shapes CRMs export (app.calc.crm_values).

Every data row is validated before anything is written (``parse``, with no write session
open, see csv_router); at most MAX_LISTED errors are listed, with the total count. The
body is read as a stream (``app.core.body_spool``): a first pass checks the limits while it
arrives, a second validates the rows and stages them, CHUNK at a time, in a temporary file
(``Parsed``), so memory does not grow with the body. The rows are then stored in chunks in
one transaction (``import_events``): all or nothing, idempotent by external_id.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import sqlite3
import tempfile
import uuid
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError
from sqlmodel import Session

from app.calc import crm_values
from app.calc.crm_values import DateFormat, TimeError
from app.calc.vocabulary import DIRECTIONS, KINDS, PLATFORMS
from app.core.body_spool import Opener
from app.core.errors import INVALID_CSV_HEADER, ProblemError, validation_items
from app.events import csv_read, store
from app.events.csv_io import COLUMNS, REQUIRED, TEXT_COLUMNS, restore
from app.events.models import EventIn
from app.events.problems import store_problem

UnknownColumns = Literal["reject", "ignore"]
MAX_LISTED = 100  # errors listed in a problem; `error_count` has the total
CHUNK = 2000  # rows per insert statement
_VALUE_CHARS = 60  # of a bad value, repeated in its error


@dataclass(frozen=True)
class ImportOptions:
    unknown_columns: UnknownColumns = "reject"
    # crm_values.key(a CRM's column name) → a Rapport column
    columns: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None
    date_format: DateFormat | None = None


class _Staging:
    """Pickled chunks of validated rows in an anonymous temporary file (a few hundred bytes
    a row, where 100,000 validated models would hold over 100 MiB); one chunk in memory at
    a time."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="rapport-import-")  # noqa: SIM115 (close)
        self._spans: list[tuple[int, int]] = []  # (offset, length) of each chunk
        self._end = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        data = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
        os.pwrite(self._file.fileno(), data, self._end)
        self._spans.append((self._end, len(data)))
        self._end += len(data)

    def chunks(self) -> Iterator[list[dict[str, Any]]]:
        """The pickles are this process's own, made by ``parse`` from validated models; they
        never leave the request."""
        for offset, length in self._spans:
            yield pickle.loads(os.pread(self._file.fileno(), length, offset))

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class Parsed:
    """Every data row of an import, validated (also for repeated external_ids): the rows
    to record, staged CHUNK at a time; the line each row starts on; the header columns
    left out. ``close`` deletes the staged rows."""

    staged: _Staging
    lines: array[int]
    ignored_columns: list[str]

    def where(self, i: int) -> dict[str, Any]:
        """Item i as the CSV's row, line and column."""
        return {"row": i + 1, "line": self.lines[i], "column": "external_id"}

    def items(self) -> Iterator[list[EventIn]]:
        """The validated rows again, a chunk at a time (not validated a second time)."""
        for chunk in self.staged.chunks():
            yield [EventIn.model_construct(**fields) for fields in chunk]

    def close(self) -> None:
        self.staged.close()


def shown(value: str) -> str:
    """A value quoted for an error message, cut to _VALUE_CHARS characters."""
    cut = value if len(value) <= _VALUE_CHARS else value[: _VALUE_CHARS - 1] + "…"
    return repr(cut)


_PAIR = r"[^,]*[^\s,:][^,]*:\s*(?:" + "|".join(COLUMNS) + r")\s*"
# ?columns=: CRM_NAME:column pairs, comma-separated (a name may hold a colon; the last one
# separates the column). Stated as the parameter's pattern, and checked with it.
MAPPING_PATTERN = rf"^\s*(?:{_PAIR})?(?:,\s*(?:{_PAIR})?)*$"


def parse_mapping(text: str | None) -> dict[str, str]:
    """``?columns=Activity Date:occurred_at,Channel:platform`` as key(CRM name) → column;
    ValueError with a sentence naming what is wrong."""
    if text is None:
        return {}
    if re.fullmatch(MAPPING_PATTERN, text) is None:
        wrong = next(
            (p for p in text.split(",") if p.strip() and not re.fullmatch(r"\s*" + _PAIR, p)),
            text,
        )
        raise ValueError(
            f"{shown(wrong.strip())} is not a CRM_NAME:column pair; write pairs separated by "
            "commas, e.g. Activity Date:occurred_at,Channel:platform, onto the columns "
            + ", ".join(COLUMNS)
        )
    mapping: dict[str, str] = {}
    for part in text.split(","):
        if part.strip():
            source, _, target = part.rpartition(":")
            mapping[crm_values.key(source)] = target.strip()
    return mapping


def _header_problem(detail: str, errors: list[dict[str, Any]]) -> ProblemError:
    return csv_read.error(
        detail + f". Rapport's columns: {', '.join(COLUMNS)}.", errors, INVALID_CSV_HEADER
    )


def _targets(
    names: list[str], line: int, options: ImportOptions
) -> tuple[list[str | None], list[str]]:
    """The Rapport column of each header position (None: left out), and the header names
    left out (unknown columns with ?unknown_columns=ignore)."""
    known = {crm_values.key(c): c for c in COLUMNS}
    targets: list[str | None] = []
    unknown: list[str] = []
    for name in names:
        k = crm_values.key(name)
        target = options.columns.get(k) or known.get(k)
        if target is None and k:
            unknown.append(name)
        targets.append(target)
    errors: list[dict[str, Any]] = []
    header_keys = {crm_values.key(n) for n in names}
    unmatched = [k for k in options.columns if k not in header_keys]
    for k in unmatched:
        errors.append(
            {"row": 0, "line": line, "column": k, "detail": "?columns= names a missing column"}
        )
    if unknown and options.unknown_columns == "reject":
        errors.extend(
            {"row": 0, "line": line, "column": n, "detail": "unknown column"} for n in unknown
        )
    missing = [c for c in REQUIRED if c not in targets]
    errors.extend(
        {"row": 0, "line": line, "column": c, "detail": "required column is missing"}
        for c in missing
    )
    seen: dict[str, str] = {}
    for name, target in zip(names, targets, strict=True):
        if target is not None and target != "id" and seen.setdefault(target, name) != name:
            errors.append(
                {
                    "row": 0,
                    "line": line,
                    "column": name,
                    "detail": f"{shown(name)} and {shown(seen[target])} are both {target}",
                }
            )
    if errors:
        parts = [f"{e['column'] or ''}: {e['detail']}" for e in errors[:MAX_LISTED]]
        hint = (
            " (send ?unknown_columns=ignore to leave unknown columns out, or ?columns= to "
            "map them, e.g. ?columns=Activity Date:occurred_at)"
            if unknown
            else ""
        )
        raise _header_problem(
            "The header row is not usable: " + "; ".join(parts[:10]) + hint, errors[:MAX_LISTED]
        )
    return targets, [n for n in unknown if n.strip()]


def _vocabulary(
    column: str, value: str, alias: Any, allowed: tuple[str, ...]
) -> tuple[str | None, str | None]:
    """(the value in Rapport's words, None) or (None, an error sentence with the value)."""
    found: str | None = alias(value)
    if found is not None:
        return found, None
    return None, (
        f"{shown(value)} is not a {column}; use one of {', '.join(allowed)} "
        "(or an alias the README lists)"
    )


_VOCABULARIES = {
    "platform": (crm_values.platform, PLATFORMS),
    "kind": (crm_values.kind, KINDS),
    "direction": (crm_values.direction, DIRECTIONS),
}


class _Rows:
    """Errors of the data rows: every one counted, the first MAX_LISTED kept."""

    def __init__(self) -> None:
        self.listed: list[dict[str, Any]] = []
        self.count = 0
        self.rows: set[int] = set()

    def add(self, row: int, line: int, column: str | None, value: str | None, detail: str) -> None:
        self.count += 1
        self.rows.add(row)
        if len(self.listed) < MAX_LISTED:
            item = {"row": row, "line": line, "column": column, "detail": detail}
            if value is not None:
                item["value"] = value[:200]
            self.listed.append(item)

    def problem(self) -> ProblemError:
        shown_parts = "; ".join(
            f"row {e['row']} {e['column'] or ''}: {e['detail']}" for e in self.listed[:5]
        )
        listed = (
            f" The first {len(self.listed)} of {self.count} errors are listed."
            if self.count > len(self.listed)
            else ""
        )
        return csv_read.error(
            f"{len(self.rows)} row(s) are invalid; nothing was imported.{listed} {shown_parts}",
            self.listed,
            error_count=self.count,
        )


def _cells(
    record: list[str],
    targets: list[str | None],
    options: ImportOptions,
    report: Any,
) -> dict[str, Any] | None:
    """A row as EventIn's input, or None after reporting why it cannot be one."""
    data: dict[str, Any] = {}
    ok = True
    for target, raw in zip(targets, record, strict=True):
        if target is None or target == "id":
            continue
        if target in TEXT_COLUMNS:
            if raw != "":
                data[target] = restore(raw)
            continue
        value = raw.strip()
        if value == "":
            continue
        if target in _VOCABULARIES:
            alias, allowed = _VOCABULARIES[target]
            found, problem = _vocabulary(target, value, alias, allowed)
            if problem:
                report(target, raw, problem)
                ok = False
            data[target] = found
        elif target == "is_sales":
            flag = crm_values.boolean(value)
            if flag is None:
                report(target, raw, f"{shown(value)} is not true or false (or empty for false)")
                ok = False
            data[target] = flag
        elif target == "occurred_at":
            try:
                instant = crm_values.parse_time(value, options.date_format, options.timezone)
            except TimeError as exc:
                report(target, raw, f"{shown(value)} {exc}")
                ok = False
                continue
            data[target] = instant.isoformat()
    return data if ok else None


def _validated(data: dict[str, Any], record: dict[str, str], report: Any) -> EventIn | None:
    try:
        return EventIn.model_validate(data)
    except ValidationError as exc:
        raw = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        for item in validation_items(raw):
            column = item["pointer"].removeprefix("#").strip("/").split("/")[0] or None
            if column is None and "is_sales" in item["detail"]:
                column = "is_sales"
            value = record.get(column or "")
            detail = item["detail"] if value is None else f"{shown(value)}: {item['detail']}"
            report(column, value, detail)
        return None


def parse(open_body: Opener, codec: str, options: ImportOptions) -> Parsed:
    """Every data row validated as an EventIn; one 422 problem listing the first MAX_LISTED
    errors (and counting all) when any row is bad. Blank records are skipped and not counted
    as rows (``row`` is the 1-based data row, ``line`` the physical line). ``open_body``
    streams the body from its start; it is read twice."""
    records = csv_read.read(open_body, codec)
    targets, ignored = _targets(records.header, records.header_line, options)
    # The limits (rows, line length, well-formed CSV) over the whole body first, as it
    # arrives: a pass without validation, so a hostile file is refused before any row is
    # validated.
    for _ in records.rows:
        pass
    staged = _Staging()
    try:
        lines = _validate(csv_read.read(open_body, codec), targets, options, staged)
    except BaseException:
        staged.close()
        raise
    return Parsed(staged, lines, ignored)


def _validate(
    records: csv_read.Records, targets: list[str | None], options: ImportOptions, staged: _Staging
) -> array[int]:
    """The line of every data row; the valid rows staged (once a row is bad, nothing more
    is staged; the problem is raised at the end, with every error counted)."""
    with contextlib.closing(_Repeats()) as repeats:
        return _validate_rows(records, targets, options, staged, repeats)


def _validate_rows(
    records: csv_read.Records,
    targets: list[str | None],
    options: ImportOptions,
    staged: _Staging,
    repeats: _Repeats,
) -> array[int]:
    chunk: list[dict[str, Any]] = []
    lines = array("q")
    errors = _Rows()
    for row, (record, line) in enumerate(records.rows, start=1):
        lines.append(line)

        def report(column: str | None, value: str | None, detail: str) -> None:
            errors.add(row, line, column, value, detail)  # noqa: B023 (called at once)

        if len(record) != len(targets):
            report(None, None, f"the row has {len(record)} fields, the header {len(targets)}")
            continue
        data = _cells(record, targets, options, report)
        if data is None:
            continue
        named = {t: v for t, v in zip(targets, record, strict=True) if t is not None}
        item = _validated(data, named, report)
        if item is None or errors.count:
            continue
        repeats.check(row - 1, item)
        chunk.append(item.model_dump())
        if len(chunk) == CHUNK:
            staged.add(chunk)
            chunk = []
    if errors.count:
        raise errors.problem()
    if repeats.count:
        raise _repeats_problem(repeats, lines)
    if chunk:
        staged.add(chunk)
    return lines


class _Repeats:
    """Rows repeating an earlier row's external_id with other content (as store.prepare
    finds them in a batch). A digest of each external_id's first content is kept in a
    private temporary SQLite database on disk (a 2 MiB page cache), not in a dict: 100,000
    external_ids would hold about 20 MiB of memory. The first MAX_LISTED repeats are kept,
    all are counted."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": a temporary file, deleted on close
        self._db.execute("PRAGMA cache_size = -2048")
        self._db.execute(
            "CREATE TABLE seen (ext TEXT PRIMARY KEY, i INTEGER, digest BLOB) WITHOUT ROWID"
        )
        self.found: list[tuple[int, int, str]] = []  # (row index, earlier row index, ext)
        self.count = 0

    def check(self, i: int, item: EventIn) -> None:
        if item.external_id is None:
            return
        digest = hashlib.blake2b(repr(item.content()).encode(), digest_size=16).digest()
        ext = item.external_id
        if self._db.execute(
            "INSERT INTO seen VALUES (?, ?, ?) ON CONFLICT (ext) DO NOTHING", (ext, i, digest)
        ).rowcount:
            return
        j, earlier = self._db.execute("SELECT i, digest FROM seen WHERE ext = ?", (ext,)).fetchone()
        if earlier != digest:
            self.count += 1
            if len(self.found) < MAX_LISTED:
                self.found.append((i, j, ext))

    def close(self) -> None:
        self._db.close()


def _repeats_problem(repeats: _Repeats, lines: array[int]) -> ProblemError:
    """Rows repeating an earlier row's external_id with different content."""
    return csv_read.error(
        f"{repeats.count} row(s) reuse an external_id with different content; "
        "nothing was imported.",
        [
            {
                "row": i + 1,
                "line": lines[i],
                "column": "external_id",
                "value": ext[:200],
                "detail": f"{shown(ext)} repeats row {j + 1} with different content",
            }
            for i, j, ext in repeats.found
        ],
        error_count=repeats.count,
    )


@dataclass(frozen=True)
class Imported:
    ids: bytearray  # one 16-byte UUID per row, in file order (1.6 MB for 100,000 rows)
    created: int

    @property
    def rows(self) -> int:
        return len(self.ids) // 16

    def ids_json(self) -> bytearray:
        """The ids as a JSON array of UUID strings, built without a Python object per id."""
        out = bytearray(b"[")
        for start in range(0, len(self.ids), 16):
            h = self.ids[start : start + 16].hex()
            if start:
                out += b","
            out += f'"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"'.encode()
        out += b"]"
        return out


def import_events(session: Session, user_id: uuid.UUID, parsed: Parsed) -> Imported:
    """Store the rows ``parse`` validated, CHUNK rows a statement, in the request's one
    transaction: all or nothing, idempotent by external_id (a row repeating an earlier
    chunk's external_id with the same content is a duplicate of it)."""
    ids = bytearray()
    created = 0
    for items in parsed.items():
        start = len(ids) // 16
        try:
            stored = store.record(session, user_id, items)
        except store.StoreError as exc:

            def where(i: int, start: int = start) -> dict[str, Any]:
                return parsed.where(start + i)

            raise store_problem(exc, where) from None
        for s in stored:
            ids += s.id.bytes
        created += sum(store.created_flags(stored))
    return Imported(ids, created)
