"""The `rapport` command: serve, migrate, manage API keys, write openapi.json."""

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from alembic.util.exc import CommandError
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from app.auth import service as auth_service
from app.auth.models import ApiKey, Workspace
from app.core.config import ConfigError, Settings, describe_database, get_settings
from app.core.db import Database
from app.core.errors import storage_problem_code
from app.core.migrate import upgrade

# Read by prometheus-client when it is imported (so not imported here: see _metrics_directory).
MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

cli = typer.Typer(help="Rapport: relationship-building coach API.", no_args_is_help=True)
keys = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
cli.add_typer(keys, name="keys")


def _fail(message: str) -> NoReturn:
    """A start-up failure: one line on stderr, exit status 1, no traceback."""
    typer.echo(f"rapport: {message}", err=True)
    raise typer.Exit(code=1)


def _driver_message(exc: BaseException) -> str:
    """The driver's reason on one line (psycopg's are several, ending in 'FATAL: …')."""
    text = str(getattr(exc, "orig", None) or exc)
    text = text.split("FATAL:")[-1] if "FATAL:" in text else text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    message = re.sub(r"\s+", " ", lines[0] if lines else type(exc).__name__)
    return message.removeprefix("(psycopg.OperationalError) ")


def _why(exc: BaseException, url: str) -> str:
    """One line saying why the database cannot be used, and what to do."""
    shown = describe_database(url)
    storage = storage_problem_code(
        exc, url if make_url(url).get_backend_name() == "sqlite" else None
    )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _driver_message(exc)
    if storage == "read_only":
        return (
            f"the database {shown} is read-only ({reason}); make the file and its directory "
            "writable by this user, or point RAPPORT_DATABASE_URL at a writable database"
        )
    if storage == "storage_full":
        return f"the database {shown} has no space left ({reason}); free some space and start again"
    if isinstance(exc, CommandError):
        return (
            f"cannot migrate the database {shown}: {reason} (is it from a newer version "
            "of Rapport?)"
        )
    if "does not exist" in reason and make_url(url).get_backend_name() == "postgresql":
        reason += " (create it, e.g. with createdb, or fix RAPPORT_DATABASE_URL)"
    elif "unable to open database file" in reason:
        reason += " (does its directory exist, and may this user write there?)"
    return f"cannot use the database {shown}: {reason}"


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        _fail(str(exc))


@contextmanager
def _using_database(command: str) -> Iterator[Settings]:
    """Say which database the command uses, and turn every failure to reach, migrate or
    write it into one line and exit status 1."""
    settings = _settings()
    url = settings.database_url
    shown = describe_database(url)
    parsed = make_url(url)
    sqlite_file = (
        parsed.database
        if parsed.get_backend_name() == "sqlite"
        and parsed.database
        and parsed.database != ":memory:"
        else None
    )
    existed = sqlite_file is None or os.path.exists(sqlite_file)
    typer.echo(f"rapport {command}: database {shown}", err=True)
    try:
        yield settings
    except (DBAPIError, CommandError, OSError) as exc:
        _fail(_why(exc, url))
    if not existed and sqlite_file is not None and os.path.exists(sqlite_file):
        typer.echo(
            f"rapport {command}: created a new SQLite database at {os.path.abspath(sqlite_file)}",
            err=True,
        )


def _database() -> Database:
    settings = get_settings()
    return Database(settings.database_url, settings)


def _migrate_and_bootstrap() -> None:
    settings = get_settings()
    upgrade(settings.database_url)
    db = _database()
    try:
        with db.session(write=True) as session:
            secret = auth_service.bootstrap(session, settings.bootstrap_key)
    except ValueError as exc:
        _fail(f"RAPPORT_BOOTSTRAP_KEY: {exc}")
    finally:
        db.dispose()
    if secret and not settings.bootstrap_key:
        typer.echo("Created workspace 'default' with this API key (shown once, store it now):")
        typer.echo(f"  {secret}")
    elif secret:
        typer.echo("Created workspace 'default' with the key from RAPPORT_BOOTSTRAP_KEY.")


@cli.command()
def migrate() -> None:
    """Apply database migrations up to the newest."""
    with _using_database("migrate") as settings:
        upgrade(settings.database_url)
    typer.echo("database is at the newest migration")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Migrate, create the first key on an empty database, then serve."""
    import uvicorn
    from uvicorn.config import LOG_LEVELS

    from app.core.logs import logging_config, resolve_format

    with _using_database("serve") as settings:
        _migrate_and_bootstrap()
    # The workers size their PostgreSQL pools by it (Settings.pool_size).
    os.environ["RAPPORT_WORKERS"] = str(workers)
    with _metrics_directory(settings.metrics, several_processes=workers > 1):
        uvicorn.run(
            "app.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            # Rapport's formatter on every line; uvicorn's access log off, as Rapport
            # writes one line per request itself (app/core/logs.py).
            log_config=logging_config(
                resolve_format(settings.log_format, sys.stderr),
                LOG_LEVELS.get(log_level.lower(), log_level.upper()),
            ),
            access_log=False,
            proxy_headers=False,
            server_header=False,
            # uvicorn has no read timeout of its own; see app/core/http_protocol.py.
            http="app.core.http_protocol:ReadTimeoutHttpToolsProtocol",
            timeout_keep_alive=settings.keep_alive_s,
            # importing the app takes ~2 s of CPU; on a busy machine uvicorn's default of
            # 5 s kills workers that are merely slow to start.
            timeout_worker_healthcheck=30,
        )


@contextmanager
def _metrics_directory(enabled: bool, several_processes: bool) -> Iterator[None]:
    """prometheus-client's multi-process mode for the workers (app/core/metrics.py): the
    directory of PROMETHEUS_MULTIPROC_DIR, emptied first (values of an earlier run would
    add up with this one's), or else a new one this command owns and removes at exit. Set
    before uvicorn starts, so every worker imports prometheus-client with it.

    One worker is this very process, which has imported prometheus-client already (the
    migration imports the app's modules) and so keeps its values in memory: it is left
    out of multi-process mode, or its scrape would read an empty directory."""
    if not enabled:
        yield
        return
    given = os.environ.get(MULTIPROC_DIR_ENV)
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        yield
        return
    if not several_processes:
        yield
        return
    directory = tempfile.mkdtemp(prefix="rapport-metrics-")
    os.environ[MULTIPROC_DIR_ENV] = directory
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_DIR_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)


@cli.command()
def worker(
    idle: Annotated[
        float, typer.Option(help="Seconds to wait after a pass that found nothing to do.")
    ] = 1.0,
) -> None:
    """Deliver webhooks and run the time-driven types (§12), without serving HTTP.

    Any number may run against one PostgreSQL database (they share the work by FOR UPDATE
    SKIP LOCKED); set RAPPORT_EMBEDDED_WORKER=false on `rapport serve` to leave delivery to
    them alone. Stops on SIGINT or SIGTERM after the deliveries in flight."""
    import signal

    from app.webhooks.worker import StopSignal, Worker

    with _using_database("worker") as settings:
        upgrade(settings.database_url)
        db = _database()
        stop = StopSignal()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        runner = Worker(db, settings)
        typer.echo("rapport worker: delivering webhooks (Ctrl-C stops)", err=True)
        try:
            runner.run_until(stop, idle)
        finally:
            runner.close()
            db.dispose()


@keys.command("create")
def keys_create(
    workspace: Annotated[str, typer.Option(help="Workspace name; created if missing.")],
    name: Annotated[str, typer.Option(help="A label for the key.")] = "cli",
    scope: Annotated[
        list[str] | None,
        typer.Option(
            help="read, write or admin (read < write < admin); repeat or separate with "
            "commas. Default: admin."
        ),
    ] = None,
    expires_at: Annotated[
        str | None,
        typer.Option(help="When the key stops working: RFC 3339 with an offset. Default: never."),
    ] = None,
) -> None:
    """Create a key and print its secret once."""
    scopes, expiry = _key_limits(scope, expires_at)
    with _using_database("keys create") as settings:
        upgrade(settings.database_url)
        db = _database()
        with db.session(write=True) as session:
            ws = auth_service.get_or_create_workspace(session, workspace)
            key, secret = auth_service.create_key(session, ws, name, None, scopes, expiry)
            session.commit()
        db.dispose()
    typer.echo(
        f"{secret}\n(workspace {workspace}, prefix {key.prefix}; the secret is not shown again)"
    )


def _key_limits(
    scope: list[str] | None, expires_at: str | None
) -> tuple[list[str], datetime | None]:
    """The --scope and --expires-at of `keys create`, checked; exits with a clear line."""
    named = [part.strip() for item in scope or ["admin"] for part in item.split(",")]
    try:
        scopes: list[str] = list(auth_service.normal_scopes(p for p in named if p))
        expiry = datetime.fromisoformat(expires_at) if expires_at else None
    except ValueError as exc:
        _fail(f"keys create: {exc}")
    if expiry is not None and (expiry.tzinfo is None or expiry <= datetime.now(UTC)):
        _fail(
            "keys create: --expires-at must be a future time with an offset, e.g. 2027-01-01T00:00:00Z"
        )
    return scopes, expiry


@keys.command("list")
def keys_list() -> None:
    """List keys of every workspace (prefixes only, never secrets)."""
    with _using_database("keys list") as settings:
        upgrade(settings.database_url)
        db = _database()
        with db.session(write=False) as session:
            rows = session.execute(
                select(ApiKey, col(Workspace.name))
                .join(Workspace, col(Workspace.id) == col(ApiKey.workspace_id))
                .order_by(col(ApiKey.created_at))
            ).all()
        db.dispose()
    typer.echo(
        f"{'PREFIX':<14}{'WORKSPACE':<20}{'NAME':<16}{'CREATED':<22}{'LAST USED':<22}"
        f"{'SCOPES':<18}{'EXPIRES':<22}REVOKED"
    )

    def fmt(t: datetime | None) -> str:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else "-"

    for key, ws_name in rows:
        typer.echo(
            f"{key.prefix:<14}{ws_name[:19]:<20}{key.name[:15]:<16}{_when(key.created_at):<22}"
            f"{_when(key.last_used_at):<22}{','.join(key.scopes):<18}{_when(key.expires_at):<22}"
            f"{_when(key.revoked_at)}"
        )


def _when(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else "-"


@keys.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix, e.g. rpk_AbCd1234.")],
) -> None:
    """Revoke the key with this prefix."""
    with _using_database("keys revoke") as settings:
        upgrade(settings.database_url)
        db = _database()
        with db.session(write=True) as session:
            found = list(
                session.execute(select(ApiKey).where(col(ApiKey.prefix) == prefix)).scalars()
            )
            if len(found) != 1:
                db.dispose()
                typer.echo(
                    f"{'no' if not found else 'more than one'} key has prefix {prefix!r}", err=True
                )
                raise typer.Exit(code=1)
            auth_service.revoke_key(session, found[0])
            session.commit()
        db.dispose()
    typer.echo(f"revoked {prefix}")


@cli.command()
def mcp() -> None:
    """Serve the MCP tools (§14) over stdio, as the key in RAPPORT_API_KEY."""
    from app.main import VERSION
    from app.mcp.stdio import KeyRefused, serve

    with _using_database("mcp") as settings:
        key = (settings.api_key or "").strip()
        if not key:
            _fail("set RAPPORT_API_KEY to the API key the agent acts with (rpk_…)")
        db = _database()
        try:
            serve(db, key, settings.key_touch_interval_s, VERSION)
        except KeyRefused as exc:
            _fail(f"RAPPORT_API_KEY was refused: {exc}")
        finally:
            db.dispose()


@cli.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write it.")] = Path("openapi.json"),
) -> None:
    """Write the app's OpenAPI document."""
    from app.main import create_app

    document = create_app(_settings()).openapi()
    output.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    typer.echo(f"wrote {output}")


def main() -> None:
    cli()
