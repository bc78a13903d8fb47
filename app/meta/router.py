"""Unauthenticated probes and the platform presets."""

from typing import Literal

import anyio
from fastapi import APIRouter, Request, Response
from pydantic import Field
from sqlmodel import SQLModel

from app.calc.vocabulary import PLATFORM_PRESETS, PlatformPreset, TextUnit
from app.core.errors import (
    DATABASE_UNAVAILABLE,
    storage_problem_code,
    storage_problem_response,
)
from app.core.storage import probe

router = APIRouter(tags=["meta"])


class Health(SQLModel):
    status: str


class PlatformRulePublic(SQLModel):
    name: str = Field(description="Stable identifier of the rule.")
    kinds: list[str] = Field(description="The outbound event kinds the rule counts.")
    limit: int
    window: str = Field(description="ISO 8601 duration of the window, e.g. PT1H, PT24H, P7D.")
    calendar: Literal["local_day"] | None = Field(
        description="local_day: the user's local day (window P1D); null: a rolling window."
    )
    description: str


class SourcePublic(SQLModel):
    topic: str
    source: str
    checked: str = Field(description="The date (YYYY-MM-DD) the source was last checked.")


class PlatformPresetPublic(SQLModel):
    platform: str
    follow_daily_limit: int | None = Field(
        description="The limit of a follow-only rule per local day (x: 400); `rules` has every limit."
    )
    follow_weekly_limit: int | None = Field(
        description="The limit of a follow-only rule per rolling 7 days (linkedin: 100)."
    )
    daily_cap: int
    burst_limit: int
    burst_window_minutes: int
    min_posts_per_day: int
    max_posts_per_day: int
    min_gap_minutes: int
    follow_limit_source: str
    max_posts_source: str
    rules: list[PlatformRulePublic] = Field(
        description="The platform's limits (§9.2): at most `limit` outbound events of `kinds` in "
        "any window; all apply at once. Empty where none is published."
    )
    bio_limit: int
    bio_unit: Literal["chars", "graphemes"]
    post_text_limit: int
    post_text_unit: TextUnit = Field(
        description="weighted: as X counts (twitter-text v3); graphemes: UAX #29 extended "
        "grapheme clusters; utf16_code_units; chars: Unicode code points after NFC."
    )
    sources: list[SourcePublic]


def _public(p: PlatformPreset) -> PlatformPresetPublic:
    return PlatformPresetPublic(
        platform=p.platform,
        follow_daily_limit=p.follow_daily_limit,
        follow_weekly_limit=p.follow_weekly_limit,
        daily_cap=p.daily_cap,
        burst_limit=p.burst_limit,
        burst_window_minutes=p.burst_window_minutes,
        min_posts_per_day=p.min_posts_per_day,
        max_posts_per_day=p.max_posts_per_day,
        min_gap_minutes=p.min_gap_minutes,
        follow_limit_source=p.follow_limit_source,
        max_posts_source=p.max_posts_source,
        rules=[PlatformRulePublic(**r.as_dict()) for r in p.rules],
        bio_limit=p.bio_limit,
        # Both ignores below: app.calc keeps the units as str; the Literals are the schema's.
        bio_unit=p.bio_unit,  # type: ignore[arg-type]
        post_text_limit=p.text_limit,
        post_text_unit=p.text_unit,
        sources=[
            SourcePublic(topic=s.topic, source=s.source, checked=s.checked) for s in p.sources
        ],
    )


class PlatformList(SQLModel):
    items: list[PlatformPresetPublic]


@router.get(
    "/healthz", response_model=Health, summary="Liveness: the process answers (no database)"
)
async def healthz() -> Health:
    # On the event loop: it answers even when every worker thread is busy.
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses={
        503: {"description": "Database unreachable"},
        507: {"description": "The database cannot store: `storage_full` or `read_only`"},
    },
    summary="Readiness: one database round-trip, and whether the database can store",
)
def readyz(request: Request) -> Response | Health:
    db = request.app.state.db
    try:
        with db.engine.connect() as conn:
            problem = probe(conn, db.url, getattr(request.app.state, "storage_health", None))
    except Exception as exc:
        # A read-only SQLite file fails already at connect (journal mode, or no -shm file).
        problem = storage_problem_code(exc, db.url if db.is_sqlite else None)
        if problem is None:
            return DATABASE_UNAVAILABLE.response(
                "The database is not reachable; retry in a few seconds."
            )
    if problem is not None:
        return storage_problem_response(problem)
    # Redis (shared rate-limit counters) down: requests go on, counted per process.
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None and anyio.from_thread.run(limiter.redis_healthy) is False:
        return Health(status="degraded")
    return Health(status="ready")


@router.get(
    "/v1/platforms",
    response_model=PlatformList,
    summary="Platform presets (§5, §9.1), limits as rules (§9.2) and their sources",
)
def platforms() -> PlatformList:
    return PlatformList(items=[_public(p) for p in PLATFORM_PRESETS.values()])
