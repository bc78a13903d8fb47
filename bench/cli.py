"""`python -m bench run`: the Rapport benchmark (issue 5). See bench/README.md."""

from __future__ import annotations

import gc
import json
import os
import secrets
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bench import databases, datagen, machine, phases, report
from bench.config import SCALES, SEED, TARGETS
from bench.server import Server

HERE = Path(__file__).resolve().parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

app = typer.Typer(
    help="Rapport benchmark: the real `rapport serve`, figures beside their baselines.",
    no_args_is_help=True,
    add_completion=False,
)


class Backend(StrEnum):
    sqlite = "sqlite"
    postgres = "postgres"


class Scale(StrEnum):
    full = "full"
    smoke = "smoke"


class LoadClient(StrEnum):
    wrk = "wrk"
    python = "python"


def log(msg: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


@app.command()
def run(
    database: Annotated[Backend, typer.Option(help="Database to benchmark.")] = Backend.sqlite,
    scale: Annotated[
        Scale, typer.Option(help="full (issue 5 sizes) or smoke (tiny, for make test).")
    ] = Scale.full,
    output: Annotated[
        list[Path] | None,
        typer.Option(
            help="Where to write results (repeatable). Default: full → bench/results.json and "
            "bench/results-<database>.json; smoke → bench/out/results-smoke-<database>.json."
        ),
    ] = None,
    postgres_url: Annotated[
        str | None,
        typer.Option(
            help="Admin URL of the PostgreSQL server; the bench creates and drops its own databases there. "
            "Default: $RAPPORT_BENCH_POSTGRES_URL, $RAPPORT_TEST_POSTGRES_URL or " + DEFAULT_PG
        ),
    ] = None,
    now: Annotated[
        str | None, typer.Option(help="The seeding's 'now' (RFC 3339); default: this minute.")
    ] = None,
    s_events: Annotated[int | None, typer.Option(help="Size of dataset S.")] = None,
    h_events: Annotated[int | None, typer.Option(help="Size of dataset H.")] = None,
    d_events: Annotated[int | None, typer.Option(help="Size of dataset D.")] = None,
    b_events: Annotated[
        int | None,
        typer.Option(
            help="Size of dataset B (one Bluesky user; skipped when the app lacks bluesky)."
        ),
    ] = None,
    handles: Annotated[
        int | None, typer.Option(help="Distinct counterparts per dataset stream.")
    ] = None,
    ingest_requests: Annotated[int | None, typer.Option(help="events:batch requests.")] = None,
    ingest_batch: Annotated[
        int | None, typer.Option(help="Events per events:batch request.")
    ] = None,
    latency_samples: Annotated[
        int | None, typer.Option(help="Sequential samples per endpoint.")
    ] = None,
    latency_warmup: Annotated[
        int | None, typer.Option(help="Warm-up requests per endpoint.")
    ] = None,
    latency_budget: Annotated[
        float | None,
        typer.Option(help="Seconds one endpoint may spend per dataset before it stops sampling."),
    ] = None,
    concurrency_requests: Annotated[
        int | None, typer.Option(help="Requests of the concurrent mix.")
    ] = None,
    clients: Annotated[int | None, typer.Option(help="Concurrent connections.")] = None,
    workers: Annotated[int | None, typer.Option(help="rapport serve --workers.")] = None,
    load_client: Annotated[
        LoadClient,
        typer.Option(help="wrk (required for real figures) or python (asyncio fallback)."),
    ] = LoadClient.wrk,
    profile: Annotated[
        bool | None,
        typer.Option(
            help="Profile the slowest insight (py-spy + SQL timings). Default: on for full."
        ),
    ] = None,
    keep: Annotated[bool, typer.Option(help="Keep the databases afterwards.")] = False,
    strict: Annotated[bool, typer.Option(help="Exit 2 when a target is missed.")] = False,
    app_ref: Annotated[
        str | None,
        typer.Option(
            help="Benchmark the app as committed at this git ref (e.g. HEAD), exported to bench/out/, "
            "instead of the working tree (which others may be editing during a long run)."
        ),
    ] = None,
) -> None:
    """Seed S, H, D (and B, one Bluesky user, when the app knows bluesky), run the server
    on each, measure; print a table and write JSON."""
    if app_ref:
        _rerun_on_snapshot(app_ref)
        return
    sizes = SCALES[scale.value].override(
        s_events=s_events,
        h_events=h_events,
        d_events=d_events,
        b_events=b_events,
        handles=handles,
        ingest_requests=ingest_requests,
        ingest_batch=ingest_batch,
        latency_samples=latency_samples,
        latency_warmup=latency_warmup,
        latency_budget_s=latency_budget,
        concurrency_requests=concurrency_requests,
        concurrency_clients=clients,
        workers=workers,
    )
    if load_client == LoadClient.wrk:
        from bench.load import require_wrk

        require_wrk()
    if profile is None:
        profile = scale == Scale.full
    admin_url = None
    if database == Backend.postgres:
        admin_url = (
            postgres_url
            or os.environ.get("RAPPORT_BENCH_POSTGRES_URL")
            or os.environ.get("RAPPORT_TEST_POSTGRES_URL")
            or DEFAULT_PG
        )
    if output is None:
        output = (
            [HERE / "results.json", HERE / f"results-{database.value}.json"]
            if scale == Scale.full
            else [HERE / "out" / f"results-smoke-{database.value}.json"]
        )
    seed_now = (
        datetime.fromisoformat(now).astimezone(UTC)
        if now
        else datetime.now(UTC).replace(second=0, microsecond=0)
    )
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    run_dir = (
        out_dir / f"run-{database.value}-{scale.value}-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
    )
    run_dir.mkdir()
    key = "rpk_bench" + secrets.token_urlsafe(24)
    results: dict = {
        "meta": {
            "scale": scale.value,
            "database": database.value,
            "seed": SEED,
            "now": seed_now.isoformat(),
            "sizes": sizes.__dict__,
            "load_client": load_client.value,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "loadavg_start": machine.loadavg(),
            "run_dir": str(run_dir),
        },
        "machine": machine.describe(),
        "targets_spec": TARGETS.__dict__,
    }
    t_run = time.perf_counter()

    with ExitStack() as stack:
        # ---------------------------------------------------------------- seeding
        targets: dict[str, databases.Target] = {}
        users: dict[str, list] = {}
        results["seeding"], results["datasets"] = {}, {}
        for ds in ("S", "H", "D"):
            _seed_dataset(
                ds,
                sizes,
                seed_now,
                database,
                out_dir,
                admin_url,
                keep,
                key,
                stack,
                results,
                targets,
                users,
            )
        results["datasets"]["H_recent_equals_S"] = _recent_equal(targets, users, seed_now, sizes)

        # ---------------------------------------------------------------- servers
        # Booted one after the other: uvicorn's supervisor kills a worker that does not answer
        # its health-check ping within 5 s, which parallel boots on 2 cores provoke.
        servers = {
            ds: Server(targets[ds].url, key, sizes.workers, run_dir / f"server-{ds}.log")
            for ds in targets
        }
        for server in servers.values():
            server.start()
            stack.callback(server.stop)
            server.wait_ready()
        log(f"servers up in {[s.start_seconds for s in servers.values()]} s")

        for ds, server in servers.items():
            with phases.client(server.base_url, key) as http:
                phases.put_plans(http, users[ds], seed_now)
        endpoints = {
            ds: [
                phases.HEALTHZ,
                *phases.insight_endpoints(users[ds][0], datagen.USERS[0][1], seed_now),
            ]
            for ds in servers
        }

        # ---------------------------------------------------------------- B: one Bluesky user
        # Only when the app serves bluesky (an older --app-ref may not): S, H and D stay as
        # they were, so their figures compare with earlier runs.
        with phases.client(servers["S"].base_url, key) as http:
            known = phases.platforms_known(http)
        if known is not None and "bluesky" in known:
            _seed_dataset(
                "B",
                sizes,
                seed_now,
                database,
                out_dir,
                admin_url,
                keep,
                key,
                stack,
                results,
                targets,
                users,
            )
            servers["B"] = Server(targets["B"].url, key, sizes.workers, run_dir / "server-B.log")
            servers["B"].start()
            stack.callback(servers["B"].stop)
            servers["B"].wait_ready()
            with phases.client(servers["B"].base_url, key) as http:
                phases.put_plans(
                    http, users["B"], seed_now, 1, phases.B_FOLLOW_PLANS, phases.B_POSTING_PLANS
                )
            endpoints["B"] = [
                phases.HEALTHZ,
                *phases.bluesky_endpoints(users["B"][0], datagen.B_USERS[0][1], seed_now),
            ]
            log(f"B (one Bluesky user) seeded, its server up in {servers['B'].start_seconds} s")
        else:
            commit = os.environ.get("BENCH_APP_COMMIT", "")[:12] or "the working tree"
            listed = f"lists only {', '.join(known)}" if known is not None else "does not exist"
            results["skipped"] = {
                "B": f"dataset B (one Bluesky user) skipped: the app at {commit} does not know "
                f"bluesky (GET /v1/platforms {listed})"
            }
            log(results["skipped"]["B"])
        log("plans set; measuring insight latency")
        results["latency"] = phases.latency(
            {ds: s.base_url for ds, s in servers.items()},
            key,
            endpoints,
            sizes.latency_samples,
            sizes.latency_warmup,
            sizes.latency_budget_s,
        )
        from bench import load

        results["concurrency"] = {}
        for ds, server in servers.items():
            log(
                f"concurrency on {ds}: {sizes.concurrency_requests:,} requests, {sizes.concurrency_clients} clients"
            )
            mix = (
                phases.bluesky_concurrency_requests if ds == "B" else phases.concurrency_requests
            )(
                users[ds],
                seed_now,
                sizes.concurrency_requests,
                sizes.concurrency_write_share,
                SEED,
                f"{ds}{os.getpid()}",
            )
            results["concurrency"][ds] = {
                "mix": load.run(
                    load_client.value,
                    server.base_url,
                    key,
                    mix,
                    sizes.concurrency_clients,
                    run_dir,
                    server.cpu,
                ),
                "healthz": load.run(
                    load_client.value,
                    server.base_url,
                    key,
                    phases.healthz_requests(sizes.concurrency_requests),
                    sizes.concurrency_clients,
                    run_dir,
                    server.cpu,
                ),
            }
            c = results["concurrency"][ds]
            c["ratio_rps_mix_vs_healthz"] = round(
                c["mix"]["requests_per_s"] / c["healthz"]["requests_per_s"], 3
            )
        results["memory"] = {ds: s.memory() for ds, s in servers.items()}
        results["server_start_s"] = {ds: s.start_seconds for ds, s in servers.items()}

        # ---------------------------------------------------------------- ingest (on S's server, last)
        log("ingest over HTTP beside a direct insert (into S's database, two users of their own)")
        events = datagen.ingest_events(
            sizes.ingest_requests * sizes.ingest_batch, seed_now, SEED, sizes.handles
        )
        results["ingest"] = phases.ingest(
            servers["S"].base_url,
            key,
            targets["S"].url,
            users["S"][3],
            users["S"][4],
            events,
            sizes.ingest_batch,
        )
        results["ingest"]["memory"] = servers["S"].memory()
        log(
            f"  HTTP {results['ingest']['http']['events_per_s']:,} events/s, direct "
            f"{results['ingest']['direct']['events_per_s']:,} events/s"
        )
        del events
        results["worker_restarts"] = {ds: s.restarts() for ds, s in servers.items()}

        if profile:
            results["profile"] = _profile(results, servers, targets, key, endpoints, run_dir)
            results["profile_ingest"] = _profile_ingest(
                servers["S"], key, users["S"][3], seed_now, sizes, run_dir
            )
        for server in servers.values():
            server.stop()

    results["meta"]["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["meta"]["seconds"] = round(time.perf_counter() - t_run, 1)
    results["meta"]["loadavg_end"] = machine.loadavg()
    results["targets"] = report.evaluate(results)
    results["targets_met"] = all(t["met"] for t in results["targets"])
    results["failures"] = report.failures(results)
    results["all_requests_ok"] = not results["failures"]
    for path in output:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(report.markdown(results))
    if results["failures"]:
        print("FAILED REQUESTS:\n  " + "\n  ".join(results["failures"]), file=sys.stderr)
        raise typer.Exit(1)
    missed = [t["target"] for t in results["targets"] if not t["met"]]
    if missed:
        print(
            f"{len(missed)} target(s) missed"
            + (" (not enforced in smoke mode)" if scale == Scale.smoke else ""),
            file=sys.stderr,
        )
        if strict and scale == Scale.full:
            raise typer.Exit(2)
    log(f"wrote {', '.join(str(p) for p in output)}")


def _seed_dataset(
    ds, sizes, seed_now, database, out_dir, admin_url, keep, key, stack, results, targets, users
) -> None:
    """Generate dataset `ds`, load it into a fresh database of its own, record the figures."""
    t = time.perf_counter()
    events = datagen.dataset(ds, sizes, seed_now, SEED)
    gen_s = time.perf_counter() - t
    target = stack.enter_context(
        databases.fresh_database(database.value, ds, out_dir, admin_url, keep)
    )
    ids = databases.prepare(target, key, datagen.users_of(ds))
    if database == Backend.sqlite:
        results.setdefault("sqlite_format_check", databases.check_sqlite_format(target, ids[0]))
    seeded = databases.seed(target, events, ids)
    seeded["generate_s"] = round(gen_s, 2)
    stored = databases.count_events(target)
    assert stored == len(events), f"{ds}: stored {stored} of {len(events)} events"
    results["seeding"][ds] = seeded
    results["datasets"][ds] = datagen.summary(events, datagen.users_of(ds))
    targets[ds], users[ds] = target, ids
    results.setdefault("database_version", databases.database_version(target))
    log(
        f"seeded {ds}: {len(events):,} events in {seeded['seconds']} s "
        f"({seeded['rows_per_s']:,} rows/s; generated in {gen_s:.1f} s)"
    )
    del events
    gc.collect()


def _rerun_on_snapshot(ref: str) -> None:
    """Export app/ and migrations/ at `ref` and run this same command from there: the bench
    process and every `rapport serve` it starts then import that snapshot (PYTHONPATH and
    the working directory come before the editable install's finder)."""
    import subprocess

    root = HERE.parent
    commit = subprocess.run(
        ["git", "rev-parse", ref], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    snap = HERE / "out" / f"app-{commit[:12]}"
    if not (snap / "app").exists():
        snap.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", commit, "app", "migrations"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(snap)], input=archive, check=True)
    argv = sys.argv[1:]
    for i, a in enumerate(argv):  # drop --app-ref X / --app-ref=X
        if a == "--app-ref":
            argv = argv[:i] + argv[i + 2 :]
            break
        if a.startswith("--app-ref="):
            argv = argv[:i] + argv[i + 1 :]
            break
    for i, a in enumerate(argv):  # the re-run works elsewhere: make --output paths absolute
        if a == "--output" and i + 1 < len(argv):
            argv[i + 1] = str(Path(argv[i + 1]).resolve())
        elif a.startswith("--output="):
            argv[i] = "--output=" + str(Path(a.split("=", 1)[1]).resolve())
    env = {**os.environ, "PYTHONPATH": f"{snap}{os.pathsep}{root}", "BENCH_APP_COMMIT": commit}
    log(f"benchmarking the app at {ref} = {commit[:12]} (snapshot {snap})")
    code = subprocess.call([sys.executable, "-m", "bench", *argv], cwd=snap, env=env)
    raise typer.Exit(code)


def _recent_equal(targets, users, seed_now, sizes) -> bool:
    """H's events of the last `recent_days` are exactly S's (same ids)."""
    from datetime import timedelta

    from sqlalchemy import create_engine, text

    since = seed_now - timedelta(days=sizes.recent_days)
    got = {}
    for ds in ("S", "H"):
        engine = create_engine(targets[ds].url)
        with engine.connect() as conn:
            if targets[ds].backend == "sqlite":
                rows = conn.execute(
                    text("SELECT id FROM event WHERE occurred_at >= :t"),
                    {"t": datagen.sqlite_instant(datagen.to_us(since))},
                ).scalars()
                got[ds] = {str(r).replace("-", "") for r in rows}
            else:
                rows = conn.execute(
                    text("SELECT id FROM event WHERE occurred_at >= :t"), {"t": since}
                ).scalars()
                got[ds] = {str(r).replace("-", "") for r in rows}
        engine.dispose()
    return got["S"] == got["H"] and len(got["S"]) > 0


def _profile(results, servers, targets, key, endpoints, run_dir) -> dict:
    from bench import profiling

    slowest = max(
        (
            (ds, name, v["p50_ms"])
            for ds, block in results["latency"].items()
            for name, v in block.items()
            if name != "healthz"
        ),
        key=lambda x: x[2],
    )
    ds, name, p50 = slowest
    ep = next(e for e in endpoints[ds] if e.name == name)
    log(f"profiling the slowest insight: {name} on {ds} (p50 {p50} ms)")
    out = {"dataset": ds, "endpoint": name, "p50_ms": p50, "path": ep.path}
    seconds = min(30.0, max(6.0, p50 / 1000 * 40))
    out["py_spy"] = profiling.py_spy(
        servers[ds].proc.pid,
        servers[ds].base_url,
        key,
        ep.method,
        ep.path,
        ep.body,
        seconds,
        run_dir,
        f"{ds}-{name}",
    )
    repeat = max(3, min(30, int(10_000 / max(p50, 1))))
    out["sql"] = profiling.sql_profile(targets[ds].url, key, ep.method, ep.path, ep.body, repeat)
    # The same request on S and H, to show what the window costs.
    out["sql_other_datasets"] = {
        other: profiling.sql_profile(
            targets[other].url,
            key,
            ep.method,
            next(e for e in endpoints[other] if e.name == name).path,
            ep.body,
            max(3, repeat),
        )["sql_ms_per_request"]
        for other in targets
        if other != ds and any(e.name == name for e in endpoints[other])
    }
    return out


@app.command()
def table(
    results: Annotated[Path, typer.Argument(help="A results JSON written by `run`.")] = HERE
    / "results.json",
) -> None:
    """Print the Markdown tables of a results file."""
    print(report.markdown(json.loads(results.read_text())))


@app.command()
def compare(
    before: Annotated[Path, typer.Argument(help="The earlier results JSON.")],
    after: Annotated[Path, typer.Argument(help="The later results JSON.")],
) -> None:
    """Print two runs' figures side by side (Markdown)."""
    print(report.comparison(json.loads(before.read_text()), json.loads(after.read_text())))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def lists(ctx: typer.Context) -> None:
    """Deep pages, the full CSV export and the users walk (issue 19; bench/lists.py):
    `python -m bench lists --database postgres --events 1000000 --users 10000`."""
    from bench import lists as lists_bench

    lists_bench.main(ctx.args)


def _profile_ingest(server, key, user_id, seed_now, sizes, run_dir) -> dict:
    """py-spy on the server while it takes events:batch requests of `ingest_batch` events."""
    from bench import profiling

    log("profiling events:batch")
    events = datagen.ingest_events(sizes.ingest_batch, seed_now, SEED + 1, sizes.handles)
    bodies = [datagen.api_body(e) for e in events]

    def body(n: int) -> dict:  # fresh external_ids each time: every event is new
        return {"events": [b | {"external_id": f"prof-{n}-{i}"} for i, b in enumerate(bodies)]}

    return profiling.py_spy(
        server.proc.pid,
        server.base_url,
        key,
        "POST",
        f"/v1/users/{user_id}/events:batch",
        body,
        12.0,
        run_dir,
        "ingest-batch",
    )


def main() -> None:
    app()
