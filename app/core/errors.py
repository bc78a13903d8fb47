"""One typed error class and the handlers that turn every failure into problem+json."""

import logging
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


def _friendly(err: dict[str, Any]) -> str:
    loc = tuple(err.get("loc", ()))
    name = _field_name(loc) if loc else "value"
    kind = err.get("type", "")
    if kind == "timezone_aware":
        return f"{name} must include a UTC offset, e.g. 2026-11-27T09:30:00Z"
    if kind == "missing":
        return f"{name} is required"
    if kind == "extra_forbidden":
        return f"{name} is not a known field; remove it"
    msg = err.get("msg", "is invalid")
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
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


def validation_problem(items: list[dict[str, Any]], detail: str | None = None) -> ProblemError:
    summary = detail or "; ".join(
        f"{i.get('pointer') or i.get('parameter')}: {i['detail']}" for i in items[:5]
    )
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


async def _http_handler(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code, detail = _HTTP_CODES.get(exc.status_code, ("http_error", str(exc.detail)))
    return problem_response(
        exc.status_code,
        code,
        code.replace("_", " ").capitalize(),
        detail,
        headers=getattr(exc, "headers", None),
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


async def _dbapi_handler(request: Request, exc: DBAPIError) -> JSONResponse:
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
    app.add_exception_handler(PoolTimeoutError, _busy_handler)  # no pool connection in time
    app.add_exception_handler(Exception, _unexpected_handler)
