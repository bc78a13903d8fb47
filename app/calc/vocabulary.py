"""Platforms, event kinds, kind groups, the platform presets and the platform limits as data
(SPEC §1, §5, §9).

Pure constants; everything is in the order the SPEC lists it. Each platform's limits are
one list of ``PlatformRule`` (``PLATFORM_RULES``), evaluated by
``app.calc.platform_rules.evaluate_rules``; its bio and post text limits carry the unit
``app.calc.text_length`` counts them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Final, Literal, get_args

from app.calc.platform_rules import LOCAL_DAY, PlatformRule

# §1: the four platforms of v1, then the four of v2 (§9). Each vocabulary is declared once,
# as a Literal (the type the dataclasses and the API schemas use); the tuple is derived from
# it and keeps its order.
Platform = Literal[
    "x", "facebook", "linkedin", "instagram", "bluesky", "threads", "mastodon", "tiktok"
]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)

Kind = Literal[
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
]
KINDS: tuple[Kind, ...] = get_args(Kind)

# outbound: the user did it; inbound: someone did it to the user.
Direction = Literal["outbound", "inbound"]
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)

BROADCASTS: frozenset[Kind] = frozenset({"post", "share"})
INTERACTIONS: frozenset[Kind] = frozenset(
    {"reply", "mention", "direct_message", "comment", "wall_post", "like"}
)
# The kinds is_sales may be true on (a 422 on follow, unfollow and like).
CONTACTS: frozenset[Kind] = frozenset(
    {"post", "share", "reply", "mention", "direct_message", "comment", "wall_post"}
)

# The same groups as tuples in §1 order, for stable output and SQL IN lists.
BROADCAST_KINDS: tuple[Kind, ...] = tuple(k for k in KINDS if k in BROADCASTS)
INTERACTION_KINDS: tuple[Kind, ...] = tuple(k for k in KINDS if k in INTERACTIONS)
CONTACT_KINDS: tuple[Kind, ...] = tuple(k for k in KINDS if k in CONTACTS)

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)

# House defaults for every platform (§5: not platform rules).
# User settings' defaults (§4), used by the users domain's table and schemas.
DEFAULT_SALES_RATIO = 10
DEFAULT_INTERACTION_SHARE_TARGET = 0.5
DEFAULT_KEEP_IN_TOUCH_DAYS = 30
DEFAULT_MIN_POSTS_PER_DAY = 1
DEFAULT_MIN_GAP_MINUTES = 60
DEFAULT_BURST_WINDOW_MINUTES = 60


# The day the sources below were last re-read (SPEC §9.1: served with the date checked).
SOURCES_CHECKED = "2026-12-01"

# Length units (SPEC §9.3), counted by app.calc.text_length.
TextUnit = Literal["weighted", "graphemes", "utf16_code_units", "chars"]
WEIGHTED: Final = "weighted"  # twitter-text v3 weighted length (X)
GRAPHEMES: Final = "graphemes"  # extended grapheme clusters, UAX #29
UTF16: Final = "utf16_code_units"
CHARS: Final = "chars"  # Unicode code points after NFC

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)

# Every platform's limits (SPEC §9.2): at most `limit` outbound events of `kinds` in any
# window of `window` (rolling), or per local day. A platform without published limits has none.
_RULES: dict[Platform, tuple[PlatformRule, ...]] = {
    "x": (PlatformRule("follows_per_local_day", ("follow",), 400, _DAY, "follows", LOCAL_DAY),),
    "facebook": (),
    "linkedin": (PlatformRule("follows_per_7_days", ("follow",), 100, 7 * _DAY, "follows"),),
    "instagram": (),
    "bluesky": (
        # 5,000 points an hour and 35,000 a day, a create costing 3 points: 1,666 and 11,666
        # creates. Every kind below creates a record, so they share one budget.
        PlatformRule(
            "record_creates_per_hour",
            ("follow", "post", "share", "reply", "mention", "comment", "like"),
            1666,
            _HOUR,
            "record creates",
        ),
        PlatformRule(
            "record_creates_per_24_hours",
            ("follow", "post", "share", "reply", "mention", "comment", "like"),
            11666,
            24 * _HOUR,
            "record creates",
        ),
    ),
    "threads": (
        PlatformRule("posts_per_24_hours", ("post", "share", "mention"), 250, 24 * _HOUR, "posts"),
        PlatformRule("replies_per_24_hours", ("reply", "comment"), 1000, 24 * _HOUR, "replies"),
    ),
    "mastodon": (
        PlatformRule("follows_per_24_hours", ("follow",), 400, 24 * _HOUR, "follows"),
        PlatformRule(
            "posts_per_3_hours", ("post", "share", "reply", "mention"), 300, 3 * _HOUR, "posts"
        ),
    ),
    "tiktok": (),
}
PLATFORM_RULES: Mapping[str, tuple[PlatformRule, ...]] = MappingProxyType(
    {p: tuple(replace(r, platform=p) for r in rules) for p, rules in _RULES.items()}
)


@dataclass(frozen=True)
class Source:
    """Where a figure comes from, and when it was last checked."""

    topic: str
    source: str
    checked: str = SOURCES_CHECKED


@dataclass(frozen=True)
class PlatformPreset:
    """§5 / §9.1 defaults for one platform, used where a plan leaves a value out, with the
    platform's limits (``rules``) and its bio and post text limits in their units.

    ``follow_daily_limit`` / ``follow_weekly_limit`` (the v1 fields) are the limits of a
    follow-only rule per local day / per rolling 7 days, None where there is none; the
    ``rules`` are the full list.
    """

    platform: Platform
    daily_cap: int
    burst_limit: int
    max_posts_per_day: int
    follow_limit_source: str
    max_posts_source: str
    bio_limit: int
    bio_unit: TextUnit
    text_limit: int
    text_unit: TextUnit
    sources: tuple[Source, ...] = ()
    min_posts_per_day: int = DEFAULT_MIN_POSTS_PER_DAY
    min_gap_minutes: int = DEFAULT_MIN_GAP_MINUTES
    burst_window_minutes: int = DEFAULT_BURST_WINDOW_MINUTES
    rules: tuple[PlatformRule, ...] = field(default=())

    def _follow_only(self, window: timedelta, calendar: str | None) -> int | None:
        for rule in self.rules:
            if rule.kinds == ("follow",) and rule.window == window and rule.calendar == calendar:
                return rule.limit
        return None

    @property
    def follow_daily_limit(self) -> int | None:
        return self._follow_only(_DAY, LOCAL_DAY)

    @property
    def follow_weekly_limit(self) -> int | None:
        return self._follow_only(7 * _DAY, None)

    @property
    def follow_rules(self) -> tuple[PlatformRule, ...]:
        """The rules a follow counts against."""
        return tuple(r for r in self.rules if "follow" in r.kinds)

    @property
    def post_rules(self) -> tuple[PlatformRule, ...]:
        """The rules a post counts against."""
        return tuple(r for r in self.rules if "post" in r.kinds)


_BSKY_RATE = (
    'docs.bsky.app, Advanced guides, "Rate limits": 5,000 points per hour and '
    "35,000 per day per account, 3 points a create: 1,666 creates per hour, 11,666 per day"
)
_THREADS_RATE = (
    'Meta for Developers, Threads API overview, "Posts" and "Replies" rate limits: '
    "250 API-published posts and 1,000 replies per profile in a 24-hour moving period"
)
_MASTODON_RATE = (
    "mastodon/mastodon app/lib/rate_limiter.rb (RateLimiter::FAMILIES): follows 400 "
    "per 24 hours, statuses 300 per 3 hours; an instance may change them"
)


def _preset(platform: Platform, **values: Any) -> PlatformPreset:
    return PlatformPreset(platform=platform, rules=PLATFORM_RULES[platform], **values)


PLATFORM_PRESETS: Mapping[str, PlatformPreset] = MappingProxyType(
    {
        "x": _preset(
            "x",
            daily_cap=100,
            burst_limit=25,
            max_posts_per_day=5,
            follow_limit_source='400 / day (X Help Center "following rules"; X API follows docs)',
            max_posts_source="Hootsuite: 1–5 a day; Buffer: engagement dips after the 3rd",
            bio_limit=160,
            bio_unit=CHARS,
            text_limit=280,
            text_unit=WEIGHTED,
            sources=(
                Source(
                    "post text length",
                    "twitter/twitter-text config/v3.json (weighted "
                    "length: URLs 23, CJK and emoji 2, scale 100) and its conformance "
                    "cases (conformance/validate.yml)",
                ),
            ),
        ),
        "facebook": _preset(
            "facebook",
            daily_cap=30,
            burst_limit=10,
            max_posts_per_day=2,
            follow_limit_source="none published",
            max_posts_source="Buffer/SumAll: at most 2 a day",
            bio_limit=101,
            bio_unit=CHARS,
            text_limit=63206,
            text_unit=CHARS,
        ),
        "linkedin": _preset(
            "linkedin",
            daily_cap=20,
            burst_limit=10,
            max_posts_per_day=2,
            follow_limit_source=(
                "100 / rolling 7 days (widely reported since 2021; LinkedIn publishes none)"
            ),
            max_posts_source="Buffer: 1 per weekday; Hootsuite: 1–5",
            bio_limit=220,
            bio_unit=CHARS,
            text_limit=3000,
            text_unit=CHARS,
        ),
        "instagram": _preset(
            "instagram",
            daily_cap=50,
            burst_limit=15,
            max_posts_per_day=2,
            follow_limit_source="none published",
            max_posts_source="Mosseri, 2021: 2 feed posts a week, 2 stories a day",
            bio_limit=150,
            bio_unit=CHARS,
            text_limit=2200,
            text_unit=CHARS,
        ),
        "bluesky": _preset(
            "bluesky",
            daily_cap=50,
            burst_limit=15,
            max_posts_per_day=5,
            follow_limit_source=_BSKY_RATE,
            max_posts_source="house default (not a platform rule)",
            bio_limit=256,
            bio_unit=GRAPHEMES,
            text_limit=300,
            text_unit=GRAPHEMES,
            sources=(
                Source("rate limits", _BSKY_RATE),
                Source(
                    "text lengths",
                    "atproto lexicons app.bsky.feed.post (text: "
                    "maxGraphemes 300) and app.bsky.actor.profile (description: "
                    "maxGraphemes 256)",
                ),
            ),
        ),
        "threads": _preset(
            "threads",
            daily_cap=30,
            burst_limit=10,
            max_posts_per_day=3,
            follow_limit_source="none published (posting limits only)",
            max_posts_source="house default (not a platform rule)",
            bio_limit=150,
            bio_unit=CHARS,
            text_limit=500,
            text_unit=CHARS,
            sources=(
                Source("rate limits", _THREADS_RATE),
                Source(
                    "text lengths",
                    "Threads API: text posts up to 500 characters; profile bio 150 characters",
                ),
            ),
        ),
        "mastodon": _preset(
            "mastodon",
            daily_cap=50,
            burst_limit=15,
            max_posts_per_day=5,
            follow_limit_source=_MASTODON_RATE,
            max_posts_source="house default (not a platform rule)",
            bio_limit=500,
            bio_unit=CHARS,
            text_limit=500,
            text_unit=CHARS,
            sources=(
                Source("rate limits", _MASTODON_RATE),
                Source(
                    "text lengths",
                    "mastodon/mastodon StatusLengthValidator (500 "
                    "characters, the default of an instance) and Account note limit "
                    "(500)",
                ),
            ),
        ),
        "tiktok": _preset(
            "tiktok",
            daily_cap=30,
            burst_limit=10,
            max_posts_per_day=3,
            follow_limit_source="none published",
            max_posts_source="house default (not a platform rule)",
            bio_limit=80,
            bio_unit=CHARS,
            text_limit=2200,
            text_unit=UTF16,
            sources=(
                Source(
                    "text lengths",
                    "TikTok for Developers, Content Posting API: "
                    "video title (caption) up to 2,200 UTF-16 code units; profile "
                    "bio 80 characters",
                ),
            ),
        ),
    }
)


_WEEKDAY_NUMBERS: Mapping[str, int] = {day: i for i, day in enumerate(WEEKDAYS)}


def weekday_numbers(names: Iterable[str]) -> frozenset[int]:
    """``{"mon", "wed"}`` → ``frozenset({0, 2})``; ValueError naming an unknown day."""
    numbers: set[int] = set()
    for name in names:
        key = name.strip().lower() if isinstance(name, str) else name
        if key not in _WEEKDAY_NUMBERS:
            raise ValueError(f"unknown weekday {name!r}; use one of {', '.join(WEEKDAYS)}")
        numbers.add(_WEEKDAY_NUMBERS[key])
    return frozenset(numbers)


def weekday_names(numbers: Iterable[int]) -> list[Weekday]:
    """``{2, 0}`` → ``["mon", "wed"]`` (Monday first)."""
    return [WEEKDAYS[n] for n in sorted(set(numbers))]
