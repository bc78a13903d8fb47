"""The `rapport` command: serve, migrate, manage API keys, write openapi.json."""

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from app.auth import service as auth_service
from app.auth.models import ApiKey, Workspace
from app.core.config import get_settings
from app.core.db import Database
from app.core.migrate import upgrade

cli = typer.Typer(help="Rapport: relationship-building coach API.", no_args_is_help=True)
keys = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
cli.add_typer(keys, name="keys")


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
        raise typer.BadParameter(f"RAPPORT_BOOTSTRAP_KEY: {exc}") from exc
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
    upgrade(get_settings().database_url)
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

    _migrate_and_bootstrap()
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=False,
        server_header=False,
        # importing the app takes ~2 s of CPU; on a busy machine uvicorn's default of
        # 5 s kills workers that are merely slow to start.
        timeout_worker_healthcheck=30,
    )


@keys.command("create")
def keys_create(
    workspace: Annotated[str, typer.Option(help="Workspace name; created if missing.")],
    name: Annotated[str, typer.Option(help="A label for the key.")] = "cli",
) -> None:
    """Create a key and print its secret once."""
    upgrade(get_settings().database_url)
    db = _database()
    with db.session(write=True) as session:
        ws = auth_service.get_or_create_workspace(session, workspace)
        key, secret = auth_service.create_key(session, ws, name)
        session.commit()
    db.dispose()
    typer.echo(
        f"{secret}\n(workspace {workspace}, prefix {key.prefix}; the secret is not shown again)"
    )


@keys.command("list")
def keys_list() -> None:
    """List keys of every workspace (prefixes only, never secrets)."""
    upgrade(get_settings().database_url)
    db = _database()
    with db.session(write=False) as session:
        rows = session.execute(
            select(ApiKey, Workspace.name)
            .join(Workspace, Workspace.id == ApiKey.workspace_id)  # type: ignore[arg-type]
            .order_by(ApiKey.created_at)  # type: ignore[arg-type]
        ).all()
    db.dispose()
    typer.echo(
        f"{'PREFIX':<14}{'WORKSPACE':<20}{'NAME':<16}{'CREATED':<22}{'LAST USED':<22}REVOKED"
    )
    for key, ws_name in rows:
        fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else "-"  # noqa: E731
        typer.echo(
            f"{key.prefix:<14}{ws_name[:19]:<20}{key.name[:15]:<16}{fmt(key.created_at):<22}"
            f"{fmt(key.last_used_at):<22}{fmt(key.revoked_at)}"
        )


@keys.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix, e.g. rpk_AbCd1234.")],
) -> None:
    """Revoke the key with this prefix."""
    upgrade(get_settings().database_url)
    db = _database()
    with db.session(write=True) as session:
        found = list(session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalars())  # type: ignore[arg-type]
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
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write it.")] = Path("openapi.json"),
) -> None:
    """Write the app's OpenAPI document."""
    from app.main import create_app

    document = create_app().openapi()
    output.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    typer.echo(f"wrote {output}")


def main() -> None:
    cli()
