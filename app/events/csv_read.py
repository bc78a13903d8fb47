"""Reading an import body as CSV records: media type and charset, byte-order marks, the
delimiter, and the limits on columns, line length and rows.

The body is a binary stream (``app.core.body_spool``: read as it arrives), decoded
incrementally (no decoded copy of the whole file is held; a line is read at most
MAX_LINE_CHARS characters at a time), and every limit is checked while reading, so a
hostile file is refused after reading only as far as the line that breaks a limit.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

from app.core.body_spool import Opener
from app.core.errors import (
    INVALID_CSV,
    INVALID_CSV_HEADER,
    LINE_TOO_LONG,
    TOO_MANY_COLUMNS,
    TOO_MANY_ROWS,
    UNSUPPORTED_MEDIA_TYPE,
    Problem,
    ProblemError,
)

# What CRMs and spreadsheets send a CSV as (Excel on Windows: application/vnd.ms-excel).
MEDIA_TYPES = (
    "text/csv",
    "application/csv",
    "application/vnd.ms-excel",
    "text/plain",
    "text/tab-separated-values",
)
# Declarable charsets, by Python codec name; UTF-8 when none is declared.
CHARSETS = {
    "utf-8": "utf-8",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "cp1252": "windows-1252",
    "iso8859-1": "iso-8859-1",
    "iso8859-15": "iso-8859-15",
    "ascii": "us-ascii",
    "mac-roman": "macintosh",
}
DELIMITERS = (",", ";", "\t")
MAX_IMPORT_ROWS = 100_000
MAX_COLUMNS = 100
MAX_LINE_CHARS = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def error(
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    problem: Problem = INVALID_CSV,
    **extra: Any,
) -> ProblemError:
    """A CSV problem; ``extra`` are more members of its body (error_count)."""
    return problem.error(detail, errors=errors, **extra)


def _parameters(content_type: str) -> tuple[str, dict[str, str]]:
    media, *rest = content_type.split(";")
    params = {}
    for part in rest:
        name, _, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), params


def charset(content_type: str | None) -> str:
    """The codec of a CSV body from its Content-Type (415 for another media type or a
    charset this API does not read)."""
    media, params = _parameters(content_type or "")
    if media not in MEDIA_TYPES:
        raise UNSUPPORTED_MEDIA_TYPE.error(
            f"Content-Type {media or '(missing)'} is not accepted here; send "
            f"'Content-Type: text/csv' (also accepted: {', '.join(MEDIA_TYPES[1:])})."
        )
    label = params.get("charset", "utf-8")
    try:
        name = codecs.lookup(label).name
    except LookupError:
        name = ""
    if name not in CHARSETS:
        raise UNSUPPORTED_MEDIA_TYPE.error(
            f"charset={label[:40]} is not supported; send the file as one of "
            f"{', '.join(sorted(set(CHARSETS.values())))} (UTF-8 when no charset is declared)."
        )
    return name


def _decoded_lines(open_body: Opener, codec: str) -> Iterator[str]:
    """Physical lines (with their line break), decoded; a byte-order mark decides the
    encoding and is dropped."""
    with open_body() as start:
        head = start.read(3)
    for bom, bom_codec in _BOMS:
        if head.startswith(bom):
            codec = bom_codec
            break
    else:
        if codec == "utf-8":
            codec = "utf-8-sig"
    number = 0
    try:
        with io.TextIOWrapper(open_body(), encoding=codec, newline="") as text:
            # A line longer than the limit is cut here (and refused), never read whole.
            for number, line in enumerate(
                iter(lambda: text.readline(MAX_LINE_CHARS + 2), ""), start=1
            ):
                if len(line.rstrip("\r\n")) > MAX_LINE_CHARS:
                    raise _line_too_long(number)
                yield line
    except UnicodeDecodeError:
        raise error(
            f"Line {number + 1} is not valid {CHARSETS.get(codec, codec)}; declare the file's "
            "charset, e.g. 'Content-Type: text/csv; charset=windows-1252', or save it as UTF-8."
        ) from None


def _line_too_long(number: int) -> ProblemError:
    return error(
        f"Line {number} is longer than {MAX_LINE_CHARS} characters; no valid row "
        "is that long (text is at most 5000 characters).",
        [
            {
                "row": None,
                "line": number,
                "column": None,
                "detail": f"longer than {MAX_LINE_CHARS} characters",
            }
        ],
        LINE_TOO_LONG,
    )


def _delimiter(header_line: str) -> str:
    """The candidate that splits the header line most (a comma when none does)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class Records:
    """The header row and an iterator of (record, first line) for the data rows."""

    delimiter: str
    header: list[str]
    header_line: int
    rows: Iterator[tuple[list[str], int]]


def _blank(record: list[str]) -> bool:
    return not any(field.strip() for field in record)


def read(open_body: Opener, codec: str) -> Records:
    """The header and the data records of the body ``open_body`` streams; the limits are
    checked as the records are read (the header's column count at once)."""
    lines = _decoded_lines(open_body, codec)
    skipped: list[str] = []
    first = ""
    for line in lines:
        if line.strip():
            first = line
            break
        skipped.append(line)
    if not first:
        raise error(
            "The body has no header row; the first line must name the columns "
            "(platform, kind and occurred_at at least).",
            problem=INVALID_CSV_HEADER,
        )
    delimiter = _delimiter(first)
    reader = csv.reader(chain(skipped, [first], lines), delimiter=delimiter, strict=True)
    try:
        header, header_line = _first_record(reader)
    except csv.Error as exc:
        raise error(f"The CSV is malformed near line {reader.line_num}: {exc}.") from None
    if len(header) > MAX_COLUMNS:
        raise error(
            f"The header row (line {header_line}) has {len(header)} columns; at most "
            f"{MAX_COLUMNS} are accepted.",
            [
                {
                    "row": 0,
                    "line": header_line,
                    "column": None,
                    "detail": f"{len(header)} columns, at most {MAX_COLUMNS}",
                }
            ],
            TOO_MANY_COLUMNS,
        )
    return Records(delimiter, header, header_line, _data(reader))


def _first_record(reader: Any) -> tuple[list[str], int]:
    last = 0
    for record in reader:
        start, last = last + 1, reader.line_num
        if record and not _blank(record):
            return record, start
    raise AssertionError("read() found a non-blank line")  # pragma: no cover


def _data(reader: Any) -> Iterator[tuple[list[str], int]]:
    last = reader.line_num
    count = 0
    try:
        for record in reader:
            start, last = last + 1, reader.line_num
            if not record or _blank(record):
                continue
            if count == MAX_IMPORT_ROWS:
                raise error(
                    f"More than {MAX_IMPORT_ROWS} rows (row {MAX_IMPORT_ROWS + 1} starts "
                    f"on line {start}); split the file.",
                    problem=TOO_MANY_ROWS,
                )
            count += 1
            yield record, start
    except csv.Error as exc:
        raise error(f"The CSV is malformed near line {reader.line_num}: {exc}.") from None
