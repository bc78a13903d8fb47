"""Targets (met or not) and the printed / Markdown tables."""

from __future__ import annotations

from bench.config import TARGETS

INSIGHTS = (
    "pacing",
    "posting_7d",
    "posting_90d",
    "sales_ratio_30d",
    "sales_ratio_365d",
    "engagement_7d",
    "checks_follow",
)
B_INSIGHTS = (*INSIGHTS, "checks_post")  # dataset B (one Bluesky user) also checks a post
OLD_DATASETS = ("S", "H", "D")  # the four platforms of v1; B is bluesky (issue 12)


def _is_b(target: dict) -> bool:
    return target.get("dataset") == "B"  # older results have no B (nor this field)


def _r(a, b):
    return round(a / b, 2) if a is not None and b else None


def evaluate(results: dict) -> list[dict]:
    """One row per target: figure, baseline, ratio, limit, met."""
    t = TARGETS
    rows = []
    ing = results.get("ingest")
    if ing:
        rows.append(
            {
                "target": "ingest: HTTP events/s ≥ 0.5 × direct insert",
                "figure": ing["http"]["events_per_s"],
                "baseline": ing["direct"]["events_per_s"],
                "ratio": ing["ratio"],
                "limit": f"≥ {t.ingest_http_vs_direct_min}",
                "met": ing["ratio"] >= t.ingest_http_vs_direct_min,
            }
        )
    lat = results.get("latency", {})
    for name in INSIGHTS:
        s, h = (lat.get(k, {}).get(name) for k in ("S", "H"))
        if s and h:
            ratio = _r(h["p50_ms"], s["p50_ms"])
            rows.append(
                {
                    "target": f"{name}: H p50 ≤ 1.2 × S p50",
                    "figure": h["p50_ms"],
                    "baseline": s["p50_ms"],
                    "ratio": ratio,
                    "limit": f"≤ {t.h_vs_s_p50_max}",
                    "met": ratio <= t.h_vs_s_p50_max,
                }
            )
    for ds, limit in (
        ("S", t.s_vs_healthz_p50_max),
        ("D", t.d_vs_healthz_p50_max),
        ("B", t.b_vs_healthz_p50_max),
    ):
        block = lat.get(ds, {})
        base = block.get("healthz")
        for name in B_INSIGHTS if ds == "B" else INSIGHTS:
            if name in block and base:
                ratio = _r(block[name]["p50_ms"], base["p50_ms"])
                rows.append(
                    {
                        "target": f"{name}: {ds} p50 ≤ {limit:g} × healthz p50",
                        "dataset": ds,
                        "figure": block[name]["p50_ms"],
                        "baseline": base["p50_ms"],
                        "ratio": ratio,
                        "limit": f"≤ {limit:g}",
                        "met": ratio <= limit,
                    }
                )
    for ds, c in results.get("concurrency", {}).items():
        errors = c["mix"]["non_2xx"] + sum(
            c["mix"]["socket_errors"].get(k, 0) for k in ("connect", "read", "write", "timeout")
        )
        rows.append(
            {
                "target": f"{ds} concurrency: non-2xx + socket errors = 0",
                "dataset": ds,
                "figure": errors,
                "baseline": None,
                "ratio": None,
                "limit": "= 0",
                "met": errors == 0,
            }
        )
    for ds, m in results.get("memory", {}).items():
        peak = m["max_worker_vmhwm_mb"]
        rows.append(
            {
                "target": f"{ds}: peak RSS per worker ≤ {t.worker_rss_mb_max:g} MB",
                "dataset": ds,
                "figure": peak,
                "baseline": None,
                "ratio": None,
                "limit": f"≤ {t.worker_rss_mb_max:g}",
                "met": peak is not None and peak <= t.worker_rss_mb_max,
            }
        )
    return rows


def failures(results: dict) -> list[str]:
    """Every request that did not succeed (these fail a run, smoke or full)."""
    out = []
    ing = results.get("ingest")
    if ing and (ing["http"]["non_2xx"] or ing["http"]["created"] != ing["events"]):
        out.append(
            f"ingest: {ing['http']['non_2xx']} failed requests, {ing['http']['created']} of "
            f"{ing['events']} events created"
        )
    for ds, block in results.get("latency", {}).items():
        for name, v in block.items():
            if v["non_2xx"]:
                out.append(f"latency {ds} {name}: {v['non_2xx']} non-2xx, e.g. {v['failures'][:1]}")
    for ds, c in results.get("concurrency", {}).items():
        for which in ("mix", "healthz"):
            r = c[which]
            errs = sum(
                r["socket_errors"].get(k, 0) for k in ("connect", "read", "write", "timeout")
            )
            if r["non_2xx"] or errs or r["requests"] < r["planned"]:
                out.append(
                    f"concurrency {ds} {which}: {r['non_2xx']} non-2xx, {errs} socket errors, "
                    f"{r['requests']} of {r['planned']} requests answered, statuses {r['statuses']}"
                )
    return out


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "**NO**"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(results: dict) -> str:
    m = results["machine"]
    meta = results["meta"]
    skipped = [f"*{why}.*" for why in results.get("skipped", {}).values()]
    parts = [
        (
            f"**{meta['database']} / {meta['scale']}** — {m['cpu_model']}, {m['cpu_cores']} cores, "
            f"{m['ram_gb']} GB RAM; Python {m['python']}; {results.get('database_version', '')}; "
            f"server `rapport serve --workers {meta['sizes']['workers']}`; load average at start "
            f"{meta.get('loadavg_start')}, end {meta.get('loadavg_end')}."
        ),
        *(["", *skipped] if skipped else []),
        "",
        "Seeding (fastest bulk path):",
        _table(
            ["dataset", "events", "seconds", "rows/s", "method"],
            [
                [ds, s["rows"], s["seconds"], s["rows_per_s"], s["method"]]
                for ds, s in results.get("seeding", {}).items()
            ],
        ),
    ]
    ing = results.get("ingest")
    if ing:
        parts += [
            "",
            f"Ingest ({ing['requests']} × events:batch of {ing['batch']}):",
            _table(
                ["path", "events/s", "seconds", "request p50 ms", "request p95 ms"],
                [
                    [
                        "HTTP POST events:batch",
                        ing["http"]["events_per_s"],
                        ing["http"]["seconds"],
                        ing["http"]["request_p50_ms"],
                        ing["http"]["request_p95_ms"],
                    ],
                    [
                        "direct SQLAlchemy Core executemany",
                        ing["direct"]["events_per_s"],
                        ing["direct"]["seconds"],
                        None,
                        None,
                    ],
                    ["ratio HTTP / direct", ing["ratio"], None, None, None],
                ],
            ),
        ]
    lat = results.get("latency", {})
    if lat:
        header = ["endpoint"]
        for ds in lat:
            header += [f"{ds} p50", f"{ds} p95"]
        header += ["H/S p50", "S/healthz", "D/healthz"] + (["B/healthz"] if "B" in lat else [])
        rows = []
        for name in ("healthz", *(B_INSIGHTS if "B" in lat else INSIGHTS)):
            row = [name]
            for ds in lat:
                v = lat[ds].get(name)
                row += [v and v["p50_ms"], v and v["p95_ms"]]

            def g(ds, n=name):
                return lat.get(ds, {}).get(n, {}).get("p50_ms")

            row += [
                _r(g("H"), g("S")),
                _r(g("S"), lat.get("S", {}).get("healthz", {}).get("p50_ms")),
                _r(g("D"), lat.get("D", {}).get("healthz", {}).get("p50_ms")),
            ]
            if "B" in lat:
                row.append(_r(g("B"), lat["B"].get("healthz", {}).get("p50_ms")))
            rows.append(row)
        parts += [
            "",
            "Insight latency (ms; sequential, one keep-alive client; as_of = seeding now"
            + ("; B: one Bluesky user, pacing and checks on bluesky" if "B" in lat else "")
            + "):",
            _table(header, rows),
        ]
        few = [
            f"{ds} {name} n={v['n']}"
            for ds in lat
            for name, v in lat[ds].items()
            if v["n"] < results["meta"]["sizes"]["latency_samples"]
        ]
        cold = [
            [name] + [lat[ds].get(name, {}).get("first_ms") for ds in lat]
            for name in B_INSIGHTS
            if any(lat[ds].get(name, {}).get("first_ms") is not None for ds in lat)
        ]
        if cold:
            title = (
                "First request of each insight on a freshly started server (ms): its statements are "
                "compiled, and where it uses the window cache (posting, sales ratio, engagement) "
                "the window's whole days are counted from the events:"
            )
            parts += ["", title, _table(["endpoint", *lat], cold)]
        if few:
            parts.append(
                f"\nFewer samples (the pair hit its {results['meta']['sizes']['latency_budget_s']:g} s "
                f"budget): {', '.join(few)}."
            )
    conc = results.get("concurrency", {})
    if conc:
        rows = []
        for ds, c in conc.items():
            for which in ("mix", "healthz"):
                r = c[which]
                rows.append(
                    [
                        ds,
                        which,
                        r["requests"],
                        r["requests_per_s"],
                        r["p50_ms"],
                        r["p99_ms"],
                        r["non_2xx"],
                        r["client_cpu_s"],
                        r["server_workers_cpu_s"],
                        r["machine_busy_cpu_s"],
                    ]
                )
        client = next(iter(conc.values()))["mix"]["client"]
        parts += [
            "",
            f"Concurrency ({client}, 32 connections; mix = 80 % insight reads, 20 % event writes):",
            _table(
                [
                    "dataset",
                    "load",
                    "requests",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "non-2xx",
                    "client CPU s",
                    "server CPU s",
                    "machine busy CPU s",
                ],
                rows,
            ),
        ]
    mem = results.get("memory", {})
    if mem:
        parts += [
            "",
            "Peak RSS (VmHWM) per worker, MB:",
            _table(
                ["dataset", "workers", "max"],
                [
                    [
                        ds,
                        ", ".join(str(w["vmhwm_mb"]) for w in v["workers"]),
                        v["max_worker_vmhwm_mb"],
                    ]
                    for ds, v in mem.items()
                ],
            ),
        ]
    targets = results.get("targets", [])
    if targets:
        parts += [
            "",
            "Targets:",
            _table(
                ["target", "figure", "baseline", "ratio", "limit", "met"],
                [
                    [t["target"], t["figure"], t["baseline"], t["ratio"], t["limit"], t["met"]]
                    for t in targets
                ],
            ),
        ]
    return "\n".join(parts) + "\n"


def _socket_errors(run: dict) -> int:
    errors = run.get("socket_errors") or {}
    return sum(errors.get(k, 0) for k in ("connect", "read", "write", "timeout"))


def comparison(before: dict, after: dict) -> str:
    """Markdown: the figures of two runs side by side (p50 ms and each run's ratio to its own
    healthz, ingest, mix, memory, targets met). Runs on different machines or days differ in
    absolute speed; the ratios to a baseline taken in the same run travel better."""

    def commit(r):
        return (r.get("machine", {}).get("git", {}).get("commit") or "?")[:7]

    b, a = commit(before), commit(after)
    rows = []
    with_b = any("B" in r.get("latency", {}) for r in (before, after))
    for ds in (*OLD_DATASETS, "B") if with_b else OLD_DATASETS:
        hb = before.get("latency", {}).get(ds, {}).get("healthz", {}).get("p50_ms")
        ha = after.get("latency", {}).get(ds, {}).get("healthz", {}).get("p50_ms")
        for name in ("healthz", *B_INSIGHTS) if ds == "B" else INSIGHTS:
            vb = before.get("latency", {}).get(ds, {}).get(name, {}).get("p50_ms")
            va = after.get("latency", {}).get(ds, {}).get(name, {}).get("p50_ms")
            rows.append([f"{ds} {name}", vb, va, _r(vb, hb), _r(va, ha)])
    parts = [_table(["p50", f"{b} ms", f"{a} ms", f"{b} ×healthz", f"{a} ×healthz"], rows)]
    more = []
    ib, ia = before.get("ingest"), after.get("ingest")
    if ib and ia:
        more.append(
            [
                "ingest HTTP events/s (× direct)",
                f"{_fmt(ib['http']['events_per_s'])} ({ib['ratio']})",
                f"{_fmt(ia['http']['events_per_s'])} ({ia['ratio']})",
            ]
        )
    for ds in (*OLD_DATASETS, "B"):
        cb = before.get("concurrency", {}).get(ds, {}).get("mix")
        ca = after.get("concurrency", {}).get(ds, {}).get("mix")
        if ds == "B" and (cb or ca):
            more.append(
                ["B mix req/s, p99 ms, non-2xx + socket errors"]
                + [
                    f"{_fmt(c['requests_per_s'])}, {_fmt(c['p99_ms'])}, {c['non_2xx'] + _socket_errors(c)}"
                    if c
                    else "skipped"
                    for c in (cb, ca)
                ]
            )
        elif cb and ca:
            more.append(
                [f"{ds} mix req/s, p99 ms, non-2xx + socket errors"]
                + [
                    f"{_fmt(c['requests_per_s'])}, {_fmt(c['p99_ms'])}, {c['non_2xx'] + _socket_errors(c)}"
                    for c in (cb, ca)
                ]
            )

    def peak(r, datasets):
        mem = r.get("memory", {})
        return max(
            (mem[ds]["max_worker_vmhwm_mb"] for ds in datasets if ds in mem),
            default=None,
        )

    more.append(
        [
            "peak RSS per worker (S, H, D), MB",
            peak(before, OLD_DATASETS),
            peak(after, OLD_DATASETS),
        ]
    )
    if with_b:
        more.append(["peak RSS per worker (B), MB", peak(before, ("B",)), peak(after, ("B",))])

    def met(r, b):
        ts = [t for t in r.get("targets", []) if _is_b(t) == b]
        return f"{sum(t['met'] for t in ts)} of {len(ts)}" if ts else "skipped"

    more.append(["targets met (S, H, D, ingest)", met(before, False), met(after, False)])
    if with_b:
        more.append(["targets met (B)", met(before, True), met(after, True)])
    parts += ["", _table(["", b, a], more)]
    return "\n".join(parts) + "\n"
