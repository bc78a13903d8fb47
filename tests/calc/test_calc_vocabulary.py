"""Vocabulary and presets (SPEC §1, §5)."""

import pytest

from app.calc.vocabulary import (
    BROADCASTS,
    CONTACT_KINDS,
    CONTACTS,
    INTERACTIONS,
    KINDS,
    PLATFORM_PRESETS,
    PLATFORMS,
    WEEKDAYS,
    weekday_names,
    weekday_numbers,
)


def test_platforms_and_kind_groups():
    # §1 since v2: the four platforms of v1, then the four of §9.
    assert PLATFORMS == (
        "x",
        "facebook",
        "linkedin",
        "instagram",
        "bluesky",
        "threads",
        "mastodon",
        "tiktok",
    )
    assert len(KINDS) == 10
    assert set(KINDS) - {"follow", "unfollow"} == BROADCASTS | INTERACTIONS
    assert (BROADCASTS | INTERACTIONS) - {"like"} == CONTACTS
    assert CONTACT_KINDS == (
        "post",
        "share",
        "reply",
        "mention",
        "direct_message",
        "comment",
        "wall_post",
    )


def test_presets_match_the_spec_table():
    table = {
        p.platform: (
            p.follow_daily_limit,
            p.follow_weekly_limit,
            p.daily_cap,
            p.burst_limit,
            p.max_posts_per_day,
        )
        for p in PLATFORM_PRESETS.values()
    }
    assert table == {
        "x": (400, None, 100, 25, 5),
        "linkedin": (None, 100, 20, 10, 2),
        "instagram": (None, None, 50, 15, 2),
        "facebook": (None, None, 30, 10, 2),
        # §9.1: their limits are rules (tests/calc/test_platform_rules.py), none of them a
        # follow-only local-day or 7-day rule.
        "bluesky": (None, None, 50, 15, 5),
        "threads": (None, None, 30, 10, 3),
        "mastodon": (None, None, 50, 15, 5),
        "tiktok": (None, None, 30, 10, 3),
    }
    assert tuple(PLATFORM_PRESETS) == PLATFORMS
    for preset in PLATFORM_PRESETS.values():
        assert (preset.min_posts_per_day, preset.min_gap_minutes, preset.burst_window_minutes) == (
            1,
            60,
            60,
        )
        assert preset.follow_limit_source and preset.max_posts_source


def test_weekday_conversions():
    assert WEEKDAYS == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    assert weekday_numbers(["mon", "wed", "sun"]) == frozenset({0, 2, 6})
    assert weekday_names({6, 0, 2}) == ["mon", "wed", "sun"]
    with pytest.raises(ValueError, match="unknown weekday"):
        weekday_numbers(["funday"])
