"""Service configuration, read only from RAPPORT_* environment variables."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAPPORT_", extra="ignore")

    database_url: str = "sqlite:///./rapport.db"
    bootstrap_key: str | None = None
    max_body_bytes: int = 1024 * 1024
    # SQLite: how long a writer waits for the lock before giving up (milliseconds).
    sqlite_busy_timeout_ms: int = 15000
    # PostgreSQL: how long to wait for a connection before answering 503 (seconds).
    db_connect_timeout_s: int = 3
    # Database sessions one worker process runs at once (the PostgreSQL pool; SQLite readers);
    # more requests wait on the event loop, holding no thread. Below the 40 worker threads.
    db_pool_size: int = Field(default=10, ge=1, le=32)
    # How long a request waits for a database session (and, on SQLite, a writer for the
    # write lock) before a 503 database_busy (seconds).
    db_wait_timeout_s: float = Field(default=10, gt=0)
    # last_used_at of an API key is refreshed at most this often (seconds).
    key_touch_interval_s: int = 60


@lru_cache
def get_settings() -> Settings:
    return Settings()
