"""Request gatekeeping before routing: body size, content type and well-formed JSON.

A pure ASGI middleware: it buffers JSON bodies (at most ``max_body_bytes``), so every JSON
route sees either a complete, well-formed body or nothing at all. The other bodies
(``OtherBody``: the CSV import, up to 32 MiB) are not buffered: the gate checks their
media type on the first chunk and counts their bytes as the route reads them; past the
limit the read raises a 413 problem (``PAYLOAD_TOO_LARGE``), which the route answers (and,
should it escape the app before a response started, the gate does).
"""

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect

from app.core.errors import (
    MALFORMED_JSON,
    PAYLOAD_TOO_LARGE,
    PROBLEM_MEDIA_TYPE,
    UNSUPPORTED_MEDIA_TYPE,
    Problem,
    ProblemError,
)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_BODY_METHODS = {"POST", "PUT", "PATCH"}


@dataclass(frozen=True)
class OtherBody:
    """Routes (by path suffix) that take a body other than JSON: its media types (the
    first is the one named in a 415) and its own size limit. Such a body is streamed to
    the route, not buffered."""

    suffix: str
    media_types: tuple[str, ...]
    max_bytes: int


class _BadJson(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _BadJson(f"the key '{key[:50]}' appears twice in one object; send it once")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise _BadJson(f"{name} is not valid JSON; send a finite number or null")


# A \uD800–\uDFFF escape, or the bytes UTF-8 would use for one (json.loads decodes bytes
# with "surrogatepass").
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def _has_lone_surrogate(value: Any) -> bool:
    """Whether a string anywhere in the document holds a lone UTF-16 surrogate (from a
    \\uD800-style escape): not a Unicode character, and no database can store it."""
    stack = [value]
    while stack:  # iterative: the document may be nested as deeply as the parser allows
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def check_json(body: bytes) -> str | None:
    """None when the body is strict JSON, else a sentence saying what is wrong."""
    try:
        document = json.loads(body, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except _BadJson as exc:
        return str(exc)
    except UnicodeDecodeError:
        return "the body is not valid UTF-8; send JSON encoded as UTF-8"
    except RecursionError:
        return "the JSON is nested too deeply"
    except ValueError as exc:
        return f"the body is not valid JSON ({exc}); check quotes, commas and brackets"
    # A surrogate can only come from such an escape or byte sequence: documents without
    # one, nearly all of them, skip the walk.
    if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(document):
        return (
            "a string holds a lone surrogate escape (such as \\ud800), which is not a Unicode "
            "character; send text as valid UTF-8"
        )
    return None


async def _send_problem(send: Send, problem: Problem, detail: str) -> None:
    body = problem.encoded(detail)
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _media_type(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return None


def _is_json(media: str) -> bool:
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class RequestGateMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, other_bodies: Sequence[OtherBody] = ()):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.other_bodies = tuple(other_bodies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        other = next((b for b in self.other_bodies if path.endswith(b.suffix)), None)
        limit = other.max_bytes if other else self.max_body_bytes
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _send_problem(
                    send,
                    PAYLOAD_TOO_LARGE,
                    f"The body is over {limit} bytes; split it into smaller requests "
                    "(events:batch takes up to 1000 events).",
                )
                return
        if other is not None:
            await self._stream(other, scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send_problem(send, PAYLOAD_TOO_LARGE, _too_large(limit))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)

        if body:
            media = _media_type(scope["headers"])
            if media is None or not _is_json(media):
                await _send_problem(
                    send, UNSUPPORTED_MEDIA_TYPE, _unsupported(media, "application/json")
                )
                return
            problem = check_json(body)
            if problem:
                await _send_problem(send, MALFORMED_JSON, problem)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _stream(self, other: OtherBody, scope: Scope, receive: Receive, send: Send) -> None:
        """The app with a receive that counts the body and raises the 413 problem past
        ``other.max_bytes``; the media type is checked when the first chunk is not empty."""
        first = await receive()
        if first["type"] == "http.disconnect":
            return
        if first.get("body") or first.get("more_body", False):
            media = _media_type(scope["headers"])
            if media not in other.media_types:
                await _send_problem(
                    send, UNSUPPORTED_MEDIA_TYPE, _unsupported(media, other.media_types[0])
                )
                return
        size = 0
        pending: Message | None = first
        disconnected = started = False

        async def counted() -> Message:
            nonlocal size, pending, disconnected
            if pending is not None:
                message, pending = pending, None
            else:
                message = await receive()
            if message["type"] == "http.disconnect":
                disconnected = True
            size += len(message.get("body", b""))
            if size > other.max_bytes:
                raise PAYLOAD_TOO_LARGE.error(_too_large(other.max_bytes))
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except ClientDisconnect:
            if not disconnected:
                raise  # not the body's client going away: an error, as elsewhere
        except ProblemError as exc:
            if started or exc.problem is not PAYLOAD_TOO_LARGE:
                raise
            await _send_problem(send, PAYLOAD_TOO_LARGE, _too_large(other.max_bytes))


def _too_large(limit: int) -> str:
    return f"The body is over {limit} bytes; split it into smaller requests."


def _unsupported(media: str | None, accepted: str) -> str:
    return (
        f"Content-Type {media or '(missing)'} is not accepted here; send "
        f"'Content-Type: {accepted}'."
    )
