"""One HTTP attempt of a delivery, with no database in sight (the worker commits its claim
before and records the outcome after, each in a short transaction of its own).

The URL is checked again here and the connection goes to the address that was checked
(``urls.resolve_target``): the request is sent to that IP with the name in the Host header
and as the TLS server name (httpcore's ``sni_hostname``), so a name that resolves elsewhere
a moment later (DNS rebinding) is never connected to, and the certificate is still verified
against the name. No proxies from the environment, no redirects followed (a 3xx is a
failed attempt), 10 s timeout for each of connect, read, write and the pool.
"""

import threading
import time
from dataclasses import dataclass

import httpx

from app.webhooks import urls
from app.webhooks.secrets import sign

TIMEOUT_S = 10.0
USER_AGENT = "Rapport-Webhooks/1"


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status_code: int | None
    error: str | None


def _error(text: str) -> str:
    return text[:500]


def post(
    client: httpx.Client,
    url: str,
    msg_id: str,
    body: str,
    secrets_: list[str],
    allow_loopback: bool,
    resolver: urls.Resolver | None = None,
    wall_clock: float | None = None,
) -> Attempt:
    """POST ``body`` to ``url`` signed with every secret; 2xx is success."""
    try:
        target = urls.resolve_target(url, allow_loopback, resolver)
    except urls.UrlRefused as exc:
        return Attempt(False, None, _error(f"refused: {exc}"))
    timestamp = int(wall_clock if wall_clock is not None else time.time())
    parsed = httpx.URL(url)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "host": parsed.netloc.decode("ascii"),
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secrets_, msg_id, timestamp, body),
    }
    try:
        # The answer's body is never read: only its status counts (a receiver that streams
        # an endless body cannot hold the worker).
        with client.stream(
            "POST",
            parsed.copy_with(host=target.address),
            content=body.encode(),
            headers=headers,
            extensions={"sni_hostname": target.host},
        ) as response:
            status_code = response.status_code
    except httpx.TimeoutException:
        return Attempt(False, None, _error(f"timeout: no answer within {TIMEOUT_S:g} s"))
    except httpx.HTTPError as exc:
        return Attempt(False, None, _error(f"{type(exc).__name__}: {exc}"))
    ok = 200 <= status_code < 300
    return Attempt(ok, status_code, None if ok else f"HTTP {status_code}")


class Clients:
    """One connection pool per host name: connections are made to checked addresses, so
    the pool's key is an IP; a pool per name keeps a TLS connection negotiated (and its
    certificate verified) for one name from carrying another name's requests."""

    def __init__(self) -> None:
        self._clients: dict[str, httpx.Client] = {}
        self._lock = threading.Lock()

    def for_url(self, url: str) -> httpx.Client:
        host = httpx.URL(url).host
        with self._lock:
            return self._get(host)

    def _get(self, host: str) -> httpx.Client:
        client = self._clients.get(host)
        if client is None:
            client = self._clients[host] = httpx.Client(
                timeout=httpx.Timeout(TIMEOUT_S),
                trust_env=False,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=16, max_keepalive_connections=4),
            )
        return client

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
