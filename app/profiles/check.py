"""Profile check (SPEC §6.6): findings per stored profile, and missing profiles."""

import uuid
from functools import cache
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import bindparam, exists, literal, select, union_all
from sqlalchemy.sql import CompoundSelect
from sqlmodel import Session, col

from app.calc.profile_findings import (
    BIO_MAX_CHARS,
    BIO_MIN_CHARS,
    Finding,
    FindingCode,
    bio_size,
    missing_profile_finding,
    profile_findings,
)
from app.calc.vocabulary import PLATFORMS
from app.core.fields import Platform
from app.events.models import Event
from app.plans.models import FollowPlan, PostingPlan
from app.profiles.models import Profile


class FindingOut(BaseModel):
    code: FindingCode
    detail: str = Field(description="What is wrong, with the numbers (lengths and limits).")


class PlatformProfileCheck(BaseModel):
    platform: Platform
    has_profile: bool
    handle: str | None = Field(description="The stored handle; null when there is no profile.")
    bio_length: int | None = Field(
        description="The stored bio's length in the platform's bio unit (GET /v1/platforms: "
        "Unicode code points after NFC; graphemes (UAX #29) on Bluesky)."
    )
    bio_min_length: int = BIO_MIN_CHARS
    bio_max_length: int = Field(description="The platform's bio limit, in its bio unit.")
    findings: list[FindingOut]


class ProfileCheckOut(BaseModel):
    complete: bool = Field(description="True when no platform has a finding.")
    finding_count: int
    platforms: list[PlatformProfileCheck] = Field(
        description="One entry per stored profile and per platform that needs one "
        "(a plan or events but no profile), in the order of the platforms list (§1)."
    )


def _out(findings: list[Finding]) -> list[FindingOut]:
    return [FindingOut(code=f.code, detail=f.detail) for f in findings]


def _platforms_of(
    session: Session, model: type[FollowPlan] | type[PostingPlan], user_id: uuid.UUID
) -> set[str]:
    return set(
        session.execute(select(col(model.platform)).where(col(model.user_id) == user_id)).scalars()
    )


@cache
def _platforms_with_events_stmt(platforms: tuple[str, ...]) -> CompoundSelect[Any]:
    # One index probe per platform (ix_event_window starts with user_id, platform), all in
    # one statement: one round trip however many platforms there are.
    return union_all(
        *(
            select(literal(p)).where(
                exists().where(col(Event.user_id) == bindparam("user_id"), col(Event.platform) == p)
            )
            for p in platforms
        )
    )


def _platforms_with_events(session: Session, user_id: uuid.UUID, platforms: list[str]) -> set[str]:
    if not platforms:
        return set()
    return set(
        session.execute(
            _platforms_with_events_stmt(tuple(platforms)), {"user_id": user_id}
        ).scalars()
    )


def findings_by_platform(
    session: Session, user_id: uuid.UUID
) -> list[tuple[Platform, Profile | None, list[Finding]]]:
    """(platform, stored profile or None, findings) for every platform that has a profile
    or needs one, in §1 order."""
    profiles = {
        p.platform: p
        for p in session.execute(select(Profile).where(col(Profile.user_id) == user_id)).scalars()
    }
    follow = _platforms_of(session, FollowPlan, user_id)
    posting = _platforms_of(session, PostingPlan, user_id)
    with_events = _platforms_with_events(
        session, user_id, [p for p in PLATFORMS if p not in profiles]
    )
    result: list[tuple[Platform, Profile | None, list[Finding]]] = []
    for platform in PLATFORMS:
        profile = profiles.get(platform)
        if profile is not None:
            result.append(
                (
                    platform,
                    profile,
                    profile_findings(
                        platform, profile.bio, profile.photo_url, profile.photo_smiling
                    ),
                )
            )
            continue
        missing = missing_profile_finding(
            platform, platform in follow, platform in posting, platform in with_events
        )
        if missing is not None:
            result.append((platform, None, [missing]))
    return result


def check_out(found: list[tuple[Platform, Profile | None, list[Finding]]]) -> ProfileCheckOut:
    sections = [
        PlatformProfileCheck(
            platform=platform,
            has_profile=profile is not None,
            handle=profile.handle if profile else None,
            bio_length=bio_size(platform, profile.bio)
            if profile and profile.bio is not None
            else None,
            bio_max_length=BIO_MAX_CHARS[platform],
            findings=_out(findings),
        )
        for platform, profile, findings in found
    ]
    count = sum(len(s.findings) for s in sections)
    return ProfileCheckOut(complete=count == 0, finding_count=count, platforms=sections)


def profile_check(session: Session, user_id: uuid.UUID) -> ProfileCheckOut:
    return check_out(findings_by_platform(session, user_id))
