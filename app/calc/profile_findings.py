"""Profile findings (SPEC §6.6): is the user's presence on a platform complete?

Pure: the caller passes a stored profile's fields (or the fact that there is none).
Lengths are counted in Unicode code points of the bio as stored; a bio that is empty or
only whitespace counts as missing.
"""

from __future__ import annotations

from dataclasses import dataclass

BIO_MIN_CHARS = 40
BIO_MAX_CHARS: dict[str, int] = {"x": 160, "instagram": 150, "linkedin": 220, "facebook": 101}

MISSING_PROFILE = "missing_profile"
MISSING_PHOTO = "missing_photo"
PHOTO_NOT_SMILING = "photo_not_smiling"
MISSING_BIO = "missing_bio"
BIO_TOO_SHORT = "bio_too_short"
BIO_TOO_LONG = "bio_too_long"
CODES = (
    MISSING_PROFILE,
    MISSING_PHOTO,
    PHOTO_NOT_SMILING,
    MISSING_BIO,
    BIO_TOO_SHORT,
    BIO_TOO_LONG,
)


@dataclass(frozen=True)
class Finding:
    """One thing to fix. ``length`` / ``limit`` carry the numbers of the bio findings."""

    code: str
    detail: str
    length: int | None = None
    limit: int | None = None


def _chars(n: int) -> str:
    return f"{n} character{'' if n == 1 else 's'}"


def profile_findings(
    platform: str, bio: str | None, photo_url: str | None, photo_smiling: bool | None
) -> list[Finding]:
    """Findings for one stored profile, in the order of §6.6."""
    limit = BIO_MAX_CHARS[platform]
    found: list[Finding] = []
    if photo_url is None or not photo_url.strip():
        found.append(
            Finding(
                MISSING_PHOTO, f"no profile photo on {platform}; add a clear photo of your face"
            )
        )
    if photo_smiling is False:
        found.append(
            Finding(
                PHOTO_NOT_SMILING,
                f"the {platform} profile photo is marked as not smiling; use one where you smile",
            )
        )
    if bio is None or not bio.strip():
        found.append(
            Finding(
                MISSING_BIO,
                f"no bio on {platform}; write {BIO_MIN_CHARS} to {limit} characters",
                0,
                BIO_MIN_CHARS,
            )
        )
        return found
    length = len(bio)
    if length < BIO_MIN_CHARS:
        found.append(
            Finding(
                BIO_TOO_SHORT,
                f"the {platform} bio is {_chars(length)}, under the minimum of {BIO_MIN_CHARS}; "
                f"add at least {_chars(BIO_MIN_CHARS - length)}",
                length,
                BIO_MIN_CHARS,
            )
        )
    if length > limit:
        found.append(
            Finding(
                BIO_TOO_LONG,
                f"the {platform} bio is {_chars(length)}, over {platform}'s limit of {limit}; "
                f"cut {_chars(length - limit)}",
                length,
                limit,
            )
        )
    return found


def missing_profile_finding(
    platform: str, has_follow_plan: bool, has_posting_plan: bool, has_events: bool
) -> Finding | None:
    """``missing_profile`` when the platform has a plan or events but no profile."""
    why = [
        text
        for flag, text in (
            (has_follow_plan, "a follow plan"),
            (has_posting_plan, "a posting plan"),
            (has_events, "recorded events"),
        )
        if flag
    ]
    if not why:
        return None
    return Finding(
        MISSING_PROFILE,
        f"no {platform} profile although you have "
        f"{' and '.join(why)} there; PUT one with your handle and bio",
    )
