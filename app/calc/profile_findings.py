"""Profile findings (SPEC §6.6): is the user's presence on a platform complete?

Pure: the caller passes a stored profile's fields (or the fact that there is none).
Lengths are counted in the platform's bio unit (SPEC §9.1, §9.3): Unicode code points after
NFC ("chars"), graphemes on Bluesky; the minimum of 40 is counted in the same unit. A bio
that is empty or only whitespace counts as missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from app.calc.text_length import bio_length, unit_name
from app.calc.vocabulary import CHARS, PLATFORM_PRESETS

BIO_MIN_CHARS = 40
# The bio limit of every platform, in its unit (BIO_UNITS).
BIO_MAX_CHARS: dict[str, int] = {p: preset.bio_limit for p, preset in PLATFORM_PRESETS.items()}
BIO_UNITS: dict[str, str] = {p: preset.bio_unit for p, preset in PLATFORM_PRESETS.items()}

# The findings of §6.6, in its order.
FindingCode = Literal[
    "missing_profile",
    "missing_photo",
    "photo_not_smiling",
    "missing_bio",
    "bio_too_short",
    "bio_too_long",
]
MISSING_PROFILE: Final = "missing_profile"
MISSING_PHOTO: Final = "missing_photo"
PHOTO_NOT_SMILING: Final = "photo_not_smiling"
MISSING_BIO: Final = "missing_bio"
BIO_TOO_SHORT: Final = "bio_too_short"
BIO_TOO_LONG: Final = "bio_too_long"


@dataclass(frozen=True)
class Finding:
    """One thing to fix. ``length`` / ``limit`` carry the numbers of the bio findings."""

    code: FindingCode
    detail: str
    length: int | None = None
    limit: int | None = None


def _chars(n: int, unit: str = CHARS) -> str:
    if unit == CHARS:
        return f"{n} character{'' if n == 1 else 's'}"
    return f"{n} {unit_name(unit, n)}"


def bio_size(platform: str, bio: str) -> int:
    """The bio's length in the platform's bio unit."""
    return bio_length(platform, bio)[0]


def profile_findings(
    platform: str, bio: str | None, photo_url: str | None, photo_smiling: bool | None
) -> list[Finding]:
    """Findings for one stored profile, in the order of §6.6."""
    limit, unit = BIO_MAX_CHARS[platform], BIO_UNITS[platform]
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
                f"no bio on {platform}; write {BIO_MIN_CHARS} to {limit} {unit_name(unit)}",
                0,
                BIO_MIN_CHARS,
            )
        )
        return found
    length = bio_size(platform, bio)
    if length < BIO_MIN_CHARS:
        found.append(
            Finding(
                BIO_TOO_SHORT,
                f"the {platform} bio is {_chars(length, unit)}, under the minimum of {BIO_MIN_CHARS}; "
                f"add at least {_chars(BIO_MIN_CHARS - length, unit)}",
                length,
                BIO_MIN_CHARS,
            )
        )
    if length > limit:
        found.append(
            Finding(
                BIO_TOO_LONG,
                f"the {platform} bio is {_chars(length, unit)}, over {platform}'s limit of {limit}; "
                f"cut {_chars(length - limit, unit)}",
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
