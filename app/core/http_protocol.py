"""HTTP details uvicorn leaves open (SPEC §13): slow clients are cut off. (The other one,
a 405 that lists every allowed method, is in app.core.errors.)

Read timeout. uvicorn (0.54) has no request read timeout: ``timeout_keep_alive`` only runs
between a response and the next request, so a client that opens a connection and sends
nothing, or dribbles its request line, headers or body a byte at a time (slowloris), keeps
the connection, its memory and its place under any concurrency limit for ever. No option
of uvicorn, httptools or h11 covers it (``h11_max_incomplete_event_size`` limits size, not
time), so this subclass of uvicorn's httptools protocol arms a timer instead: a request
must arrive whole, line, headers and body, within ``RAPPORT_READ_TIMEOUT_S`` of its first
byte, and a new connection must start one within that time. When it fires, the client
gets a 408 problem if nothing has been answered on the connection yet, and the connection
is closed either way. ``rapport serve`` passes this class to uvicorn.
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.core.config import get_settings
from app.core.errors import PROBLEM_MEDIA_TYPE, REQUEST_TIMEOUT


def _timeout_response(seconds: float, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    body = REQUEST_TIMEOUT.encoded(
        f"The request did not arrive whole within {seconds:g} s of its first byte; "
        "send it again, all at once."
    )
    lines = [b"HTTP/1.1 408 Request Timeout"]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [
        b"content-type: " + PROBLEM_MEDIA_TYPE.encode(),
        b"content-length: " + str(len(body)).encode(),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class ReadTimeoutHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on reading each request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_timeout = get_settings().read_timeout_s
        self._read_timer: asyncio.TimerHandle | None = None
        self._reading = False  # between a request's first byte and its last
        self._headers_done = False

    def _arm_read_timer(self) -> None:
        if self._read_timer is None:
            self._read_timer = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _cancel_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    # uvicorn's own signature narrows asyncio.Protocol's BaseTransport to Transport (and
    # carries the same ignore); this override keeps uvicorn's.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_read_timer()  # the first request must start (and end) within the timeout

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading = True
        self._headers_done = False
        self._arm_read_timer()  # on a new connection the timer runs from connection_made

    def on_headers_complete(self) -> None:
        self._headers_done = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading = False
        self._cancel_read_timer()
        cycle = self.cycle
        if (
            cycle is not None
            and cycle.response_complete
            and not self.pipeline
            and self.timeout_keep_alive_task is None
            and not self.transport.is_closing()
        ):
            # The app answered before the body ended (e.g. a 413), and each chunk since
            # cancelled uvicorn's keep-alive timer: arm it again, or the connection idles for ever.
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if self._reading and not self.pipeline:
            # A 408 can be written only while no response is under way or sent for this
            # request: still reading its headers (self.cycle, if any, is the previous,
            # complete request), or reading the body of a request not yet answered.
            if not self._headers_done:
                answer = cycle is None or cycle.response_complete
            else:
                answer = cycle is not None and not cycle.response_started
                if answer:
                    # The app is waiting for the body: from now on it sees a disconnect and
                    # its sends are dropped.
                    cycle.disconnected = True
                    cycle.message_event.set()
            if answer:
                self.transport.write(
                    _timeout_response(self.read_timeout, self.server_state.default_headers)
                )
        self.logger.debug(
            "closed a connection whose request did not arrive within %g s", self.read_timeout
        )
        self.transport.close()
