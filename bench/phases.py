"""The measured phases: plans over the API, HTTP ingest beside a direct insert, sequential
insight latency beside /healthz, and the concurrent mix beside /healthz."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from bench import load
from bench.datagen import USERS, Ev, api_body, from_us, rfc3339, to_us
from bench.load import Req, percentile

FOLLOW_PLANS = {  # weekly_target etc.; all within §5 limits
    "x": {"weekly_target": 140, "warmup_days": 14},
    "facebook": {"weekly_target": 70},
    "linkedin": {"weekly_target": 70, "active_weekdays": ["mon", "tue", "wed", "thu", "fri"]},
    "instagram": {"weekly_target": 100, "daily_cap": 40},
}
POSTING_PLANS = {
    "x": {"max_posts_per_day": 4},
    "facebook": {},
    "linkedin": {"max_posts_per_day": 1},
    "instagram": {"min_gap_minutes": 120},
}

# Dataset B (issue 12): one Bluesky-only user with a plan on bluesky only.
B_FOLLOW_PLANS = {"bluesky": {"weekly_target": 120, "daily_cap": 30}}
B_POSTING_PLANS = {"bluesky": {"max_posts_per_day": 5, "min_gap_minutes": 30}}


def client(base_url: str, key: str, timeout: float = 120) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, headers={"authorization": f"Bearer {key}"}, timeout=timeout
    )


def put_plans(
    http: httpx.Client,
    user_ids: list[uuid.UUID],
    now: datetime,
    users: int = len(USERS),
    follow_plans: dict[str, dict] = FOLLOW_PLANS,
    posting_plans: dict[str, dict] = POSTING_PLANS,
) -> int:
    """Follow and posting plans (by default on all four platforms for the three users of
    S/H/D), through the API."""
    n = 0
    starts_on = (now - timedelta(days=20)).date().isoformat()
    for uid in user_ids[:users]:
        for platform, body in follow_plans.items():
            r = http.put(
                f"/v1/users/{uid}/follow-plans/{platform}", json={**body, "starts_on": starts_on}
            )
            assert r.status_code in (200, 201), r.text
            r = http.put(f"/v1/users/{uid}/posting-plans/{platform}", json=posting_plans[platform])
            assert r.status_code in (200, 201), r.text
            n += 2
    return n


def platforms_known(http: httpx.Client) -> list[str] | None:
    """The platforms the running app serves in GET /v1/platforms (None: no such endpoint)."""
    r = http.get("/v1/platforms")
    if r.status_code != 200:
        return None
    return [p["platform"] for p in r.json()["items"]]


# ---------------------------------------------------------------------------- ingest


def ingest(
    base_url: str,
    key: str,
    database_url: str,
    http_user: uuid.UUID,
    direct_user: uuid.UUID,
    events: list[Ev],
    batch: int,
) -> dict:
    """The same events twice into one database, batch by batch, interleaved: over HTTP
    (POST …/events:batch) for one user and straight through SQLAlchemy Core
    (insert(Event.__table__) executemany, one transaction per batch) for another."""
    from sqlalchemy import insert

    from app.core.config import Settings
    from app.core.db import Database
    from app.events.models import Event

    batches = [events[i : i + batch] for i in range(0, len(events), batch)]
    bodies = [json.dumps({"events": [api_body(e) for e in b]}).encode() for b in batches]
    db = Database(database_url, Settings(database_url=database_url))
    table = Event.__table__  # type: ignore[attr-defined]
    http_times, direct_times, failures = [], [], []
    created_http = created_direct = 0
    try:
        with client(base_url, key) as http:
            for i, (b, body) in enumerate(zip(batches, bodies, strict=True)):
                now = datetime.now().astimezone()
                rows = [
                    {
                        "id": uuid.uuid4(),
                        "user_id": direct_user,
                        "created_at": now,
                        "platform": e.platform,
                        "kind": e.kind,
                        "direction": e.direction,
                        "occurred_at": from_us(e.occurred_us),
                        "counterpart": e.counterpart,
                        "is_sales": e.is_sales,
                        "url": e.url,
                        "text": e.text,
                        "external_id": e.external_id,
                    }
                    for e in b
                ]
                order = (0, 1) if i % 2 == 0 else (1, 0)  # alternate who goes first
                for which in order:
                    t = time.perf_counter()
                    if which == 0:
                        r = http.post(
                            f"/v1/users/{http_user}/events:batch",
                            content=body,
                            headers={"content-type": "application/json"},
                        )
                        http_times.append(time.perf_counter() - t)
                        if r.status_code != 200:
                            failures.append({"status": r.status_code, "body": r.text[:300]})
                        else:
                            created_http += r.json()["created"]
                    else:
                        with db.write_engine.begin() as conn:
                            conn.execute(insert(table), rows)
                        direct_times.append(time.perf_counter() - t)
                        created_direct += len(rows)
    finally:
        db.dispose()
    n = len(events)
    http_rate = n / sum(http_times)
    direct_rate = n / sum(direct_times)
    lat = sorted(http_times)
    return {
        "requests": len(batches),
        "batch": batch,
        "events": n,
        "http": {
            "events_per_s": round(http_rate),
            "seconds": round(sum(http_times), 3),
            "created": created_http,
            "non_2xx": len(failures),
            "failures": failures[:3],
            "request_p50_ms": round(percentile(lat, 50) * 1000, 1),
            "request_p95_ms": round(percentile(lat, 95) * 1000, 1),
        },
        "direct": {
            "events_per_s": round(direct_rate),
            "seconds": round(sum(direct_times), 3),
            "created": created_direct,
            "method": "SQLAlchemy Core insert(Event.__table__) executemany, one transaction per batch",
        },
        "ratio": round(http_rate / direct_rate, 3),
    }


# ---------------------------------------------------------------------------- latency


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    body: dict | None = None


def insight_endpoints(user_id: uuid.UUID, zone: str, as_of: datetime) -> list[Endpoint]:
    at = rfc3339(to_us(as_of))
    today = as_of.astimezone(ZoneInfo(zone)).date()
    u = f"/v1/users/{user_id}"
    return [
        Endpoint("pacing", "GET", f"{u}/pacing?platform=x&as_of={at}"),
        Endpoint("posting_7d", "GET", f"{u}/posting?as_of={at}"),
        Endpoint(
            "posting_90d",
            "GET",
            f"{u}/posting?from={today - timedelta(days=89)}&to={today}&as_of={at}",
        ),
        Endpoint("sales_ratio_30d", "GET", f"{u}/sales-ratio?window_days=30&as_of={at}"),
        Endpoint("sales_ratio_365d", "GET", f"{u}/sales-ratio?window_days=365&as_of={at}"),
        Endpoint("engagement_7d", "GET", f"{u}/engagement?window_days=7&as_of={at}"),
        Endpoint(
            "checks_follow", "POST", f"{u}/checks", {"action": "follow", "platform": "x", "at": at}
        ),
    ]


def bluesky_endpoints(user_id: uuid.UUID, zone: str, as_of: datetime) -> list[Endpoint]:
    """Dataset B's insights: the same names and windows as S/H/D's, on bluesky, plus the
    post check (Bluesky's budget is shared by posts, likes and follows)."""
    at = rfc3339(to_us(as_of))
    u = f"/v1/users/{user_id}"
    out = []
    for e in insight_endpoints(user_id, zone, as_of):
        if e.name == "pacing":
            e = Endpoint(e.name, e.method, f"{u}/pacing?platform=bluesky&as_of={at}")
        elif e.name == "checks_follow":
            e = Endpoint(e.name, e.method, e.path, {**(e.body or {}), "platform": "bluesky"})
        out.append(e)
    out.append(
        Endpoint(
            "checks_post",
            "POST",
            f"{u}/checks",
            {"action": "post", "platform": "bluesky", "at": at},
        )
    )
    return out


HEALTHZ = Endpoint("healthz", "GET", "/healthz")


def _digest(name: str, answer: dict) -> dict:
    """A few figures of an answer: they show the window holds data (and that H answers
    like S for windows inside the last 60 days)."""
    if name == "pacing":
        return {k: answer.get(k) for k in ("follows_this_week", "follows_today", "status")}
    if name.startswith("posting"):
        return {
            "posts": sum(d["posts"] for s in answer["platforms"] for d in s["days"]),
            "sections": len(answer["platforms"]),
        }
    if name.startswith("sales_ratio"):
        return {k: answer.get(k) for k in ("non_sales", "sales")} | {
            "by_counterpart": len(answer["by_counterpart"])
        }
    if name.startswith("engagement"):
        return {
            k: answer.get(k) for k in ("broadcasts", "interactions", "inbound", "people_engaged")
        }
    if name.startswith("checks"):
        return {
            "allowed": answer.get("allowed"),
            "reasons": [r["code"] for r in answer.get("reasons", [])],
        }
    return {}


def latency(
    base_urls: dict[str, str],
    key: str,
    endpoints: dict[str, list[Endpoint]],
    samples: int,
    warmup: int,
    budget_s: float,
) -> dict[str, dict]:
    """Sequential requests, one keep-alive httpx client per server. All (dataset, endpoint)
    pairs — /healthz of each server included — are interleaved round-robin, so drift and
    noise from the rest of the machine hit figures and baselines alike. A pair stops early
    once it has spent budget_s."""
    pairs = [(ds, e) for ds in base_urls for e in endpoints[ds]]
    times: dict[tuple, list[float]] = {(ds, e.name): [] for ds, e in pairs}
    bad: dict[tuple, list] = {(ds, e.name): [] for ds, e in pairs}
    digests: dict[tuple, dict] = {}
    clients = {ds: client(url, key) for ds, url in base_urls.items()}
    try:

        def call(ds: str, e: Endpoint) -> tuple[float, httpx.Response]:
            http = clients[ds]
            t = time.perf_counter()
            r = http.request(e.method, e.path, json=e.body)
            return time.perf_counter() - t, r

        first: dict[tuple, float] = {}
        for ds, e in pairs:
            for n in range(warmup):
                dt, r = call(ds, e)
                if n == 0:  # the server's first answer to this question: caches are cold
                    first[ds, e.name] = dt
                if r.status_code != 200:
                    bad[ds, e.name].append({"status": r.status_code, "body": r.text[:300]})
            if e.name != "healthz" and r.status_code == 200:
                digests[ds, e.name] = _digest(e.name, r.json())
        for _ in range(samples):
            for ds, e in pairs:
                if sum(times[ds, e.name]) > budget_s:
                    continue
                dt, r = call(ds, e)
                times[ds, e.name].append(dt)
                if r.status_code != 200:
                    bad[ds, e.name].append({"status": r.status_code, "body": r.text[:300]})
    finally:
        for c in clients.values():
            c.close()
    out: dict[str, dict] = {ds: {} for ds in base_urls}
    for ds, e in pairs:
        lat = sorted(times[ds, e.name])
        out[ds][e.name] = {
            "n": len(lat),
            "p50_ms": round(percentile(lat, 50) * 1000, 2),
            "p95_ms": round(percentile(lat, 95) * 1000, 2),
            "mean_ms": round(sum(lat) / len(lat) * 1000, 2),
            "first_ms": round(first[ds, e.name] * 1000, 2) if (ds, e.name) in first else None,
            "non_2xx": len(bad[ds, e.name]),
            "failures": bad[ds, e.name][:3],
            "answer": digests.get((ds, e.name)),
        }
    return out


# ---------------------------------------------------------------------------- concurrency


def concurrency_requests(
    user_ids: list[uuid.UUID], as_of: datetime, n: int, write_share: float, seed: int, tag: str
) -> list[Req]:
    at = rfc3339(to_us(as_of))
    reads: list[Req] = []
    for uid in user_ids[: len(USERS)]:
        u = f"/v1/users/{uid}"
        for platform in ("x", "facebook", "linkedin", "instagram"):
            reads.append(Req("GET", f"{u}/pacing?platform={platform}&as_of={at}"))
        reads += [
            Req("GET", f"{u}/posting?as_of={at}"),
            Req("GET", f"{u}/sales-ratio?window_days=30&as_of={at}"),
            Req("GET", f"{u}/engagement?window_days=7&as_of={at}"),
            Req("POST", f"{u}/checks", json.dumps({"action": "follow", "platform": "x", "at": at})),
            Req(
                "POST",
                f"{u}/checks",
                json.dumps({"action": "post", "platform": "linkedin", "at": at}),
            ),
            Req(
                "POST",
                f"{u}/checks",
                json.dumps(
                    {
                        "action": "sales_contact",
                        "platform": "x",
                        "at": at,
                        "counterpart": "anna_smith1",
                    }
                ),
            ),
        ]
    templates = [
        {"platform": "x", "kind": "follow", "counterpart": "@New_Friend"},
        {
            "platform": "linkedin",
            "kind": "comment",
            "counterpart": "maya.chen12",
            "text": "Great point, thanks!",
        },
        {"platform": "instagram", "kind": "like", "counterpart": "rosa_silva7"},
        {
            "platform": "x",
            "kind": "reply",
            "counterpart": "kai_novak3",
            "text": "Agreed, happy to help.",
        },
        {
            "platform": "facebook",
            "kind": "post",
            "text": "New article on community building.",
            "url": "https://example.com/a",
        },
        {
            "platform": "linkedin",
            "kind": "direct_message",
            "counterpart": "noah_ito9",
            "is_sales": True,
            "text": "Our course opens next week.",
        },
        {"platform": "x", "kind": "follow", "direction": "inbound", "counterpart": "ben.berg44"},
    ]
    occurred = [rfc3339(to_us(as_of - timedelta(minutes=m))) for m in range(1, 7 * 24 * 60, 37)]
    return load.mix(
        n,
        reads,
        templates,
        [str(u) for u in user_ids[: len(USERS)]],
        write_share,
        seed,
        occurred,
        tag,
    )


def bluesky_concurrency_requests(
    user_ids: list[uuid.UUID], as_of: datetime, n: int, write_share: float, seed: int, tag: str
) -> list[Req]:
    """Dataset B's mix: the same shape as S/H/D's, for its one user, all on bluesky."""
    at = rfc3339(to_us(as_of))
    u = f"/v1/users/{user_ids[0]}"

    def check(action: str, **more) -> Req:
        return Req(
            "POST",
            f"{u}/checks",
            json.dumps({"action": action, "platform": "bluesky", "at": at, **more}),
        )

    reads = [
        Req("GET", f"{u}/pacing?platform=bluesky&as_of={at}"),
        Req("GET", f"{u}/posting?as_of={at}"),
        Req("GET", f"{u}/sales-ratio?window_days=30&as_of={at}"),
        Req("GET", f"{u}/engagement?window_days=7&as_of={at}"),
        check("follow"),
        check("post"),
        check("sales_contact", counterpart="anna_smith1"),
    ]
    templates = [
        {"platform": "bluesky", "kind": "like", "counterpart": "rosa_silva7"},
        {"platform": "bluesky", "kind": "follow", "counterpart": "new.friend.bsky.social"},
        {
            "platform": "bluesky",
            "kind": "reply",
            "counterpart": "kai_novak3",
            "text": "Agreed, happy to help.",
        },
        {
            "platform": "bluesky",
            "kind": "post",
            "text": "New article on community building.",
            "url": "https://bsky.app/profile/bea/post/3k",
        },
        {"platform": "bluesky", "kind": "share", "url": "https://bsky.app/profile/x/post/3j"},
        {
            "platform": "bluesky",
            "kind": "direct_message",
            "counterpart": "noah_ito9",
            "is_sales": True,
            "text": "Our course opens next week.",
        },
        {
            "platform": "bluesky",
            "kind": "like",
            "direction": "inbound",
            "counterpart": "ben.berg44",
        },
    ]
    occurred = [rfc3339(to_us(as_of - timedelta(minutes=m))) for m in range(1, 7 * 24 * 60, 37)]
    return load.mix(n, reads, templates, [str(user_ids[0])], write_share, seed, occurred, tag)


def healthz_requests(n: int) -> list[Req]:
    return [Req("GET", "/healthz", kind="healthz")] * n
