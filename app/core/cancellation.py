"""A request cancelled from outside (`Task.cancel()`) unwinds as an anyio cancellation.

Work that uses a request's session runs in worker threads (`run_in_threadpool`), and the
session's end (commit or close) is shielded (`app.deps.get_session`). An anyio
cancel-scope cancellation respects those shields: a thread's work runs to its end before
the cancellation is delivered, and the session is then closed and its turn (a slot, the
SQLite write lock) given back. A native `Task.cancel()` does not: it breaks through
anyio's shields at once, so the request's session could be closed (and the write lock
given back) while a thread was still inside a query with it. Seen in CI:
``IllegalStateChangeError: Method 'close()' can't be called here; method
'_connection_for_bind()' is already in progress``.

So the app runs in a task of its own under a cancel scope; when the request's task is
cancelled natively (an ASGI server or test client giving up on a request, a timeout
wrapped around the app), the scope is cancelled instead and the request's task waits for
the app to unwind, then re-raises its cancellation. Hand-written: neither anyio nor
Starlette turns one kind of cancellation into the other.
"""

import asyncio
import contextlib

from anyio import CancelScope

from app.core.middleware import ASGIApp, Receive, Scope, Send


class CancelAsScopeMiddleware:
    """ASGI middleware around every part of the app that uses the database (inside the
    request id, which the 500 handler outside reads from a context variable); see the
    module doc. Lifespan passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        cancel_scope = CancelScope()

        async def run() -> None:
            with cancel_scope:
                await self.app(scope, receive, send)

        task = asyncio.ensure_future(run())
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            cancel_scope.cancel()
            while not task.done():  # cancelled again while the app unwinds: wait on
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(task)
            if not task.cancelled():
                task.exception()  # retrieved: the request is gone, its error with it
            raise
