"""The Today plan's to-do list (SPEC §11): texts and order."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.calc.profile_findings import Finding
from app.calc.today_actions import (
    DayFigures,
    FollowDay,
    Person,
    PostDay,
    handle_label,
    today_actions,
    waited,
)

NY = ZoneInfo("America/New_York")
AS_OF = datetime(2026, 11, 23, 18, tzinfo=UTC)  # 13:00 in New York
GRACE = uuid.UUID(int=1)
BOB = uuid.UUID(int=2)


def at(hh_mm: str) -> datetime:
    h, m = map(int, hh_mm.split(":"))
    return datetime(2026, 11, 23, h, m, tzinfo=NY).astimezone(UTC)


def test_labels_and_waits():
    assert handle_label(None, ["grace"]) == "@grace"
    assert handle_label("Grace Hopper", ["grace", "gh"]) == "Grace Hopper (@grace)"
    assert handle_label(None, ["ann@example.com"]) == "ann@example.com"
    assert handle_label("Ann", []) == "Ann"
    assert waited(AS_OF - timedelta(days=2, hours=3), AS_OF) == "2 days"
    assert waited(AS_OF - timedelta(hours=1, minutes=59), AS_OF) == "1 hour"
    assert waited(AS_OF - timedelta(seconds=20), AS_OF) == "1 minute"


def test_actions_are_concrete_and_ordered_by_time_then_importance():
    day = DayFigures(
        as_of=AS_OF,
        tz=NY,
        start_of_work=at("09:00"),
        follows=[FollowDay("x", 8, [at("14:00"), at("15:10"), at("17:30")], 5)],
        posts=[PostDay("linkedin", [at("13:00"), at("17:00")], 0, 2)],
        get_back_to=[Person(GRACE, "@grace", 1, AS_OF - timedelta(days=2))],
        keep_in_touch=[Person(BOB, "Bob (@bob)", overdue_days=12)],
        helpful_before_next_pitch=4,
        profile=[("x", Finding("missing_photo", "no photo"))],
    )
    actions = today_actions(day)
    assert [(a.code, a.text, a.at) for a in actions] == [
        ("reply", "reply to @grace: their message has waited 2 days", None),
        (
            "follow_unscheduled",
            "5 follows of today's 8 on x do not fit in your working hours within the limits; "
            "leave them for tomorrow",
            None,
        ),
        ("post", "post on linkedin at 13:00 (1 of 2 today)", at("13:00")),
        (
            "helpful_contacts",
            "help before you sell: make 4 helpful (non-sales) contacts before your next sales "
            "message",
            None,
        ),
        ("reconnect", "get back in touch with Bob (@bob): 12 days overdue", None),
        ("missing_photo", "add a profile photo on x", None),
        ("follow", "follow 3 people on x between 14:00 and 17:30, one at each slot", at("14:00")),
        ("post", "post on linkedin at 17:00 (2 of 2 today)", at("17:00")),
    ]
    # The 13:00 post is due now (as_of), as the untimed ones: it goes by importance.
    assert actions[0].contact_id == GRACE and actions[4].contact_id == BOB
    assert actions[-2].platform == "x"


def test_one_slot_and_several_messages():
    day = DayFigures(
        as_of=AS_OF,
        tz=NY,
        start_of_work=at("09:00"),
        follows=[FollowDay("x", 1, [at("16:45")], 0), FollowDay("linkedin", 0, [], 0)],
        get_back_to=[Person(GRACE, "@grace", 3, AS_OF - timedelta(hours=5))],
    )
    assert [a.text for a in today_actions(day)] == [
        "reply to @grace: 3 messages, the oldest has waited 5 hours",
        "follow 1 person on x at 16:45, one at each slot",
    ]
