"""Log lines (§13): every line of the service, Rapport's and uvicorn's, is one JSON object
(``RAPPORT_LOG_FORMAT=json``, the default when stderr is not a terminal) or one line for a
person (``console``), formatted by structlog; every line written while a request is
answered carries its ``request_id``.

Rapport writes one line per request itself (``app.core.observe``), in place of uvicorn's
access log: time, level, request_id, method, route template, status, duration_ms and
workspace id. It never writes a header, a query string or a body, so never a key, a
secret or a request body.

``rapport serve`` hands ``logging_config`` to uvicorn, which applies it in every worker.
"""

import logging
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from app.core.request_id import current_request_id

LogFormat = Literal["json", "console"]

ACCESS_LOGGER = "rapport.access"
# The members of a request's line, in this order after time, level and event.
ACCESS_FIELDS = ("method", "route", "status", "duration_ms", "workspace_id")


def resolve_format(configured: LogFormat | None, stream: TextIO) -> LogFormat:
    """RAPPORT_LOG_FORMAT, or json unless ``stream`` is a terminal."""
    if configured is not None:
        return configured
    isatty = getattr(stream, "isatty", None)
    return "console" if isatty is not None and isatty() else "json"


def _add_request_id(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    request_id = current_request_id()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def _order(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """time, level, event, request_id first, then the rest as added."""
    first = ("time", "level", "event", "request_id", "logger", *ACCESS_FIELDS)
    ordered = {k: event_dict.pop(k) for k in first if k in event_dict}
    ordered.update(event_dict)
    return ordered


def formatter(format: LogFormat = "json") -> logging.Formatter:
    """The formatter of every handler (a ``()`` factory for logging.config.dictConfig)."""
    pre_chain: list[Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        # Only these members of a record's `extra`: uvicorn adds color_message, say.
        structlog.stdlib.ExtraAdder(allow=ACCESS_FIELDS),
        _add_request_id,
    ]
    renderer: Processor
    if format == "json":
        pre_chain.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _order, renderer],
    )


def logging_config(format: LogFormat, level: int | str) -> dict[str, Any]:
    """uvicorn's ``log_config``: one stderr handler with Rapport's formatter for Rapport's
    loggers, uvicorn's and the rest; uvicorn's access log off (Rapport writes its own)."""
    handler = {"handlers": ["stderr"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"rapport": {"()": "app.core.logs.formatter", "format": format}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "rapport",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "rapport": handler,
            "uvicorn": handler,
            "uvicorn.error": {"level": level},
            # Set on the child: create_app sets "rapport" itself to INFO.
            ACCESS_LOGGER: {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


access_log = logging.getLogger(ACCESS_LOGGER)


def log_request(
    *,
    method: str,
    route: str | None,
    status: int,
    duration_ms: float,
    workspace_id: str | None,
) -> None:
    """The request's one line: INFO, or ERROR for a 5xx (`--log-level warning` keeps
    only those)."""
    level = logging.ERROR if status >= 500 else logging.INFO
    if not access_log.isEnabledFor(level):
        return
    access_log.log(
        level,
        "request",
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(duration_ms, 2),
            "workspace_id": workspace_id,
        },
    )
