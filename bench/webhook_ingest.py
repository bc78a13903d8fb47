"""Ingest with and without three webhook endpoints subscribed to every type, in-process
(TestClient), on a fresh SQLite file or the PostgreSQL database given:

    .venv/bin/python -m bench.webhook_ingest [DATABASE_URL]

Each run: a new workspace and user with an x follow plan (cap 10, burst 5), 15 batches of
1,000 outbound events (follows, posts, replies, messages, likes on x, linkedin, bluesky over
20 days, 5 % of contacts sales): a worst case where most days trip pacing and posting.
Direct and with-endpoints runs alternate twice; quote `uptime` beside the figures.
"""

import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from app.auth import service as auth_service
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.main import create_app

KINDS = ["follow", "post", "reply", "direct_message", "like"]
CONTACTS = {"post", "reply", "direct_message"}


def _batch(seed: int) -> dict[str, Any]:
    base = datetime.now(UTC) - timedelta(days=20)
    rnd = random.Random(seed)
    events = []
    for _ in range(1000):
        kind = rnd.choice(KINDS)
        event = {
            "platform": rnd.choice(["x", "linkedin", "bluesky"]),
            "kind": kind,
            "direction": "outbound",
            "occurred_at": (base + timedelta(minutes=rnd.randrange(20 * 1440))).isoformat(),
        }
        if kind in CONTACTS:
            event["is_sales"] = rnd.random() < 0.05
        events.append(event)
    return {"events": events}


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    settings = Settings(
        database_url=url,
        rate_limit="off",
        auth_failure_limit="off",
        webhook_allow_loopback=True,
        secret_key="bench",
    )
    db = Database(url, settings)
    app = create_app(settings, db)

    def run(hooks: int, batches: int) -> float:
        with db.session(write=True) as session:
            ws = auth_service.get_or_create_workspace(session, f"bench-{uuid.uuid4().hex[:6]}")
            _, key = auth_service.create_key(session, ws, "bench")
            session.commit()
        c = TestClient(app, headers={"Authorization": f"Bearer {key}"})
        for _ in range(hooks):
            assert c.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/h"}).status_code == 201
        uid = c.post("/v1/users", json={"name": "u"}).json()["id"]
        plan = {"weekly_target": 70, "daily_cap": 10, "burst_limit": 5}
        c.put(f"/v1/users/{uid}/follow-plans/x", json=plan)
        bodies = [_batch(i) for i in range(batches)]
        start = time.perf_counter()
        for body in bodies:
            response = c.post(f"/v1/users/{uid}/events:batch", json=body)
            assert response.status_code in (200, 201), response.text
        return time.perf_counter() - start

    n = 15
    run(0, 2)  # warm-up
    for label, hooks in (("direct", 0), ("3 endpoints", 3), ("direct", 0), ("3 endpoints", 3)):
        seconds = run(hooks, n)
        print(
            f"{label:12s} {n} batches of 1000: {seconds:.2f} s = {n * 1000 / seconds:,.0f} events/s"
        )
    db.dispose()


if __name__ == "__main__":
    main()
