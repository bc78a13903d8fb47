"""Unauthenticated probes and the platform presets."""

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlmodel import SQLModel

from app.calc.vocabulary import PLATFORM_PRESETS
from app.core.errors import problem_response

router = APIRouter(tags=["meta"])


class Health(SQLModel):
    status: str


class PlatformPresetPublic(SQLModel):
    platform: str
    follow_daily_limit: int | None
    follow_weekly_limit: int | None
    daily_cap: int
    burst_limit: int
    burst_window_minutes: int
    min_posts_per_day: int
    max_posts_per_day: int
    min_gap_minutes: int
    follow_limit_source: str
    max_posts_source: str


class PlatformList(SQLModel):
    items: list[PlatformPresetPublic]


@router.get(
    "/healthz", response_model=Health, summary="Liveness: the process answers (no database)"
)
async def healthz() -> (
    Health
):  # on the event loop: it answers even when every worker thread is busy
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"description": "Database unreachable"}},
    summary="Readiness: one database round-trip",
)
def readyz(request: Request):
    try:
        with request.app.state.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means not ready
        return problem_response(
            503,
            "database_unavailable",
            "Not ready",
            "The database is not reachable; retry in a few seconds.",
            headers={"Retry-After": "2"},
        )
    return Health(status="ready")


@router.get(
    "/v1/platforms", response_model=PlatformList, summary="Platform presets (§5) and their sources"
)
def platforms() -> PlatformList:
    return PlatformList(
        items=[
            PlatformPresetPublic.model_validate(p, from_attributes=True)
            for p in PLATFORM_PRESETS.values()
        ]
    )
