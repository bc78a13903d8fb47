"""Sizes of the full and smoke benchmarks, and the targets (issue 5)."""

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Sizes:
    s_events: int  # dataset S: events over `history_days`
    h_events: int  # dataset H: events over `history_days`, last `recent_days` = S's
    d_events: int  # dataset D: events all within the last `d_days`
    b_events: int = 20_000  # dataset B: one Bluesky-only user, events within the last `b_days`
    history_days: int = 730
    recent_days: int = 60
    d_days: int = 365
    b_days: int = 365
    handles: int = 5000  # counterparts per user (Zipf-ish)
    ingest_requests: int = 100
    ingest_batch: int = 1000
    latency_samples: int = 200
    latency_warmup: int = 20
    latency_budget_s: float = 60.0  # per endpoint and dataset; fewer samples when exceeded
    concurrency_clients: int = 32
    concurrency_requests: int = 5000
    concurrency_write_share: float = 0.2
    workers: int = 2

    def override(self, **values) -> "Sizes":
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in values.items() if k in known and v is not None})


SCALES = {
    "full": Sizes(s_events=10_000, h_events=1_000_000, d_events=1_000_000),
    "smoke": Sizes(
        s_events=300,
        h_events=600,
        d_events=300,
        b_events=300,
        handles=200,
        ingest_requests=3,
        ingest_batch=50,
        latency_samples=5,
        latency_warmup=1,
        latency_budget_s=5.0,
        concurrency_requests=50,
        workers=1,
    ),
}


@dataclass(frozen=True)
class Targets:
    ingest_http_vs_direct_min: float = 0.5  # HTTP events/s ≥ 0.5 × direct
    h_vs_s_p50_max: float = 1.2  # H p50 ≤ 1.2 × S p50, every insight
    s_vs_healthz_p50_max: float = 3.0  # S p50 ≤ 3 × healthz p50
    d_vs_healthz_p50_max: float = 5.0  # D p50 ≤ 5 × healthz p50
    b_vs_healthz_p50_max: float = 3.0  # B (one Bluesky user, issue 12) p50 ≤ 3 × healthz p50
    worker_rss_mb_max: float = 250.0  # peak RSS per worker
    non_2xx_max: int = 0


TARGETS = Targets()

SEED = 20261127
