"""Platforms, event kinds, kind groups and the §5 platform presets (SPEC §1, §5).

Pure constants; everything is in the order the SPEC lists it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

PLATFORMS: tuple[str, ...] = ("x", "facebook", "linkedin", "instagram")

KINDS: tuple[str, ...] = (
    "follow",
    "unfollow",
    "post",
    "share",
    "reply",
    "mention",
    "direct_message",
    "comment",
    "wall_post",
    "like",
)

DIRECTIONS: tuple[str, ...] = ("outbound", "inbound")
DEFAULT_DIRECTION = "outbound"

BROADCASTS: frozenset[str] = frozenset({"post", "share"})
INTERACTIONS: frozenset[str] = frozenset(
    {"reply", "mention", "direct_message", "comment", "wall_post", "like"}
)
CONTACTS: frozenset[str] = frozenset(
    {"post", "share", "reply", "mention", "direct_message", "comment", "wall_post"}
)
# is_sales: true is only allowed on contact kinds (a 422 on follow, unfollow and like).
SALES_KINDS: frozenset[str] = CONTACTS

# The same groups as tuples in §1 order, for stable output and SQL IN lists.
BROADCAST_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k in BROADCASTS)
INTERACTION_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k in INTERACTIONS)
CONTACT_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k in CONTACTS)

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# House defaults for every platform (§5: not platform rules).
DEFAULT_MIN_POSTS_PER_DAY = 1
DEFAULT_MIN_GAP_MINUTES = 60
DEFAULT_BURST_WINDOW_MINUTES = 60
DEFAULT_WARMUP_DAYS = 0

# User settings defaults (§4).
DEFAULT_SALES_RATIO = 10
DEFAULT_INTERACTION_SHARE_TARGET = 0.5
DEFAULT_KEEP_IN_TOUCH_DAYS = 30


@dataclass(frozen=True)
class PlatformPreset:
    """§5 defaults for one platform, used where a plan leaves a value out.

    ``follow_daily_limit`` / ``follow_weekly_limit`` are the platform's own follow limits
    (per local day / per rolling 7 days), None where none is published; a plan may not
    exceed them.
    """

    platform: str
    follow_daily_limit: int | None
    follow_weekly_limit: int | None
    daily_cap: int
    burst_limit: int
    max_posts_per_day: int
    follow_limit_source: str
    max_posts_source: str
    min_posts_per_day: int = DEFAULT_MIN_POSTS_PER_DAY
    min_gap_minutes: int = DEFAULT_MIN_GAP_MINUTES
    burst_window_minutes: int = DEFAULT_BURST_WINDOW_MINUTES


PLATFORM_PRESETS: Mapping[str, PlatformPreset] = MappingProxyType(
    {
        "x": PlatformPreset(
            platform="x",
            follow_daily_limit=400,
            follow_weekly_limit=None,
            daily_cap=100,
            burst_limit=25,
            max_posts_per_day=5,
            follow_limit_source='400 / day (X Help Center "following rules"; X API follows docs)',
            max_posts_source="Hootsuite: 1–5 a day; Buffer: engagement dips after the 3rd",
        ),
        "facebook": PlatformPreset(
            platform="facebook",
            follow_daily_limit=None,
            follow_weekly_limit=None,
            daily_cap=30,
            burst_limit=10,
            max_posts_per_day=2,
            follow_limit_source="none published",
            max_posts_source="Buffer/SumAll: at most 2 a day",
        ),
        "linkedin": PlatformPreset(
            platform="linkedin",
            follow_daily_limit=None,
            follow_weekly_limit=100,
            daily_cap=20,
            burst_limit=10,
            max_posts_per_day=2,
            follow_limit_source=(
                "100 / rolling 7 days (widely reported since 2021; LinkedIn publishes none)"
            ),
            max_posts_source="Buffer: 1 per weekday; Hootsuite: 1–5",
        ),
        "instagram": PlatformPreset(
            platform="instagram",
            follow_daily_limit=None,
            follow_weekly_limit=None,
            daily_cap=50,
            burst_limit=15,
            max_posts_per_day=2,
            follow_limit_source="none published",
            max_posts_source="Mosseri, 2021: 2 feed posts a week, 2 stories a day",
        ),
    }
)


def weekday_numbers(names: Iterable[str]) -> frozenset[int]:
    """``{"mon", "wed"}`` → ``frozenset({0, 2})``; ValueError naming an unknown day."""
    numbers = set()
    for name in names:
        key = name.strip().lower() if isinstance(name, str) else name
        if key not in WEEKDAYS:
            raise ValueError(f"unknown weekday {name!r}; use one of {', '.join(WEEKDAYS)}")
        numbers.add(WEEKDAYS.index(key))
    return frozenset(numbers)


def weekday_names(numbers: Iterable[int]) -> list[str]:
    """``{2, 0}`` → ``["mon", "wed"]`` (Monday first)."""
    return [WEEKDAYS[n] for n in sorted(set(numbers))]
