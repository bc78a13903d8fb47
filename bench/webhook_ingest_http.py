"""Ingest through the real server with three webhook endpoints subscribed to every type,
beside the same rows without endpoints and beside a direct insert (issue 15's target:
≥ 0.5 × direct), called by `bench.webhook_delivery --ingest N` on its embedded setups.

Three users of one database, batch by batch, the order rotating each batch: `hooks` (a
workspace with three enabled endpoints, all types, pointed at the bench's receiver, so the
embedded worker delivers while the ingest runs, as it would), `plain` (a workspace without
endpoints) — both `POST /v1/users/{id}/events:batch` of 1,000 events with an x follow plan
(cap 10, burst 5) — and `direct` (SQLAlchemy Core `insert(event)` executemany of the same
rows, one transaction per batch). The batches are `bench.webhook_ingest`'s worst case: 1,000
outbound follows, posts, replies, messages and likes on x, linkedin and bluesky over 20
days, so most days trip pacing and posting (the first batch emits them, later ones find
them sent) — or, with ``workload="mix"``, the main bench's ingest events
(``bench.datagen.ingest_events``: a CRM's mix over the last 365 days, with counterparts, so
the contacts summary and ``relationship.stage_changed`` get their share). The first batch of
each path is a warm-up and not counted.
"""

import uuid
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from bench.load import percentile
from bench.webhook_ingest import _batch

PLAN = {"weekly_target": 70, "daily_cap": 10, "burst_limit": 5}


def _workspace_key(url: str, name: str) -> str:
    from app.auth import service as auth_service
    from app.core.config import Settings
    from app.core.db import Database

    db = Database(url, Settings(database_url=url))
    try:
        with db.session(write=True) as session:
            ws = auth_service.get_or_create_workspace(session, name)
            _, key = auth_service.create_key(session, ws, "bench")
            session.commit()
    finally:
        db.dispose()
    return key


def _user(http: httpx.Client, name: str, plan: bool) -> str:
    r = http.post("/v1/users", json={"name": name})
    r.raise_for_status()
    uid: str = r.json()["id"]
    if plan:
        http.put(f"/v1/users/{uid}/follow-plans/x", json=PLAN).raise_for_status()
    return uid


def bodies(workload: str, batches: int) -> list[dict[str, Any]]:
    if workload == "worst":
        return [_batch(b) for b in range(batches)]
    from datetime import UTC

    from bench import datagen
    from bench.config import SEED

    events = datagen.ingest_events(batches * 1000, datetime.now(UTC), SEED, 5000)
    return [
        {"events": [datagen.api_body(e) for e in events[i : i + 1000]]}
        for i in range(0, len(events), 1000)
    ]


def run(
    base_url: str, url: str, receiver: Any, batches: int, workload: str = "worst"
) -> dict[str, Any]:
    from app.core.config import Settings
    from app.core.db import Database
    from app.events.models import EVENT_TABLE
    from app.webhooks.models import DELIVERY_TABLE, MESSAGE_TABLE

    tag = uuid.uuid4().hex[:6]
    hooks_key = _workspace_key(url, f"ingest-hooks-{tag}")
    plain_key = _workspace_key(url, f"ingest-plain-{tag}")
    hooks = httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {hooks_key}"})
    plain = httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {plain_key}"})
    hooks.timeout = plain.timeout = httpx.Timeout(120)
    db = Database(url, Settings(database_url=url))
    spent: dict[str, list[float]] = {"hooks": [], "plain": [], "direct": []}
    try:
        for i in range(3):
            name = f"ingest-{tag}-{i}"
            r = hooks.post("/v1/webhooks", json={"url": receiver.url(name)})
            r.raise_for_status()
            receiver.add_secret(name, r.json()["secret"])
        users = {
            "hooks": _user(hooks, "hooks", True),
            "plain": _user(plain, "plain", True),
        }
        direct_user = uuid.UUID(_user(plain, "direct", False))
        paths = ["hooks", "plain", "direct"]
        for b, body in enumerate(bodies(workload, batches + 1)):
            rows = [
                {
                    "id": uuid.uuid4(),
                    "user_id": direct_user,
                    "platform": e["platform"],
                    "kind": e["kind"],
                    "direction": e["direction"],
                    "occurred_at": datetime.fromisoformat(e["occurred_at"]),
                    "is_sales": e.get("is_sales", False),
                    "counterpart": e.get("counterpart"),
                    "url": e.get("url"),
                    "text": e.get("text"),
                    "external_id": e.get("external_id"),
                    "created_at": datetime.now().astimezone(),
                }
                for e in body["events"]
            ]
            for path in paths[b % 3 :] + paths[: b % 3]:  # rotate who goes first
                t = _now()
                if path == "direct":
                    with db.write_engine.begin() as conn:
                        conn.execute(insert(EVENT_TABLE), rows)
                else:
                    http = hooks if path == "hooks" else plain
                    r = http.post(f"/v1/users/{users[path]}/events:batch", json=body)
                    if r.status_code not in (200, 201):
                        raise RuntimeError(f"events:batch answered {r.status_code}: {r.text}")
                if b:  # batch 0 warms up
                    spent[path].append(_now() - t)
        with db.session(write=False) as session:
            messages = session.execute(select(func.count()).select_from(MESSAGE_TABLE)).scalar_one()
            deliveries = session.execute(
                select(func.count()).select_from(DELIVERY_TABLE)
            ).scalar_one()
    finally:
        hooks.close()
        plain.close()
        db.dispose()
    n = batches * 1000
    rate = {p: n / sum(v) for p, v in spent.items()}
    return {
        "workload": workload,
        "batches_each": batches,
        "events_per_s": {p: round(v) for p, v in rate.items()},
        "batch_p50_ms": {p: round(percentile(sorted(v), 50) * 1000, 1) for p, v in spent.items()},
        "ratios": {
            "hooks_vs_direct": round(rate["hooks"] / rate["direct"], 2),
            "plain_vs_direct": round(rate["plain"] / rate["direct"], 2),
            "hooks_vs_plain": round(rate["hooks"] / rate["plain"], 2),
        },
        "messages_in_db_all_phases": messages,
        "deliveries_in_db_all_phases": deliveries,
    }


def _now() -> float:
    import time

    return time.perf_counter()
