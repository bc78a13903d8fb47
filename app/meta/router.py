"""Unauthenticated probes and the platform presets."""

from fastapi import APIRouter, Request
from sqlmodel import SQLModel

from app.calc.vocabulary import PLATFORM_PRESETS
from app.core.errors import problem_response, storage_problem_code, storage_problem_response
from app.core.storage import probe

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


@router.get("/healthz", response_model=Health, summary="Liveness: the process answers (no database)")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health,
            responses={503: {"description": "Database unreachable"},
                       507: {"description": "The database cannot store: `storage_full` or `read_only`"}},
            summary="Readiness: one database round-trip, and whether the database can store")
def readyz(request: Request):
    db = request.app.state.db
    try:
        with db.engine.connect() as conn:
            problem = probe(conn, db.url, getattr(request.app.state, "storage_health", None))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        # A read-only SQLite file fails already at connect (journal mode, or no -shm file).
        problem = storage_problem_code(exc, db.url if db.is_sqlite else None)
        if problem is None:
            return problem_response(503, "database_unavailable", "Not ready",
                                    "The database is not reachable; retry in a few seconds.",
                                    headers={"Retry-After": "2"})
    if problem is not None:
        return storage_problem_response(problem)
    return Health(status="ready")


@router.get("/v1/platforms", response_model=PlatformList, summary="Platform presets (§5) and their sources")
def platforms() -> PlatformList:
    return PlatformList(items=[PlatformPresetPublic.model_validate(p, from_attributes=True)
                               for p in PLATFORM_PRESETS.values()])
