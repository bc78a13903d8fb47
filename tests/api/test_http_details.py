"""SPEC §13 "HTTP details" on a real `rapport serve`: slow clients are cut off
(RAPPORT_READ_TIMEOUT_S), a 405 lists every allowed method, and idle keep-alive
connections stay reusable for RAPPORT_KEEP_ALIVE_S (uvicorn's own 5 s dropped them).

SQLite only (a fresh file per module); the backend does not matter at the HTTP layer."""

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.processes import TEST_KEY, RapportServer

READ_TIMEOUT_S = 1


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[RapportServer]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAPPORT_READ_TIMEOUT_S", str(READ_TIMEOUT_S))
        s = RapportServer(f"sqlite:///{tmp_path_factory.mktemp('http') / 'http.db'}")
    yield s
    s.stop()


def _connect(server: RapportServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _read_all(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    start = time.monotonic()
    sock.settimeout(limit)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        raise AssertionError(f"still open after {limit} s; got {data[:200]!r}") from None
    except ConnectionResetError:
        pass
    return data, time.monotonic() - start


def test_slow_headers_are_cut_off_while_the_server_keeps_answering(server):
    """200 slowloris connections (a byte of header every 0.2 s, never finishing) are all
    closed about READ_TIMEOUT_S after they started; /healthz answers meanwhile."""
    count = 200
    socks = [_connect(server) for _ in range(count)]
    opened = time.monotonic()
    for s in socks:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    closed_after: list[float] = []
    answers: list[bytes] = []
    stop = threading.Event()

    def dribble() -> None:
        while not stop.is_set():
            for s in socks:
                with contextlib.suppress(OSError):
                    s.send(b"a")
            time.sleep(0.2)

    dribbler = threading.Thread(target=dribble)
    dribbler.start()
    try:
        with httpx.Client(base_url=server.url, timeout=5) as c:
            assert c.get("/healthz").status_code == 200  # while 200 connections dribble
        for s in socks:
            data, _ = _read_all(s, limit=READ_TIMEOUT_S + 5)
            closed_after.append(time.monotonic() - opened)
            answers.append(data)
    finally:
        stop.set()
        dribbler.join()
        for s in socks:
            s.close()
    assert max(closed_after) < READ_TIMEOUT_S + 4, max(closed_after)
    assert min(closed_after) >= READ_TIMEOUT_S * 0.7, min(closed_after)
    # The request had started, so each got a 408 problem before the close.
    for data in answers:
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), data[:200]
        assert b"application/problem+json" in head and b"connection: close" in head.lower()
        assert json.loads(body)["code"] == "request_timeout"
    with httpx.Client(base_url=server.url, timeout=5) as c:
        assert c.get("/healthz").status_code == 200


def test_a_connection_that_sends_nothing_is_closed_silently(server):
    with _connect(server) as s:
        data, took = _read_all(s, limit=READ_TIMEOUT_S + 5)
    assert data == b"" and took >= READ_TIMEOUT_S * 0.9


def test_a_slow_body_gets_a_408_problem_and_the_connection_closes(server):
    with _connect(server) as s:
        s.sendall(
            b"POST /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + TEST_KEY.encode()
            + b'\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"name": '
        )
        started = time.monotonic()
        data = b""
        s.settimeout(0.25)
        while time.monotonic() - started < READ_TIMEOUT_S + 5:  # a byte every 0.25 s
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                s.send(b" ")
                continue
            if not chunk:
                break
            data += chunk
        else:
            raise AssertionError(f"still open after {READ_TIMEOUT_S + 5} s; got {data[:200]!r}")
    took = time.monotonic() - started
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), data[:300]
    assert json.loads(body)["code"] == "request_timeout"
    assert READ_TIMEOUT_S * 0.9 <= took < READ_TIMEOUT_S + 3, took
    with server.client(timeout=5) as c:  # nothing was created
        assert c.get("/v1/users").json()["items"] == []


def test_a_prompt_request_on_a_slow_network_is_not_cut(server):
    """The timeout is per request, from its first byte: a request in a few pieces that
    arrives within it, on a connection kept open across several such requests, is served."""
    with _connect(server) as s:
        for _ in range(3):
            for piece in (b"GET /healthz HTTP/1.1\r\n", b"Host: x\r\n", b"\r\n"):
                s.sendall(piece)
                time.sleep(READ_TIMEOUT_S / 5)
            assert _read_response(s).startswith(b"HTTP/1.1 200")


def test_405_lists_every_allowed_method(server):
    with server.client(timeout=5) as c:
        for method, path, allowed in [
            ("OPTIONS", "/v1/users", "GET, POST"),  # it said "POST" alone
            ("PUT", "/v1/users", "GET, POST"),
            ("DELETE", "/v1/me", "GET"),
        ]:
            r = c.request(method, path)
            assert r.status_code == 405, (method, path, r.text)
            assert r.headers["allow"] == allowed, (method, path)
            body = r.json()
            assert body["code"] == "method_not_allowed" and allowed in body["detail"]


def _read_response(sock: socket.socket) -> bytes:
    """One whole response (head and Content-Length body); b"" when the server closed."""
    sock.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.lower().split(b"\r\n")
        if line.startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _request_on(sock: socket.socket) -> bytes:
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    return _read_response(sock)


def test_an_idle_keep_alive_connection_outlives_uvicorns_5_s(server):
    """A client's pool reuses a connection idle for 5.5 s: with uvicorn's default of 5 s
    the server had closed it ("Server disconnected without sending a response")."""
    with _connect(server) as s:
        assert _request_on(s).startswith(b"HTTP/1.1 200")
        time.sleep(5.5)
        assert _request_on(s).startswith(b"HTTP/1.1 200")


def test_the_keep_alive_setting_is_honoured(tmp_path):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAPPORT_KEEP_ALIVE_S", "1")
        s = RapportServer(f"sqlite:///{tmp_path / 'ka.db'}")
    try:
        with _connect(s) as sock:
            assert _request_on(sock).startswith(b"HTTP/1.1 200")
            data, took = _read_all(sock, limit=4)
        assert data == b"" and 0.8 <= took < 3, took
    finally:
        s.stop()
