"""The catalogue of problems, the one error class, and the handlers that turn every failure
into problem+json (RFC 9457).

Each problem ``code`` is declared once below, with its status and title (``problem(...)``);
everything that answers with a problem builds it from that entry: the routes and services
(``raise NO_FOLLOW_PLAN.error(detail)``), the handlers here, the request gate
(``app.core.middleware``), the read timeout (``app.core.http_protocol``) and the OpenAPI
document (``app.core.openapi``, which lists every code). Adding a code is one line:

    DATABASE_BUSY = problem("database_busy", 503, "Database busy", headers={"Retry-After": "1"})
"""

import errno
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ExceptionHandler

from app.core.request_id import HEADER as REQUEST_ID_HEADER
from app.core.request_id import current_request_id

log = logging.getLogger("rapport")

PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class Problem:
    """One problem type: a stable ``code``, its HTTP ``status`` and ``title``; ``detail``
    is the sentence of a problem that always says the same, ``headers`` go with every
    answer of it (e.g. Retry-After)."""

    code: str
    status: int
    title: str
    detail: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def body(self, detail: str | None = None, **extra: Any) -> dict[str, Any]:
        """The problem+json document; in a request, with its ``request_id`` (§13)."""
        request_id = current_request_id()
        return {
            "type": f"/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self._detail(detail),
            "code": self.code,
            **({"request_id": request_id} if request_id is not None else {}),
            **extra,
        }

    def error(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> "ProblemError":
        """The exception to raise; ``extra`` are more members of the body (existing_id)."""
        return ProblemError(self, self._detail(detail), errors=errors, headers=headers, **extra)

    def response(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> JSONResponse:
        members = {"errors": errors} if errors is not None else {}
        # The id header too: a 500 is answered outside the request id middleware.
        request_id = current_request_id()
        own = {REQUEST_ID_HEADER: request_id} if request_id is not None else {}
        return JSONResponse(
            self.body(detail, **members, **extra),
            status_code=self.status,
            headers={**self.headers, **own, **(headers or {})},
            media_type=PROBLEM_MEDIA_TYPE,
        )

    def encoded(self, detail: str | None = None) -> bytes:
        """The body as bytes, for the answers written below the framework (ASGI, HTTP)."""
        return json.dumps(self.body(detail)).encode()

    def _detail(self, detail: str | None) -> str:
        text = detail if detail is not None else self.detail
        if text is None:
            raise ValueError(f"problem {self.code} needs a detail")
        return text


_CATALOGUE: dict[str, Problem] = {}
CATALOGUE: Mapping[str, Problem] = MappingProxyType(_CATALOGUE)  # code → problem


def problem(
    code: str,
    status: int,
    title: str,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> Problem:
    """Declare a problem type in the catalogue (each code once)."""
    if code in _CATALOGUE:
        raise ValueError(f"problem code {code!r} is declared twice")
    entry = Problem(code, status, title, detail, MappingProxyType(dict(headers or {})))
    _CATALOGUE[code] = entry
    return entry


# The catalogue, by status. A code's title is the same wherever it is answered.
MALFORMED_JSON = problem("malformed_json", 400, "Malformed JSON")
INVALID_CURSOR = problem(
    "invalid_cursor",
    400,
    "Invalid cursor",
    "cursor is not one this API issued; pass next_cursor from the previous page unchanged, "
    "or leave it out to start from the first page.",
)
INVALID_IDEMPOTENCY_KEY = problem(
    "invalid_idempotency_key",
    400,
    "Invalid idempotency key",
    "Idempotency-Key must be 1 to 255 visible ASCII characters.",
)
UNAUTHORIZED = problem(
    "unauthorized",
    401,
    "Unauthorized",
    "Send a valid API key as 'Authorization: Bearer rpk_…'. Keys come from "
    "'rapport keys create' or POST /v1/api-keys.",
    headers={"WWW-Authenticate": 'Bearer realm="rapport"'},
)
API_KEY_EXPIRED = problem(
    "api_key_expired",
    401,
    "API key expired",
    "This API key has expired; use another key, or ask an admin key (POST /v1/api-keys) or "
    "the operator ('rapport keys create') for a new one.",
    headers={"WWW-Authenticate": 'Bearer realm="rapport", error="invalid_token"'},
)
# Scoped keys (app/auth/scopes.py): the key's widest scope is below what the route needs.
INSUFFICIENT_SCOPE = problem("insufficient_scope", 403, "Insufficient scope")
# POST /v1/api-keys: a key may only create keys no wider (scopes, expiry) than itself.
SCOPE_NOT_GRANTABLE = problem("scope_not_grantable", 403, "Scope not grantable")
# §13 CORS: a preflight from an origin (or for a method or header) that is not allowed.
CORS_REFUSED = problem("cors_refused", 403, "CORS request refused")
NOT_FOUND = problem("not_found", 404, "Not found")
NO_FOLLOW_PLAN = problem("no_follow_plan", 404, "No follow plan")
METHOD_NOT_ALLOWED = problem("method_not_allowed", 405, "Method not allowed")
REQUEST_TIMEOUT = problem("request_timeout", 408, "Request timeout")
EXTERNAL_ID_CONFLICT = problem("external_id_conflict", 409, "Conflict")
CONCURRENT_CHANGE = problem(
    "concurrent_change",
    409,
    "Conflict",
    "Another request changed the same resource at the same moment; nothing was written. "
    "Retry the request.",
)
IDEMPOTENCY_KEY_IN_USE = problem(
    "idempotency_key_in_use",
    409,
    "Idempotency key in use",
    "A request with this Idempotency-Key is still being processed; retry after it finished.",
    headers={"Retry-After": "1"},
)
PAYLOAD_TOO_LARGE = problem("payload_too_large", 413, "Payload too large")
UNSUPPORTED_MEDIA_TYPE = problem("unsupported_media_type", 415, "Unsupported media type")
VALIDATION_ERROR = problem("validation_error", 422, "Invalid request")
INVALID_DATA = problem(
    "invalid_data",
    422,
    "Invalid data",
    "The database refused a value in this request; nothing was written. Check lengths and "
    "characters.",
)
IDEMPOTENCY_KEY_REUSED = problem(
    "idempotency_key_reused",
    422,
    "Idempotency key reused",
    "This Idempotency-Key was used for a different request (method, path, query or body); "
    "use a new key for a new request.",
)
RATE_LIMITED = problem("rate_limited", 429, "Too many requests")
PLAN_EXCEEDS_LIMIT = problem("plan_exceeds_limit", 422, "Plan not allowed")
RANGE_TOO_LONG = problem("range_too_long", 422, "Range too long")
INVALID_WEEK = problem("invalid_week", 422, "Invalid week")
WEEK_NOT_STARTED = problem("week_not_started", 422, "Invalid week")
INVALID_CSV = problem("invalid_csv", 422, "Invalid CSV")
INVALID_CSV_HEADER = problem("invalid_csv_header", 422, "Invalid CSV")
TOO_MANY_ROWS = problem("too_many_rows", 422, "Invalid CSV")
TOO_MANY_COLUMNS = problem("too_many_columns", 422, "Invalid CSV")
LINE_TOO_LONG = problem("line_too_long", 422, "Invalid CSV")
# §12: a webhook URL that is not https (or allowed loopback http), or whose host resolves
# to a private, link-local or loopback address.
INVALID_WEBHOOK_URL = problem("invalid_webhook_url", 422, "Webhook URL refused")
# §12: POST …/deliveries/{id}:retry of a delivery that is still pending.
DELIVERY_PENDING = problem(
    "delivery_pending",
    409,
    "Delivery still pending",
    "This delivery is still pending (the worker will try it again); retry a delivery once it "
    "has succeeded or failed.",
)
INTERNAL_ERROR = problem(
    "internal_error",
    500,
    "Internal error",
    "Something went wrong on our side; the request was not applied. Retry, and report it if "
    "it persists.",
)
DATABASE_UNAVAILABLE = problem(
    "database_unavailable",
    503,
    "Database unavailable",
    "The database is not reachable right now; retry in a few seconds.",
    headers={"Retry-After": "2"},
)
DATABASE_BUSY = problem(
    "database_busy",
    503,
    "Database busy",
    "The database is busy with other requests; nothing was written. Retry in a moment.",
    headers={"Retry-After": "1"},
)
STORAGE_FULL = problem(
    "storage_full",
    507,
    "Storage full",
    "The database has no space left (disk or file size limit); nothing was written. "
    "Reads still work; writes will succeed once an operator frees space.",
)
READ_ONLY = problem(
    "read_only",
    507,
    "Database read-only",
    "The database is read-only (a read-only file, file system or PostgreSQL standby); "
    "nothing was written. Reads may still work; an operator must make it writable.",
)
# §12: webhook secrets need RAPPORT_SECRET_KEY, which the operator has not set.
WEBHOOKS_NOT_CONFIGURED = problem("webhooks_not_configured", 503, "Webhooks not configured")
# Any other HTTPException of the framework: answered with that exception's status.
HTTP_ERROR = problem("http_error", 400, "HTTP error")


class ProblemError(Exception):
    """An error the API answers on purpose: a catalogued problem and a sentence to act on.
    Raise it through the catalogue: ``raise NOT_FOUND.error("User not found.")``."""

    def __init__(
        self,
        problem: Problem,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extra = extra

    @property
    def status(self) -> int:
        return self.problem.status

    @property
    def code(self) -> str:
        return self.problem.code

    @property
    def title(self) -> str:
        return self.problem.title

    def response(self) -> JSONResponse:
        return self.problem.response(
            self.detail, errors=self.errors, headers=self.headers, **self.extra
        )


def not_found(what: str) -> ProblemError:
    return NOT_FOUND.error(f"{what} not found.")


def database_busy() -> ProblemError:
    """Too many requests are waiting for the database (a session slot, or on SQLite the
    write lock): answered quickly instead of queueing without end; nothing was written."""
    return DATABASE_BUSY.error()


def _field_name(loc: tuple[int | str, ...]) -> str:
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
    msg = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
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
    detail: str = item["detail"]
    where: str | None = item.get("pointer") or item.get("parameter")
    if not where:
        return detail
    name = where.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
    if detail.startswith((f"{name} ", f"{name}:")):
        return detail if "pointer" not in item else where + detail[len(name) :]
    return f"{where}: {detail}"


def query_item(name: str, detail: str, where: str = "query") -> dict[str, Any]:
    """A validation item about a parameter (``where``: query, path or header)."""
    return {"parameter": name, "in": where, "detail": detail}


def pointer_item(pointer: str, detail: str) -> dict[str, Any]:
    """A validation item about a body value, e.g. ``#/events/3/occurred_at``."""
    return {"pointer": pointer, "detail": detail}


def validation_problem(items: list[dict[str, Any]], detail: str | None = None) -> ProblemError:
    """The one way to build a ``validation_error``: its items, and a detail that sums up
    the first five of them unless one is given."""
    summary = detail or "; ".join(_summary_part(i) for i in items[:5])
    return VALIDATION_ERROR.error(summary, errors=items)


async def _problem_handler(_request: Request, exc: ProblemError) -> JSONResponse:
    return exc.response()


async def _validation_handler(_request: Request, exc: RequestValidationError) -> JSONResponse:
    raw = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        return MALFORMED_JSON.response(
            "The request body is not valid JSON; check quotes, commas and brackets."
        )
    return validation_problem(validation_items(raw)).response()


_HTTP_PROBLEMS: dict[int, tuple[Problem, str]] = {
    404: (NOT_FOUND, "No such path; see /docs for the API's routes."),
    405: (METHOD_NOT_ALLOWED, "This path does not accept that HTTP method."),
}


def allowed_methods(app: Any, scope: Mapping[str, Any]) -> list[str]:
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


async def _http_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    problem, detail = _HTTP_PROBLEMS.get(exc.status_code, (None, str(exc.detail)))
    if problem is None:
        problem = replace(HTTP_ERROR, status=exc.status_code)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allow = ", ".join(allowed_methods(request.app, request.scope))
        headers["Allow"] = allow
        detail = f"This path does not accept {request.method}; it accepts {allow}."
    return problem.response(detail, headers=headers)


async def _database_handler(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", type(exc).__name__)
    return DATABASE_UNAVAILABLE.response()


async def _busy_handler(request: Request, _exc: Exception) -> JSONResponse:
    log.warning("database busy: %s", type(_exc).__name__)
    return await _problem_handler(request, database_busy())


async def _unexpected_handler(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return INTERNAL_ERROR.response()


# SQLite result codes (the primary code is the low byte of the extended one) and PostgreSQL
# SQLSTATEs that mean the database cannot store anything: no space, or read-only.
_SQLITE_FULL, _SQLITE_READONLY = 13, 8
# SQLite codes whose cause may be the file system (a WAL database on a read-only mount
# cannot even be opened: SQLITE_CANTOPEN): the file system then says which.
_SQLITE_FILE_CODES = {10, 14}  # SQLITE_IOERR, SQLITE_CANTOPEN
_PG_DISK_FULL, _PG_READ_ONLY = "53100", "25006"  # disk_full, read_only_sql_transaction

_STORAGE_ERRNOS = {
    errno.ENOSPC: STORAGE_FULL.code,
    errno.EDQUOT: STORAGE_FULL.code,
    errno.EROFS: READ_ONLY.code,
    errno.EACCES: READ_ONLY.code,
    errno.EPERM: READ_ONLY.code,
}
_SQLITE_STORAGE = {_SQLITE_FULL: STORAGE_FULL.code, _SQLITE_READONLY: READ_ONLY.code}
# PostgreSQL: deadlock_detected, serialization_failure (nothing was written).
DEADLOCK_SQLSTATE, SERIALIZATION_SQLSTATE = "40P01", "40001"
LOCK_CONFLICT_SQLSTATES = frozenset({DEADLOCK_SQLSTATE, SERIALIZATION_SQLSTATE})
_PG_STORAGE = {_PG_DISK_FULL: STORAGE_FULL.code, _PG_READ_ONLY: READ_ONLY.code}


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
        return _SQLITE_STORAGE.get(sqlite_code & 0xFF)
    sqlstate = getattr(orig, "sqlstate", None)
    return _PG_STORAGE.get(sqlstate or "")


def storage_problem_response(code: str) -> JSONResponse:
    """The 507 answer of ``storage_full`` or ``read_only``."""
    return CATALOGUE[code].response()


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
    if getattr(exc.orig, "sqlstate", None) in LOCK_CONFLICT_SQLSTATES:
        # Chosen as a deadlock's victim (again, after the store's retries) or a serialization
        # failure: the database is reachable, the transaction was rolled back; retrying works.
        return await _busy_handler(request, exc)
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return await _database_handler(request, exc)
    if isinstance(exc, IntegrityError):
        # A concurrent request changed the same thing first (e.g. two PUTs creating one plan).
        return CONCURRENT_CHANGE.response()
    if isinstance(exc, DataError):
        return INVALID_DATA.response()
    return await _unexpected_handler(request, exc)


def _handler(function: Any) -> ExceptionHandler:
    # Starlette types a handler as taking any Exception; each of these takes the class it
    # is registered for, which is what Starlette calls it with.
    handler: ExceptionHandler = function
    return handler


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _handler(_problem_handler))
    app.add_exception_handler(RequestValidationError, _handler(_validation_handler))
    app.add_exception_handler(StarletteHTTPException, _handler(_http_handler))
    app.add_exception_handler(DBAPIError, _handler(_dbapi_handler))
    app.add_exception_handler(OSError, _handler(_os_error_handler))
    # No pool connection in time (QueuePool limit … reached): a 503, never a 500.
    app.add_exception_handler(PoolTimeoutError, _handler(_busy_handler))
    app.add_exception_handler(Exception, _unexpected_handler)
