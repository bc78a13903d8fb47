"""Fresh databases per dataset, migrated with the app's Alembic migrations, then seeded
with the fastest path each database offers:

* PostgreSQL: COPY … FROM STDIN (psycopg's cursor.copy), then VACUUM ANALYZE as
  autovacuum would do after a bulk load.
* SQLite: executemany in big transactions, in the exact storage format the app uses
  (checked at run time by storing one event through the app and reading the raw row).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.datagen import USERS, Ev, sqlite_instant

COLUMNS = (
    "id",
    "user_id",
    "platform",
    "kind",
    "direction",
    "occurred_at",
    "counterpart",
    "is_sales",
    "url",
    "text",
    "external_id",
    "created_at",
)


@dataclass
class Target:
    """One throw-away database."""

    backend: str  # sqlite | postgres
    url: str  # SQLAlchemy URL the app uses
    label: str
    path: Path | None = None


@contextmanager
def fresh_database(
    backend: str, label: str, out_dir: Path, admin_url: str | None, keep: bool = False
) -> Iterator[Target]:
    """A new empty database (dropped / deleted afterwards unless keep)."""
    tag = f"{label.lower()}_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        path = out_dir / f"bench-{tag}.db"
        target = Target("sqlite", f"sqlite:///{path}", label, path)
        try:
            yield target
        finally:
            if not keep:
                for suffix in ("", "-wal", "-shm", ".writelock"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    assert admin_url, "PostgreSQL needs an admin URL"
    base = make_url(admin_url)
    name = f"rapport_bench_{tag}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield Target(
            "postgres", base.set(database=name).render_as_string(hide_password=False), label
        )
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(
    target: Target, key: str, people: tuple[tuple[str, str, float], ...] = USERS
) -> list[uuid.UUID]:
    """Migrate, bootstrap the workspace with `key`, create the dataset's users (the three
    of S/H/D by default) and two ingest users; their ids."""
    import logging

    from app.auth import service as auth_service
    from app.core.config import Settings
    from app.core.db import Database
    from app.core.migrate import upgrade
    from app.users.models import User

    upgrade(target.url)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    db = Database(target.url, Settings(database_url=target.url))
    try:
        with db.session(write=True) as session:
            auth_service.bootstrap(session, key)
            workspace = auth_service.get_or_create_workspace(session, "default")
            users = [
                User(workspace_id=workspace.id, name=name, timezone=zone, external_id=f"bench-{i}")
                for i, (name, zone, _) in enumerate(people)
            ]
            users += [
                User(workspace_id=workspace.id, name=f"ingest-{how}", external_id=f"ingest-{how}")
                for how in ("http", "direct")
            ]
            session.add_all(users)
            session.commit()
            return [u.id for u in users]
    finally:
        db.dispose()


def check_sqlite_format(target: Target, user_id: uuid.UUID) -> dict:
    """Store one event through the app (SQLModel + UTCDateTime + Uuid) and compare the raw
    row with what the bench's SQLite encoder would write for it."""
    from app.core.config import Settings
    from app.core.db import Database
    from app.events.models import Event

    probe = Ev(
        uuid.uuid4().int,
        0,
        "x",
        "comment",
        "outbound",
        1_795_000_000_123_456,
        "probe",
        True,
        None,
        "probe",
        "bench-probe",
        1_795_000_000_000_000,
    )
    db = Database(target.url, Settings(database_url=target.url))
    try:
        with db.session(write=True) as session:
            session.add(
                Event(
                    id=uuid.UUID(int=probe.id),
                    user_id=user_id,
                    platform=probe.platform,
                    kind=probe.kind,
                    direction=probe.direction,
                    occurred_at=probe.occurred_at,
                    counterpart=probe.counterpart,
                    is_sales=probe.is_sales,
                    text=probe.text,
                    external_id=probe.external_id,
                    created_at=datetime.fromtimestamp(probe.created_us / 1e6, UTC),
                )
            )
            session.commit()
    finally:
        db.dispose()
    with sqlite3.connect(target.path) as conn:
        raw = conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM event WHERE external_id = 'bench-probe'"
        ).fetchone()
        conn.execute("DELETE FROM event WHERE external_id = 'bench-probe'")
    mine = sqlite_rows([probe], {0: user_id.hex})[0]
    if tuple(raw) != tuple(mine):
        raise RuntimeError(
            f"SQLite storage format mismatch: app wrote {raw!r}, bench would write {mine!r}"
        )
    return {"id": raw[0], "occurred_at": raw[5], "is_sales": raw[7], "matches_app": True}


def sqlite_rows(events: list[Ev], user_hex: dict[int, str]) -> list[tuple]:
    return [
        (
            f"{e.id:032x}",
            user_hex[e.user],
            e.platform,
            e.kind,
            e.direction,
            sqlite_instant(e.occurred_us),
            e.counterpart,
            int(e.is_sales),
            e.url,
            e.text,
            e.external_id,
            sqlite_instant(e.created_us),
        )
        for e in events
    ]


def _pg_instant(us: int) -> str:
    return sqlite_instant(us) + "+00"


def _rebuild_derived(target: Target) -> float | None:
    """Tables the app derives from events (e.g. per-day counters), rebuilt with the app's
    own function after a load that bypassed the API; None when the app has none."""
    try:
        from app.events.store.maintenance import rebuild_counters as rebuild
    except ImportError:
        try:  # before the events store (app/events/store/)
            from app.events.daily_counts import rebuild
        except ImportError:
            return None
    from app.core.config import Settings
    from app.core.db import Database

    try:  # the contacts summary (§10), where the app has one
        from app.events.store.maintenance import rebuild_contacts
    except ImportError:
        rebuild_contacts = None
    db = Database(target.url, Settings(database_url=target.url))
    try:
        t = time.perf_counter()
        with db.write_engine.begin() as conn:
            rebuild(conn)
            if rebuild_contacts is not None:
                rebuild_contacts(conn)
        return round(time.perf_counter() - t, 2)
    finally:
        db.dispose()


def seed(target: Target, events: list[Ev], user_ids: list[uuid.UUID], chunk: int = 100_000) -> dict:
    """Bulk-load events; {rows, seconds, rows_per_s, method, …}. The secondary indexes the
    migrations created (not the primary key or unique constraint) are dropped for the load
    and re-created from their stored definitions afterwards, as a bulk load would; the
    time includes encoding the rows and re-creating the indexes."""
    started = time.perf_counter()
    if target.backend == "sqlite":
        user_hex = {i: u.hex for i, u in enumerate(user_ids)}
        conn = sqlite3.connect(target.path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-2097152")  # 2 GiB while loading
        conn.execute("PRAGMA temp_store=MEMORY")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'event' "
            "AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        sql = f"INSERT INTO event ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        for start in range(0, len(events), chunk):
            conn.execute("BEGIN")
            conn.executemany(sql, sqlite_rows(events[start : start + chunk], user_hex))
            conn.execute("COMMIT")
        inserted = time.perf_counter() - started
        for _, index_sql in indexes:
            conn.execute(index_sql)
        loaded = time.perf_counter() - started
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        method = (
            f"sqlite3 executemany, {chunk:,} rows per transaction; "
            f"{len(indexes)} secondary indexes re-created after"
        )
        post = None
    else:
        import psycopg

        dsn = (
            make_url(target.url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        user_str = {i: str(u) for i, u in enumerate(user_ids)}
        with psycopg.connect(dsn) as conn:
            indexes = conn.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'event' "
                "AND i.indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'event'::regclass)"
            ).fetchall()
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY event ({', '.join(COLUMNS)}) FROM STDIN") as copy,
            ):
                for e in events:
                    copy.write_row(
                        (
                            f"{e.id:032x}",
                            user_str[e.user],
                            e.platform,
                            e.kind,
                            e.direction,
                            _pg_instant(e.occurred_us),
                            e.counterpart,
                            e.is_sales,
                            e.url,
                            e.text,
                            e.external_id,
                            _pg_instant(e.created_us),
                        )
                    )
            inserted = time.perf_counter() - started
            conn.execute("SET maintenance_work_mem = '512MB'")
            for _, index_sql in indexes:
                conn.execute(index_sql)
            conn.commit()
            loaded = time.perf_counter() - started
            conn.autocommit = True
            t = time.perf_counter()
            conn.execute("VACUUM ANALYZE event")
            post = round(time.perf_counter() - t, 2)
        method = (
            f"psycopg COPY FROM STDIN in one transaction; {len(indexes)} secondary indexes "
            "re-created after; then VACUUM ANALYZE (as autovacuum would)"
        )
    rebuild_s = _rebuild_derived(target)
    if target.backend == "postgres" and rebuild_s is not None:
        import psycopg

        dsn = (
            make_url(target.url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    return {
        "rows": len(events),
        "seconds": round(loaded, 2),
        "rows_per_s": round(len(events) / loaded),
        "insert_only_s": round(inserted, 2),
        "method": method,
        "vacuum_analyze_s": post,
        "rebuild_derived_tables_s": rebuild_s,
    }


def database_version(target: Target) -> str:
    engine = create_engine(target.url)
    try:
        with engine.connect() as conn:
            if target.backend == "sqlite":
                return "SQLite " + conn.exec_driver_sql("select sqlite_version()").scalar_one()
            return conn.exec_driver_sql("select version()").scalar_one()
    finally:
        engine.dispose()


def count_events(target: Target) -> int:
    engine = create_engine(target.url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("select count(*) from event").scalar_one()
    finally:
        engine.dispose()
