"""One typed error class and the handlers that turn every failure into problem+json."""

import errno
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("rapport")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemError(Exception):
    """An error the API answers on purpose: status, stable code, and a sentence to act on."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or code.replace("_", " ").capitalize()
        self.errors = errors
        self.headers = headers
        self.extra = extra


def not_found(what: str) -> ProblemError:
    return ProblemError(404, "not_found", f"{what} not found.", title="Not found")


def database_busy() -> ProblemError:
    """Too many requests are waiting for the database (a pool connection, or on SQLite the
    write lock): answered quickly instead of queueing without end; nothing was written."""
    return ProblemError(
        503,
        "database_busy",
        "The database is busy with other requests; nothing was written. Retry in a moment.",
        title="Database busy",
        headers={"Retry-After": "1"},
    )


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _field_name(loc: tuple) -> str:
    names = [str(p) for p in loc[1:] if not isinstance(p, int)] or [str(loc[-1])]
    return names[-1]


# A query timestamp whose '+' offset arrived as a space ('+' in a query string means a space):
# 2026-11-26T20:00:00+01:00 sent unencoded reads 2026-11-26T20:00:00 01:00.
_PLUS_AS_SPACE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9:.]+ [0-9]{2}:[0-9]{2}")
_LENGTH_KINDS = {
    "too_long": "at most {max_length}",
    "string_too_long": "at most {max_length}",
    "too_short": "at least {min_length}",
    "string_too_short": "at least {min_length}",
}
# pydantic's messages name the value generically; the detail names the field instead.
_GENERIC_SUBJECTS = ("Input ", "Value ", "String ", "List ", "Object ")


def _friendly(err: dict[str, Any]) -> str:
    """One sentence that starts with the field's name, says what is wrong and what to send."""
    loc = tuple(err.get("loc", ()))
    name = _field_name(loc) if loc else "value"
    kind = err.get("type", "")
    value = err.get("input")
    if kind == "timezone_aware":
        return f"{name} must include a UTC offset, e.g. 2026-11-27T09:30:00Z"
    if kind == "missing":
        return f"{name} is required"
    if kind == "extra_forbidden":
        return f"{name} is not a known field; remove it"
    if loc[:1] == ("query",) and isinstance(value, str) and _PLUS_AS_SPACE.fullmatch(value.strip()):
        return (
            f"{name} has a space where its offset's '+' should be: in a query string an "
            f"unencoded '+' means a space, so write it as %2B (e.g. 2026-11-26T20:00:00%2B01:00) "
            f"or give the instant in UTC with Z (2026-11-26T19:00:00Z)"
        )
    if kind in _LENGTH_KINDS and isinstance(value, str | list):
        unit = "characters" if isinstance(value, str) else "items"
        bound = _LENGTH_KINDS[kind].format(**(err.get("ctx") or {}))
        return f"{name} must have {bound} {unit} (it has {len(value)})"
    msg = err.get("msg", "is invalid")
    msg = msg.removeprefix("Value error, ")
    if msg.startswith((f"{name} ", f"{name}:")):
        return msg
    if msg.startswith(("must ", "is ", "should ")):
        return f"{name} {msg}"
    for subject in _GENERIC_SUBJECTS:
        if msg.startswith(subject):
            return f"{name} {msg[len(subject) :]}"
    return f"{name}: {msg}"


def validation_items(
    raw_errors: list[dict[str, Any]], body_prefix: str = "#"
) -> list[dict[str, Any]]:
    """pydantic/FastAPI errors as `{pointer|parameter, detail}` items."""
    items = []
    for err in raw_errors:
        loc = tuple(err.get("loc", ()))
        detail = _friendly(err)
        if loc and loc[0] == "body":
            pointer = "/".join(
                [body_prefix, *(str(p).replace("~", "~0").replace("/", "~1") for p in loc[1:])]
            )
            items.append({"pointer": pointer, "detail": detail})
        elif loc and loc[0] in ("query", "path", "header"):
            items.append({"parameter": str(loc[-1]), "in": loc[0], "detail": detail})
        else:
            items.append({"pointer": "/".join([body_prefix, *map(str, loc)]), "detail": detail})
    return items


def _summary_part(item: dict[str, Any]) -> str:
    """An item in the problem's detail, naming the field once: the detail already starts
    with the field's name, so a pointer takes the name's place (#/events/3/occurred_at must…)."""
    detail, where = item["detail"], item.get("pointer") or item.get("parameter")
    if not where:
        return detail
    name = where.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
    if detail.startswith((f"{name} ", f"{name}:")):
        return detail if "pointer" not in item else where + detail[len(name) :]
    return f"{where}: {detail}"


def validation_problem(items: list[dict[str, Any]], detail: str | None = None) -> ProblemError:
    summary = detail or "; ".join(_summary_part(i) for i in items[:5])
    return ProblemError(422, "validation_error", summary, title="Invalid request", errors=items)


async def _problem_handler(_request: Request, exc: ProblemError) -> JSONResponse:
    return problem_response(
        exc.status,
        exc.code,
        exc.title,
        exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _validation_handler(_request: Request, exc: RequestValidationError) -> JSONResponse:
    raw = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem_response(
            400,
            "malformed_json",
            "Malformed JSON",
            "The request body is not valid JSON; check quotes, commas and brackets.",
        )
    p = validation_problem(validation_items(raw))
    return await _problem_handler(_request, p)


_HTTP_CODES = {
    404: ("not_found", "No such path; see /docs for the API's routes."),
    405: ("method_not_allowed", "This path does not accept that HTTP method."),
}


def allowed_methods(app, scope: dict) -> list[str]:
    """Every method some route of ``app`` accepts on this request's path. Starlette's 405
    names only the first route that matched the path (`OPTIONS /v1/users` said `POST`)."""
    try:  # FastAPI ≥ 0.16x keeps included routers lazy; this flattens them.
        from fastapi.routing import iter_route_contexts

        routes = list(iter_route_contexts(app.routes))
    except ImportError:  # older FastAPI: app.routes is already flat
        routes = list(app.routes)
    path = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    methods: set[str] = set()
    for route in routes:
        regex, route_methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
        if regex is not None and route_methods and regex.match(path):
            methods |= set(route_methods)
    return sorted(methods)


async def _http_handler(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code, detail = _HTTP_CODES.get(exc.status_code, ("http_error", str(exc.detail)))
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        allow = ", ".join(allowed_methods(_request.app, _request.scope))
        headers = {**(headers or {}), "Allow": allow}
        detail = f"This path does not accept {_request.method}; it accepts {allow}."
    return problem_response(
        exc.status_code,
        code,
        code.replace("_", " ").capitalize(),
        detail,
        headers=headers,
    )


async def _database_handler(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", type(exc).__name__)
    return problem_response(
        503,
        "database_unavailable",
        "Database unavailable",
        "The database is not reachable right now; retry in a few seconds.",
        headers={"Retry-After": "2"},
    )


async def _busy_handler(request: Request, _exc: Exception) -> JSONResponse:
    log.warning("database busy: %s", type(_exc).__name__)
    return await _problem_handler(request, database_busy())


async def _unexpected_handler(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return problem_response(
        500,
        "internal_error",
        "Internal error",
        "Something went wrong on our side; the request was not applied. Retry, and report it if it persists.",
    )


# SQLite result codes (the primary code is the low byte of the extended one) and PostgreSQL
# SQLSTATEs that mean the database cannot store anything: no space, or read-only.
_SQLITE_FULL, _SQLITE_READONLY = 13, 8
# SQLite codes whose cause may be the file system (a WAL database on a read-only mount
# cannot even be opened: SQLITE_CANTOPEN): the file system then says which.
_SQLITE_FILE_CODES = {10, 14}  # SQLITE_IOERR, SQLITE_CANTOPEN
_PG_DISK_FULL, _PG_READ_ONLY = "53100", "25006"  # disk_full, read_only_sql_transaction

STORAGE_PROBLEMS = {
    "storage_full": (
        "Storage full",
        (
            "The database has no space left (disk or file size limit); nothing was written. "
            "Reads still work; writes will succeed once an operator frees space."
        ),
    ),
    "read_only": (
        "Database read-only",
        (
            "The database is read-only (a read-only file, file system or PostgreSQL standby); "
            "nothing was written. Reads may still work; an operator must make it writable."
        ),
    ),
}


_STORAGE_ERRNOS = {
    errno.ENOSPC: "storage_full",
    errno.EDQUOT: "storage_full",
    errno.EROFS: "read_only",
    errno.EACCES: "read_only",
    errno.EPERM: "read_only",
}


def storage_problem_code(exc: BaseException, sqlite_url: str | None = None) -> str | None:
    """'storage_full' or 'read_only' when a driver error (or, for SQLite's files such as
    the write-lock file, an OSError) says the database cannot store. With ``sqlite_url``,
    an error opening or reading the file asks its file system too."""
    if isinstance(exc, OSError):
        return _STORAGE_ERRNOS.get(exc.errno or 0)
    orig = getattr(exc, "orig", exc)
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        if sqlite_url and sqlite_code & 0xFF in _SQLITE_FILE_CODES:
            from app.core.storage import sqlite_file_problem

            return sqlite_file_problem(sqlite_url)
        return {_SQLITE_FULL: "storage_full", _SQLITE_READONLY: "read_only"}.get(sqlite_code & 0xFF)
    sqlstate = getattr(orig, "sqlstate", None)
    return {_PG_DISK_FULL: "storage_full", _PG_READ_ONLY: "read_only"}.get(sqlstate or "")


def storage_problem_response(code: str) -> JSONResponse:
    title, detail = STORAGE_PROBLEMS[code]
    return problem_response(507, code, title, detail)


def _storage_failure(request: Request, exc: BaseException) -> JSONResponse | None:
    db = getattr(request.app.state, "db", None)
    storage = storage_problem_code(exc, db.url if db is not None and db.is_sqlite else None)
    if storage is None:
        return None
    log.error("database cannot store: %s (%s)", storage, type(getattr(exc, "orig", exc)).__name__)
    health = getattr(request.app.state, "storage_health", None)
    if health is not None:
        health.failed(storage)
    return storage_problem_response(storage)


async def _os_error_handler(request: Request, exc: OSError) -> JSONResponse:
    return _storage_failure(request, exc) or await _unexpected_handler(request, exc)


async def _dbapi_handler(request: Request, exc: DBAPIError) -> JSONResponse:
    storage = _storage_failure(request, exc)
    if storage is not None:
        return storage
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return await _database_handler(request, exc)
    if isinstance(exc, IntegrityError):
        # A concurrent request changed the same thing first (e.g. two PUTs creating one plan).
        return problem_response(
            409,
            "concurrent_change",
            "Conflict",
            "Another request changed the same resource at the same moment; nothing was written. "
            "Retry the request.",
        )
    if isinstance(exc, DataError):
        return problem_response(
            422,
            "invalid_data",
            "Invalid data",
            "The database refused a value in this request; nothing was written. Check lengths and characters.",
        )
    return await _unexpected_handler(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _problem_handler)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_handler)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _dbapi_handler)  # type: ignore[arg-type]
    app.add_exception_handler(OSError, _os_error_handler)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeoutError, _busy_handler)  # no pool connection in time
    app.add_exception_handler(Exception, _unexpected_handler)
