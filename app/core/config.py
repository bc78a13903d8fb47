"""Service configuration, read only from RAPPORT_* environment variables.

Every ``RAPPORT_*`` variable in the environment must be a setting below (or start with one
of ``NOT_SETTINGS_PREFIXES``): a typo such as ``RAPPORT_DATABSE_URL`` is an error that names
the closest setting, never a silent default. Add a new setting here and the check knows it.
"""

import difflib
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "RAPPORT_"
# RAPPORT_* variables that are not settings of the service: the test suite's and the
# benchmark's own (RAPPORT_TEST_POSTGRES_URL, RAPPORT_BENCH_POSTGRES_URL, ...).
NOT_SETTINGS_PREFIXES = ("RAPPORT_TEST_", "RAPPORT_BENCH_")

# Schemes other tools write for PostgreSQL (Heroku, libpq, Rails); Rapport's driver is psycopg 3.
_POSTGRES_SCHEMES = {"postgres", "postgresql"}


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line an operator can act on."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    database_url: str = "sqlite:///./rapport.db"
    bootstrap_key: str | None = None
    # `rapport mcp` (§14): the API key the local agent acts with; `rapport serve` ignores it.
    api_key: str | None = None
    max_body_bytes: int = Field(1024 * 1024, gt=0)
    # SQLite: how long a writer waits for the lock before giving up (milliseconds).
    sqlite_busy_timeout_ms: int = Field(15000, ge=0)
    # PostgreSQL: how long to wait for a connection before answering 503 (seconds).
    db_connect_timeout_s: int = Field(3, gt=0)
    # Database sessions one worker process runs at once (the PostgreSQL pool; SQLite readers);
    # more requests wait on the event loop, holding no thread. Below the 40 worker threads.
    # Unset: `pool_size` (on PostgreSQL it follows `workers`).
    db_pool_size: int | None = Field(default=None, ge=1, le=32)
    # Connections a worker may open beyond its pool, for what runs outside admitted sessions.
    db_max_overflow: int = Field(default=2, ge=0, le=32)
    # psycopg 3 prepares a statement run 5 times on a connection; false turns that off
    # (prepare_threshold=None), as PgBouncer in transaction mode (before 1.21) needs.
    db_prepared_statements: bool = True
    # The worker processes of this server (`rapport serve --workers` sets it for them).
    workers: int = Field(default=1, ge=1, le=256)
    # How long a request waits for a database session (and, on SQLite, a writer for the
    # write lock) before a 503 database_busy (seconds).
    db_wait_timeout_s: float = Field(default=10, gt=0)
    # last_used_at of an API key is refreshed at most this often (seconds).
    key_touch_interval_s: int = Field(60, ge=0)
    # A request's line and headers, and then its body, must arrive within this many seconds
    # of its first byte (and a new connection must send one within it); slower clients are
    # cut off (408 when an answer is still possible).
    read_timeout_s: float = Field(30, gt=0)
    # How long an idle keep-alive connection stays open between requests (seconds): longer
    # than clients and load balancers keep idle connections for reuse (60 s on AWS ALB).
    keep_alive_s: int = Field(75, ge=1)
    # §13 rate limits (`limits` notation, e.g. "1200/minute"; "off" turns one off): requests
    # per API key, and failed authentications (401) per client address.
    rate_limit: str = "1200/minute"
    auth_failure_limit: str = "30/minute"
    # Redis shared by every process and replica for the rate-limit counters (redis://…);
    # unset: each process counts for itself. Keys start with redis_prefix.
    redis_url: str | None = None
    redis_prefix: str = "rapport"
    # §12 webhooks: http:// to a loopback host allowed (development, tests); whether
    # `rapport serve` runs the delivery worker in-process; the key(s) the endpoint secrets
    # are encrypted with at rest (comma-separated: the first encrypts, every one decrypts,
    # so a new key goes first and the old one stays while secrets sealed with it remain).
    webhook_allow_loopback: bool = False
    # How long a claimed delivery stays with its worker before another may take it (a worker
    # killed mid-delivery): longer than the 10 s delivery timeout, so none is in flight twice.
    webhook_lease_s: int = Field(60, ge=11)
    embedded_worker: bool = True
    secret_key: str | None = Field(default=None, repr=False)

    @field_validator("rate_limit", "auth_failure_limit")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        from app.core.ratelimit import parse_rate

        parse_rate(value)  # raises ValueError with a sentence
        return value.strip()

    # §13: origins a browser page may call the API from (comma-separated; none by default).
    cors_origins: Annotated[list[str], NoDecode] = []
    # §13: one line per request, as JSON or for a person; unset: json unless stderr is a terminal.
    log_format: Literal["json", "console"] | None = None
    # §13: GET /metrics (Prometheus text format).
    metrics: bool = True

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        return _cors_origins(value) if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        """postgres:// and postgresql:// mean PostgreSQL through psycopg 3; anything that
        is not a database URL is refused here rather than at the first connection."""
        try:
            url = make_url(value.strip())
        except ArgumentError:
            raise ValueError(
                f"{value!r} is not a database URL; use sqlite:///path/to/file.db "
                "or postgresql://user:password@host/database"
            ) from None
        if url.drivername in _POSTGRES_SCHEMES:
            url = url.set(drivername="postgresql+psycopg")
        backend = url.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(
                f"{url.drivername!r} databases are not supported; use sqlite:/// or postgresql://"
            )
        if backend == "postgresql" and url.get_driver_name() != "psycopg":
            raise ValueError(
                f"the driver {url.get_driver_name()!r} is not installed; use "
                "postgresql:// (psycopg 3)"
            )
        return url.render_as_string(hide_password=False)

    @property
    def pool_size(self) -> int:
        """`db_pool_size`, or unset: on PostgreSQL max(2, min(10, 16 // workers)), so a
        server of any number of workers opens about 16–20 connections (README, "Sizing the
        PostgreSQL connections"); on SQLite 10 (a file has no connection limit)."""
        if self.db_pool_size is not None:
            return self.db_pool_size
        if self.database_url.startswith("sqlite"):
            return 10
        return max(2, min(10, 16 // self.workers))


# An origin is a scheme, a host and maybe a port, nothing more: a browser sends
# `https://app.example.com`, so `https://app.example.com/` would never match.
_ORIGIN = re.compile(r"https?://[^\s/?#]+", re.IGNORECASE)


def _cors_origins(value: str) -> list[str]:
    origins = [part.strip() for part in value.split(",") if part.strip()]
    for origin in origins:
        if origin != "*" and not _ORIGIN.fullmatch(origin):
            raise ValueError(
                f"{origin!r} is not an origin; write scheme://host[:port] without a path, "
                "e.g. https://app.example.com,http://localhost:3000 (or * for any origin)"
            )
    return [o if o == "*" else o.lower() for o in origins]


def setting_names() -> list[str]:
    return [ENV_PREFIX + name.upper() for name in Settings.model_fields]


def check_environment(environ: Mapping[str, str]) -> None:
    """Refuse RAPPORT_* variables that are not settings, naming the closest setting."""
    known = setting_names()
    for name in sorted(environ):
        upper = name.upper()  # pydantic-settings reads names case-insensitively
        if (
            not upper.startswith(ENV_PREFIX)
            or upper in known
            or upper.startswith(NOT_SETTINGS_PREFIXES)
        ):
            continue
        # Compare the parts after the prefix, which every name shares.
        close = difflib.get_close_matches(
            upper[len(ENV_PREFIX) :], [k[len(ENV_PREFIX) :] for k in known], n=1, cutoff=0.6
        )
        hint = (
            f"did you mean {ENV_PREFIX}{close[0]}?"
            if close
            else f"the settings are {', '.join(known)}"
        )
        raise ConfigError(f"{name} is not a Rapport setting; {hint}")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment, or a ConfigError with one line saying what is wrong."""
    environ = os.environ if environ is None else environ
    check_environment(environ)
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ENV_PREFIX + str(first["loc"][0]).upper() if first.get("loc") else "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()


def describe_database(url: str) -> str:
    """The URL with its password masked, for start-up lines and errors; a SQLite file also
    gets its absolute path, so `./rapport.db` says where it is."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "(not a database URL)"
    shown = parsed.render_as_string(hide_password=True)
    if (
        parsed.get_backend_name() == "sqlite"
        and parsed.database
        and parsed.database != ":memory:"
        and not os.path.isabs(parsed.database)
    ):
        shown += f" ({os.path.abspath(parsed.database)})"
    return shown
