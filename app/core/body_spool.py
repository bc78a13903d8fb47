"""A large request body read as a stream into a temporary file, in bounded memory.

``BodySpool`` is filled from the request's ASGI stream by the worker thread that reads it:
when a reader needs bytes that have not arrived yet, it asks the event loop for the next
chunk (``anyio.from_thread``), appends it to the file and goes on. So the body is read
only as far as its reader has got (a file refused at its header is never read to the end),
memory holds a chunk at a time, and the first pass over the body, which reads it as it
arrives, can be followed by more passes over the complete file (``open`` from the start
again). Errors of the stream (the request gate's 413 past the body limit, the client going
away) are raised to the reader where they happened.
"""

import io
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Self

import anyio.from_thread

# The raw reads of a stream from ``open`` (a read waits until it is full, or the body
# ends, so a text decoder over it sees the same chunks however the body arrived).
_READ_SIZE = 64 * 1024


class BodySpool:
    """The body of one request, spooled to an anonymous temporary file (deleted on close).
    Use from one worker thread at a time (the thread given by ``run_in_threadpool``)."""

    def __init__(self, chunks: AsyncIterator[bytes]):
        self._chunks = chunks
        self._file = tempfile.TemporaryFile(prefix="rapport-body-")  # noqa: SIM115 (close())
        self._fd = self._file.fileno()
        self.size = 0  # bytes received so far
        self.complete = False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def _receive(self) -> None:
        """Append the next chunk of the stream (in a worker thread: the stream is read on the
        event loop)."""
        chunk = anyio.from_thread.run(_next_or_none, self._chunks)
        if chunk is None:
            self.complete = True
        elif chunk:
            os.pwrite(self._fd, chunk, self.size)
            self.size += len(chunk)

    def _fill_to(self, end: int) -> None:
        while self.size < end and not self.complete:
            self._receive()

    def read_at(self, position: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``position``, waiting for them to arrive; fewer only at
        the end of the body."""
        self._fill_to(position + size)
        return os.pread(self._fd, size, position)

    def open(self) -> io.BufferedReader:
        """A binary stream over the body from its first byte (reading waits for the body
        to arrive)."""
        return io.BufferedReader(_Reader(self), buffer_size=_READ_SIZE)


async def _next_or_none(chunks: AsyncIterator[bytes]) -> bytes | None:
    try:
        return await chunks.__anext__()
    except StopAsyncIteration:
        return None


class _Reader(io.RawIOBase):
    def __init__(self, spool: BodySpool):
        self._spool = spool
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: "memoryview | bytearray") -> int:  # type: ignore[override]
        data = self._spool.read_at(self._position, max(len(buffer), 1))
        size = min(len(data), len(buffer))
        buffer[:size] = data[:size]
        self._position += size
        return size


Opener = Callable[[], io.BufferedReader]
