"""Request ids (§13): a client's ``Request-Id`` (or ``X-Request-Id``) is kept when it is 1 to
200 visible ASCII characters, otherwise one is made; it is echoed in the response, added to
every log line of the request (``app.core.logs``) and to every problem body
(``app.core.errors``), all read from one context variable.

Hand-written rather than asgi-correlation-id: that middleware reads one header name only
(this reads ``Request-Id``, then ``X-Request-Id``), and its validators accept UUIDs only,
where §13 keeps any id of at most 200 visible ASCII characters. What is left is these few
lines.
"""

import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "Request-Id"
_REQUEST_HEADERS = ((b"request-id", HEADER), (b"x-request-id", "X-Request-Id"))
# VCHAR (RFC 5234): %x21-7E, so no space and no control character.
_VALID = re.compile(rb"[\x21-\x7e]{1,200}")

_current: ContextVar[str | None] = ContextVar("rapport_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being answered (None outside a request)."""
    return _current.get()


def _client_id(scope: Scope) -> tuple[str, str] | None:
    """The client's id and the header it came in, if it sent a valid one."""
    headers = dict(scope.get("headers") or [])
    for raw_name, name in _REQUEST_HEADERS:
        value = headers.get(raw_name)
        if value is not None and _VALID.fullmatch(value):
            return value.decode("ascii"), name
    return None


class RequestIdMiddleware:
    """The outermost middleware: every answer, a refused preflight or a 413 included,
    carries the id. The context variable is not reset when the app raises, so the 500
    answered by Starlette's outermost error handler still has it (each request runs in a
    task, and so in a context, of its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = _client_id(scope)
        request_id, sent_as = found if found else (str(uuid.uuid4()), HEADER)
        _current.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[HEADER] = request_id
                if sent_as != HEADER:  # echoed under the name the client used too
                    headers[sent_as] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)
