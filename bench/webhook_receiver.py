"""A webhook receiver for the delivery bench: its own process, an asyncio HTTP/1.1 server
on 127.0.0.1 that answers every POST 200 at once (keep-alive) and appends one JSON line per
arrival to a file: the wall-clock arrival instant, the ``webhook-id``, whether the
official ``standardwebhooks`` library verified the signature, the body's type, user id,
date and timestamp.

    python -m bench.webhook_receiver --port P --secrets SECRETS.json --out ARRIVALS.jsonl

SECRETS.json maps a request path (``/h/<name>``) to that endpoint's ``whsec_…`` secret; it
is read again whenever a path is not known yet (the bench writes it after creating the
endpoints, before any trigger). Every delivery is verified (an HMAC-SHA256: microseconds).
"""

import argparse
import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any, TextIO

from standardwebhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self, secrets_path: Path, out: TextIO):
        self.secrets_path = secrets_path
        self.out = out
        self.hooks: dict[str, Webhook] = {}

    def _hook(self, path: str) -> Webhook | None:
        if path not in self.hooks and self.secrets_path.exists():
            secrets = json.loads(self.secrets_path.read_text())
            self.hooks = {p: Webhook(s) for p, s in secrets.items()}
        return self.hooks.get(path)

    def record(self, path: str, headers: dict[str, str], body: bytes, arrived: float) -> None:
        hook = self._hook(path)
        verified, payload = False, None
        if hook is not None:
            try:
                payload = hook.verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
        if payload is None:
            try:
                payload = json.loads(body)
            except ValueError:
                payload = {}
        data: dict[str, Any] = payload.get("data") or {}
        line = {
            "at": arrived,
            "path": path,
            "id": headers.get("webhook-id"),
            "verified": verified,
            "type": payload.get("type"),
            "timestamp": payload.get("timestamp"),
            "user_id": data.get("user_id"),
            "date": data.get("date"),
            "limit": data.get("limit"),
        }
        self.out.write(json.dumps(line) + "\n")
        self.out.flush()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for raw in lines[1:]:
                    if ":" in raw:
                        name, value = raw.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                arrived = time.time()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
                if method == "POST":
                    self.record(path, headers, body, arrived)
                if headers.get("connection", "").lower() == "close":
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


async def serve(port: int, secrets_path: Path, out_path: Path) -> None:
    with out_path.open("a") as out:
        receiver = Receiver(secrets_path, out)
        server = await asyncio.start_server(receiver.handle, "127.0.0.1", port, backlog=256)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with server:
            print(f"receiver listening on 127.0.0.1:{port}", flush=True)
            await stop.wait()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--secrets", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    asyncio.run(serve(a.port, a.secrets, a.out))


if __name__ == "__main__":
    main()
