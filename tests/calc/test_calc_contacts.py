"""app/calc/contacts.py: the §10 formulas, by hand."""

from datetime import UTC, date, datetime, timedelta

import pytest

from app.calc import contacts as calc
from app.calc.contacts import WindowEvent

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
D1, D2 = date(2026, 11, 1), date(2026, 11, 2)


@pytest.mark.parametrize(
    ("inbound", "non_sales", "first", "last", "expected"),
    [
        (0, 50, None, None, "know"),
        (1, 50, D1, D1, "like"),
        (3, 10, D1, D1, "like"),  # one local day only
        (3, 9, D1, D2, "like"),  # non_sales below the ratio
        (2, 10, D1, D2, "like"),  # two inbound only
        (3, 10, D1, D2, "trust"),
    ],
)
def test_stage(inbound, non_sales, first, last, expected):
    assert calc.stage(inbound, non_sales, 10, first, last) == expected


def test_stage_without_events_is_none():
    assert calc.stage(0, 0, 10, None, None, any_event=False) is None


def test_due_stale_and_overdue_days():
    due = calc.due_at(T0, 30)
    assert due == T0 + timedelta(days=30)
    assert not calc.stale(due, due)
    assert calc.stale(due, due + timedelta(microseconds=1))
    assert calc.overdue_days(due, due + timedelta(microseconds=1)) == 0
    assert calc.overdue_days(due, due + timedelta(days=2, hours=23)) == 2
    assert calc.overdue_days(due, due - timedelta(days=5)) == 0
    assert calc.due_at(None, 30) is None and calc.overdue_days(None, T0) == 0


def test_median_and_one_decimal():
    assert calc.median([]) is None
    assert calc.median([3.0, 1.0, 2.0]) == 2.0
    assert calc.median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert calc.one_decimal(2.25) == 2.3  # half up, not to even
    assert calc.one_decimal(2.24) == 2.2
    assert calc.one_decimal(None) is None


@pytest.mark.parametrize(
    ("days_since", "recip", "non_sales", "sales", "expected"),
    [
        (0, 1.0, 0, 0, 100),
        (0, 5.0, 0, 0, 100),  # reciprocity' is capped at 1
        (60, None, 0, 1, 0),  # recency 0, no outbound, a sale and no non-sales
        (90, 0.0, 0, 1, 0),  # recency stays 0 past 2 × cadence
        (15, 0.5, 5, 1, 60),  # 40 × 0.75 + 30 × 0.5 + 30 × 5 ÷ (10 × 1) = 30 + 15 + 15
        (30, None, 0, 0, 50),  # 40 × 0.5 + 0 + 30
    ],
)
def test_health(days_since, recip, non_sales, sales, expected):
    as_of = T0 + timedelta(days=days_since)
    assert calc.health(as_of, T0, 30, recip, non_sales, sales, 10) == expected


def test_health_rounds_half_up():
    # recency 1 − 1.5 ÷ 60 = 0.975 → 39; balance 1 → 30; reciprocity 0.05 → 1.5: 70.5 → 71.
    as_of = T0 + timedelta(days=1.5)
    assert calc.health(as_of, T0, 30, 0.05, 1, 0, 10) == 71


def _e(minutes: float, kind: str, direction: str) -> WindowEvent:
    return WindowEvent(T0 + timedelta(minutes=minutes), kind, direction)


def test_window_figures():
    w = calc.window_figures(
        [
            _e(0, "reply", "inbound"),
            _e(0, "reply", "outbound"),  # at the same instant: not after it
            _e(5, "follow", "outbound"),  # not an interaction or contact
            _e(10, "like", "outbound"),  # answers the reply of minute 0
            _e(20, "like", "inbound"),  # a like expects no answer
            _e(30, "mention", "inbound"),
            _e(31, "post", "outbound"),  # a contact: answers the mention
            _e(40, "direct_message", "inbound"),  # unanswered
        ]
    )
    assert (w.inbound, w.outbound) == (4, 4)
    assert w.reciprocity == 1.0
    assert (w.unanswered, w.waiting_since) == (1, T0 + timedelta(minutes=40))
    assert w.median_reply_minutes == 5.5  # (10 + 1) ÷ 2
    empty = calc.window_figures([])
    assert (empty.reciprocity, empty.median_reply_minutes, empty.unanswered) == (None, None, 0)
