"""Rate limits (§13), with the `limits` library: moving windows per API key and, for failed
authentication (401), per client address.

- Every request with an ``Authorization`` header counts against its key (the SHA-256 of
  the header: no database work) under ``RAPPORT_RATE_LIMIT``; over it, 429 ``rate_limited``.
- A 401 counts against the client's address under ``RAPPORT_AUTH_FAILURE_LIMIT``; an
  address over it gets 429 for every request but the probes, before any database work.
- Every response carries ``RateLimit-Policy`` and ``RateLimit`` in the syntax of
  draft-ietf-httpapi-ratelimit-headers-09 (``"key";q=1200;w=60`` and ``"key";r=1199;t=42``),
  a 429 also ``Retry-After``.
- With ``RAPPORT_REDIS_URL`` the counters live in Redis, shared by every process and
  replica; without it, each process counts for itself. When Redis fails, requests go on
  (fail open) counted by this process alone, Redis is tried again after ``REDIS_RETRY_S``,
  and /readyz says ``degraded``.
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse, storage, strategies
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import metrics
from app.core.errors import RATE_LIMITED

log = logging.getLogger("rapport")


# After a Redis failure, this process counts alone for this long before trying Redis again.
REDIS_RETRY_S = 1.0
REDIS_TIMEOUT_S = 0.5
# Probes need no key and answer even to an address over the failure limit (a load balancer
# shares it); a key sent to them is not counted.
_EXEMPT_PATHS = {"/healthz", "/readyz", "/metrics"}
KEY_POLICY = "key"
AUTH_POLICY = "auth-failure"


def parse_rate(value: str) -> RateLimitItem | None:
    """A rate such as '1200/minute' or '30 per 1 minute'; None for 'off'."""
    text = value.strip()
    if text.lower() == "off":
        return None
    try:
        item = parse(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a rate; write e.g. '1200/minute' or '10/second', or 'off'"
        ) from None
    if item.amount < 1:
        raise ValueError(f"{value!r} allows no request; use 'off' to turn the limit off")
    return item


# How often the in-memory counters drop what has left their windows.
MEMORY_EXPIRY_EVERY_S = 1.0


class LoopMemoryStorage(storage.MemoryStorage):
    """`limits`' MemoryStorage with its expiry pass run inline, at most once a second.

    Hand-written because the library's scheduling costs more than the counting: after each
    call it starts a new ``threading.Timer`` (an OS thread) when the previous one has fired,
    10 ms later, so a busy process starts a thread every few requests and waits for it to
    start; py-spy showed that wait (``Thread.start`` → ``Condition.wait``) as most of the rate
    limiter's time. The expiry pass is the library's own; only when it runs is changed. The
    names are the library's private ones (name-mangled), so a test checks that no thread is
    started per call and that expired entries are dropped: an upgrade that renames them
    fails it.
    """

    def __init__(self) -> None:
        super().__init__()  # starts one 10 ms timer; it never runs again
        self._next_expiry = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_expiry:
            self._next_expiry = now + MEMORY_EXPIRY_EVERY_S
            # getattr: mypy does not resolve the library's name-mangled method.
            getattr(self, "_MemoryStorage__expire_events")()  # noqa: B009


@dataclass(frozen=True)
class _State:
    policy: str
    item: RateLimitItem
    remaining: int
    reset_s: int
    allowed: bool

    def policy_field(self) -> str:
        return f'"{self.policy}";q={self.item.amount};w={self.item.get_expiry()}'

    def field(self) -> str:
        return f'"{self.policy}";r={self.remaining};t={self.reset_s}'


class RateLimiter:
    """The counters of one process: Redis (shared) when configured, else memory."""

    def __init__(
        self,
        key_limit: RateLimitItem | None,
        auth_limit: RateLimitItem | None,
        redis_url: str | None = None,
        redis_prefix: str = "rapport",
    ):
        self.key_limit = key_limit
        self.auth_limit = auth_limit
        # In memory, the synchronous storage, called on the event loop: it never waits (a
        # dict and a lock), while the async one runs an expiry pass through
        # `asyncio.to_thread` after every call: a thread hop per call, three calls per
        # authenticated request (seen with py-spy). Its expiry runs inline (above).
        self._memory = strategies.MovingWindowRateLimiter(LoopMemoryStorage())
        self._redis_storage: Storage | None = None
        self._redis: MovingWindowRateLimiter | None = None
        if redis_url:
            self._redis_storage = RedisStorage(
                "async+" + redis_url,
                wrap_exceptions=True,
                key_prefix=f"{redis_prefix}:ratelimit",
                connect_timeout=REDIS_TIMEOUT_S,
                stream_timeout=REDIS_TIMEOUT_S,
            )
            self._redis = MovingWindowRateLimiter(self._redis_storage)
        self._redis_retry_at = 0.0
        self.redis_failed = False

    @property
    def enabled(self) -> bool:
        return self.key_limit is not None or self.auth_limit is not None

    def _shared(self) -> MovingWindowRateLimiter | None:
        if self._redis is not None and time.monotonic() >= self._redis_retry_at:
            return self._redis
        return None

    def _failed(self, exc: Exception) -> None:
        if not self.redis_failed:
            log.warning("rate limits: Redis unavailable (%s); counting per process", exc)
        self.redis_failed = True
        self._redis_retry_at = time.monotonic() + REDIS_RETRY_S

    async def _run(self, hit: bool, item: RateLimitItem, ident: str) -> tuple[bool, Any]:
        limiter = self._shared()
        if limiter is None:
            memory = self._memory
            return (memory.hit(item, ident) if hit else True), memory.get_window_stats(item, ident)
        try:
            allowed = await limiter.hit(item, ident) if hit else True
            stats = await limiter.get_window_stats(item, ident)
        except Exception as exc:
            self._failed(exc)
            return await self._run(hit, item, ident)
        if self.redis_failed:
            log.warning("rate limits: Redis is back")
            self.redis_failed = False
        return allowed, stats

    async def state(self, policy: str, item: RateLimitItem, ident: str, hit: bool) -> _State:
        allowed, stats = await self._run(hit, item, ident)
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        return _State(policy, item, max(0, stats.remaining), reset, allowed)

    async def redis_healthy(self) -> bool | None:
        """None without Redis; else whether Redis answers now."""
        if self._redis_storage is None:
            return None
        try:
            healthy = bool(await self._redis_storage.check())
        except Exception:
            healthy = False
        if healthy and self.redis_failed:
            self._redis_retry_at = 0.0
        return healthy


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _add_headers(message: Message, states: list[_State], retry_after: int | None) -> None:
    if not states:
        return
    headers = list(message.get("headers", []))
    headers.append((b"ratelimit-policy", ", ".join(s.policy_field() for s in states).encode()))
    headers.append((b"ratelimit", ", ".join(s.field() for s in states).encode()))
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    message["headers"] = headers


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RateLimiter):
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = self.limiter
        if scope["type"] != "http" or not limiter.enabled:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        authorization = _header(scope, b"authorization")
        states: list[_State] = []
        auth_item = limiter.auth_limit
        if auth_item is not None:
            auth = await limiter.state(AUTH_POLICY, auth_item, address, hit=False)
            if auth.remaining <= 0 and scope["path"] not in _EXEMPT_PATHS:
                await self._refuse(scope, receive, send, [auth], "failed authentications")
                return
        exempt = scope["path"] in _EXEMPT_PATHS
        if authorization is not None and limiter.key_limit is not None and not exempt:
            ident = hashlib.sha256(authorization).hexdigest()[:32]
            key = await limiter.state(KEY_POLICY, limiter.key_limit, ident, hit=True)
            if not key.allowed:
                await self._refuse(scope, receive, send, [key], "requests with this API key")
                return
            states.append(key)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                shown = list(states)
                if auth_item is not None and (message["status"] == 401 or authorization is None):
                    failed = message["status"] == 401
                    shown.append(await limiter.state(AUTH_POLICY, auth_item, address, failed))
                _add_headers(message, shown, None)
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, states: list[_State], what: str
    ) -> None:
        state = states[0]
        metrics.RATE_LIMITED.labels(
            "api_key" if state.policy == KEY_POLICY else "auth_failure"
        ).inc()
        retry = max(1, state.reset_s)
        response = RATE_LIMITED.response(
            f"Too many {what}: at most {state.item.amount} per {state.item.get_expiry()} s. "
            f"Retry in {retry} s."
        )

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add_headers(message, states, retry)
            await send(message)

        await response(scope, receive, with_headers)
