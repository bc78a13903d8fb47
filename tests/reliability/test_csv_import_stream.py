"""The CSV import reads its body as a stream (issue 17), against a real `rapport serve`.

The client writes its body a piece at a time on a raw socket and, before each piece, looks
whether an answer has come. TCP flow control makes this a test of how far the server read,
not of time: a server that reads the body only as its parser gets to it stops reading when
it refuses the file, so the client's writes stall (the loopback buffers hold a few MiB)
until the answer arrives. A server that buffers the whole body first (the code before
issue 17: the request gate held up to 32 MiB) reads all of it, so the client finishes
sending before any answer.
"""

import json
import select
import socket
from collections.abc import Iterator

import pytest

from app.events.csv_router import MAX_IMPORT_BYTES
from tests.databases import throwaway_database
from tests.support.processes import TEST_KEY, RapportServer

# 400 bytes a row: 32 MiB is reached before the 100,000-row limit.
ROW = b"x,post,2026-11-02T10:00:00Z," + b"a" * 370 + b"\r\n"
PIECE = 64 * 1024


@pytest.fixture(scope="module")
def server(backend, tmp_path_factory) -> Iterator[RapportServer]:
    directory = tmp_path_factory.mktemp(f"csv-stream-{backend}")
    with throwaway_database(backend, directory) as url:
        s = RapportServer(url, log=directory / "server.log", env={"RAPPORT_RATE_LIMIT": "off"})
        try:
            yield s
        finally:
            s.stop()


@pytest.fixture(scope="module")
def user_id(server) -> str:
    with server.client() as c:
        r = c.post("/v1/users", json={"name": "stream"})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


def _pieces(first: bytes, total: int) -> Iterator[bytes]:
    """``first``, then rows, in PIECE-sized pieces, ``total`` bytes in all."""
    rows = ROW * (PIECE // len(ROW) + 1)
    sent = 0
    data = first
    while sent < total:
        while len(data) < PIECE:
            data += rows
        piece = data[: min(PIECE, total - sent)]
        data = data[len(piece) :]
        sent += len(piece)
        yield piece


def _send_until_answered(
    server: RapportServer, user_id: str, first: bytes, total: int, chunked: bool
) -> tuple[int, dict, int]:
    """(status, problem body, body bytes sent before the answer was seen)."""
    head = [
        f"POST /v1/users/{user_id}/events:import HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Authorization: Bearer {TEST_KEY}",
        "Content-Type: text/csv",
        "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}",
    ]
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=120) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        pieces = _pieces(first, total)
        answered = False
        while not answered:
            readable, writable, _ = select.select([sock], [sock], [], 120)
            if readable:
                answered = True
            elif writable:
                piece = next(pieces, None)
                if piece is None:
                    if chunked:
                        sock.sendall(b"0\r\n\r\n")
                    # Everything sent: now wait for the answer.
                    readable, _, _ = select.select([sock], [], [], 120)
                    assert readable, "no answer 120 s after the whole body was sent"
                    answered = True
                else:
                    sock.sendall(b"%x\r\n%b\r\n" % (len(piece), piece) if chunked else piece)
                    sent += len(piece)
            else:
                pytest.fail("the server neither read nor answered for 120 s")
        sock.settimeout(60)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        header, _, body = answer.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in header.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += sock.recv(65536)
    return int(header.split()[1]), json.loads(body), sent


def test_a_file_refused_at_its_header_is_answered_before_its_body_is_sent(server, user_id):
    """30 MiB (under the 32 MiB limit) after a header the import cannot use: the 422 comes
    while the client is still sending, after the server read a few MiB at most."""
    total = 30 << 20
    status, problem, sent = _send_until_answered(
        server, user_id, b"nope,nada\r\n", total, chunked=False
    )
    assert (status, problem["code"]) == (422, "invalid_csv_header"), problem
    assert sent < total // 2, f"the client sent {sent} of {total} bytes before the answer"


def test_a_body_past_the_limit_is_refused_as_it_arrives(server, user_id):
    """A well-formed file sent chunked (no Content-Length) past 32 MiB: a 413 problem once
    the server has counted the limit, before the client has sent its 64 MiB; nothing is
    written."""
    total = 64 << 20
    status, problem, sent = _send_until_answered(
        server, user_id, b"platform,kind,occurred_at,text\r\n", total, chunked=True
    )
    assert (status, problem["code"]) == (413, "payload_too_large"), problem
    assert MAX_IMPORT_BYTES <= sent < total, sent
    with server.client() as c:
        assert c.get(f"/v1/users/{user_id}/events").json()["items"] == []


def _long_rows(count: int, salt: str) -> bytes:
    text = "b" * 4000
    return (
        "platform,kind,occurred_at,text,external_id\r\n"
        + "".join(f"x,post,2026-11-02T10:00:00Z,{text},{salt}-{i}\r\n" for i in range(count))
    ).encode()


def test_an_idempotency_key_on_a_large_import_replays_and_refuses_another_body(server):
    """The Idempotency-Key middleware spools a body over 1 MiB to disk and hashes it a
    chunk at a time: the same 1.9 MiB file again is the kept answer, another file with the
    key is refused, and a body past 32 MiB is still the gate's 413."""
    with server.client(timeout=120) as c:
        uid = c.post("/v1/users", json={"name": "idempotent import"}).json()["id"]
        body = _long_rows(500, "a")
        assert len(body) > 1 << 20  # over what is spooled in memory
        headers = {"Content-Type": "text/csv", "Idempotency-Key": f"import-{uid}"}
        url = f"/v1/users/{uid}/events:import"
        first = c.post(url, content=body, headers=headers)
        assert first.status_code == 200 and first.json()["created"] == 500, first.text[:300]
        again = c.post(url, content=body, headers=headers)
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.json() == first.json()
        other = c.post(url, content=_long_rows(500, "b"), headers=headers)
        assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
        too_large = c.post(
            url,
            content=iter([_long_rows(500, "c")] * 17),  # chunked: no Content-Length
            headers={**headers, "Idempotency-Key": f"large-{uid}"},
        )
        assert (too_large.status_code, too_large.json()["code"]) == (413, "payload_too_large")
        listed = c.get(f"/v1/users/{uid}/events", params={"limit": 500}).json()
        assert len(listed["items"]) == 500 and listed.get("next_cursor") is None
