"""Profile check (SPEC §6.6): findings per stored profile, and missing profiles."""

import uuid
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import exists, select
from sqlmodel import Session

from app.calc.profile_findings import (
    BIO_MAX_CHARS,
    BIO_MIN_CHARS,
    Finding,
    missing_profile_finding,
    profile_findings,
)
from app.calc.vocabulary import PLATFORMS
from app.core.fields import Platform
from app.events.models import Event
from app.plans.models import FollowPlan, PostingPlan
from app.profiles.models import Profile

FindingCode = Literal[
    "missing_profile",
    "missing_photo",
    "photo_not_smiling",
    "missing_bio",
    "bio_too_short",
    "bio_too_long",
]


class FindingOut(BaseModel):
    code: FindingCode
    detail: str = Field(description="What is wrong, with the numbers (lengths and limits).")


class PlatformProfileCheck(BaseModel):
    platform: Platform
    has_profile: bool
    handle: str | None = Field(description="The stored handle; null when there is no profile.")
    bio_length: int | None = Field(description="Characters (code points) in the stored bio.")
    bio_min_length: int = BIO_MIN_CHARS
    bio_max_length: int = Field(description="The platform's bio limit.")
    findings: list[FindingOut]


class ProfileCheckOut(BaseModel):
    complete: bool = Field(description="True when no platform has a finding.")
    finding_count: int
    platforms: list[PlatformProfileCheck] = Field(
        description="One entry per stored profile and per platform that needs one "
        "(a plan or events but no profile), in the order x, facebook, linkedin, "
        "instagram."
    )


def _out(findings: list[Finding]) -> list[FindingOut]:
    return [FindingOut(code=f.code, detail=f.detail) for f in findings]  # type: ignore[arg-type]


def _platforms_of(session: Session, model, user_id: uuid.UUID) -> set[str]:
    return set(session.execute(select(model.platform).where(model.user_id == user_id)).scalars())


def _has_events(session: Session, user_id: uuid.UUID, platform: str) -> bool:
    # One index probe (ix_event_window starts with user_id, platform) per platform.
    return bool(
        session.execute(
            select(exists().where(Event.user_id == user_id, Event.platform == platform))
        ).scalar()
    )  # type: ignore[arg-type]


def findings_by_platform(
    session: Session, user_id: uuid.UUID
) -> list[tuple[str, Profile | None, list[Finding]]]:
    """(platform, stored profile or None, findings) for every platform that has a profile
    or needs one, in §1 order."""
    profiles = {
        p.platform: p
        for p in session.execute(select(Profile).where(Profile.user_id == user_id)).scalars()
    }  # type: ignore[arg-type]
    follow = _platforms_of(session, FollowPlan, user_id)
    posting = _platforms_of(session, PostingPlan, user_id)
    result: list[tuple[str, Profile | None, list[Finding]]] = []
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
            platform,
            platform in follow,
            platform in posting,
            _has_events(session, user_id, platform),
        )
        if missing is not None:
            result.append((platform, None, [missing]))
    return result


def check_out(found: list[tuple[str, Profile | None, list[Finding]]]) -> ProfileCheckOut:
    sections = [
        PlatformProfileCheck(
            platform=platform,
            has_profile=profile is not None,  # type: ignore[arg-type]
            handle=profile.handle if profile else None,
            bio_length=len(profile.bio) if profile and profile.bio is not None else None,
            bio_max_length=BIO_MAX_CHARS[platform],
            findings=_out(findings),
        )
        for platform, profile, findings in found
    ]
    count = sum(len(s.findings) for s in sections)
    return ProfileCheckOut(complete=count == 0, finding_count=count, platforms=sections)


def profile_check(session: Session, user_id: uuid.UUID) -> ProfileCheckOut:
    return check_out(findings_by_platform(session, user_id))
