"""The pure helpers behind the knowledge endpoints: no database, no clock."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.calc.follow_rules import FollowRules
from app.calc.next_actions import WeekFigures, interactions_needed, next_actions
from app.calc.profile_findings import missing_profile_finding, profile_findings
from app.calc.weekly import follow_days
from app.core.negotiation import preferred
from app.core.sqlite_functions import local_date

OFFERED = ["application/json", "text/csv"]


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("text/csv", "text/csv"),
        ("text/*", "text/csv"),
        ("text/csv, application/json", "application/json"),
        ("application/json;q=0.5, text/csv", "text/csv"),
        ("text/csv;q=0", "application/json"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/json"),
        ("text/csv;q=0.9, */*;q=0.1", "text/csv"),
        ("text/csv;q=oops", "application/json"),
    ],
)
def test_preferred_media_type(accept, chosen):
    assert preferred(accept, OFFERED) == chosen


def test_sqlite_local_date_across_dst():
    # Berlin leaves DST on 2026-10-25 at 01:00Z: 23:30Z is the next day before, not after.
    assert local_date("2026-10-24 22:30:00.000000", "Europe/Berlin") == "2026-10-25"
    assert local_date("2026-10-25 22:30:00.000000", "Europe/Berlin") == "2026-10-25"
    assert local_date("2026-10-25 23:00:00.000000", "Europe/Berlin") == "2026-10-26"
    assert local_date(None, "UTC") is None


def test_interactions_needed():
    assert interactions_needed(4, 2, 0.5) == 2  # (2 + 2) / (4 + 2 + 2) = 0.5
    assert interactions_needed(10, 1, 0.3) == 4  # 5 / 15 ≥ 0.3 > 4 / 14
    assert interactions_needed(4, 4, 0.5) == 0
    assert interactions_needed(0, 0, 0.9) == 0
    assert interactions_needed(3, 0, 1.0) is None


def _rules(warmup_days: int = 0) -> FollowRules:
    return FollowRules(
        weekly_target=6,
        active_weekdays=range(7),
        daily_cap=3,
        burst_limit=2,
        burst_window_minutes=60,
        warmup_days=warmup_days,
        starts_on=date(2026, 11, 2),
        platform_weekly_limit=None,
    )


def test_follow_days_flag_cap_and_burst_separately():
    t = lambda d, h, m=0: datetime(2026, 11, d, h, m, tzinfo=UTC)
    follows = [
        t(2, 9),
        t(2, 11),
        t(2, 13),  # 3 spread out: fine
        t(3, 9),
        t(3, 11),
        t(3, 13),
        t(3, 15),  # 4 > cap 3 (peak 1)
        t(4, 9),
        t(4, 9, 30),
        t(4, 10),  # 9:00 leaves the window at 10:00
        t(5, 9),
        t(5, 9, 30),
        t(5, 9, 59),  # 3 in 59 minutes > burst 2
        t(6, 9),
    ]  # after as_of
    days = follow_days(
        _rules(), ZoneInfo("UTC"), [(date(2026, 11, d), 1) for d in range(2, 7)], follows, t(5, 23)
    )
    assert [(d.follows, d.effective_cap, d.peak_burst, d.over_limit) for d in days] == [
        (3, 3, 1, False),
        (4, 3, 1, True),
        (3, 3, 2, False),
        (3, 3, 3, True),
        (0, 3, 0, False),
    ]
    # Warm-up: floor(3 × (10 + 4d) / 50) is 0 on day 0 (so 1) and 1 on day 4.
    warm = follow_days(
        _rules(10),
        ZoneInfo("UTC"),
        [(date(2026, 11, 2), 1), (date(2026, 11, 6), 1)],
        [t(2, 9), t(2, 12)],
        t(6, 23),
    )
    assert [(d.effective_cap, d.over_limit) for d in warm] == [(1, True), (1, False)]


def test_profile_findings_and_actions():
    found = profile_findings("facebook", "x" * 102, None, False)
    assert [f.code for f in found] == ["missing_photo", "photo_not_smiling", "bio_too_long"]
    assert missing_profile_finding("x", False, False, False) is None
    actions = next_actions(WeekFigures(profile=[("facebook", f) for f in found]))
    assert [(a.code, a.count) for a in actions] == [
        ("missing_photo", None),
        ("photo_not_smiling", None),
        ("bio_too_long", 1),
    ]
    assert actions[2].text == "cut 1 character from your facebook bio (102 now, limit 101)"
