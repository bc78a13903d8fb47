"""Sales-contact ratio (SPEC §6.3), its guard (§6.5), and engagement (§6.4)."""

from decimal import Decimal

import pytest

from app.calc.engagement import engagement_figures
from app.calc.ratios import (
    RatioFigures,
    check_sales_contact,
    ratio_figures,
    worst_counterparts,
)


@pytest.mark.parametrize(
    ("non_sales", "sales", "required", "expected"),
    [
        # 25 / 2 = 12.5; 25 >= 10*2; floor(25/10) - 2 = 0; ceil(10*3 - 25) = 5
        (25, 2, 10, RatioFigures(25, 2, 12.5, 10.0, True, 0, 5)),
        # 30 >= 20; floor(3) - 2 = 1; 10*3 - 30 = 0
        (30, 2, 10, RatioFigures(30, 2, 15.0, 10.0, True, 1, 0)),
        # no contacts at all: ratio null, compliant, 10 non-sales needed for the first sale
        (0, 0, 10, RatioFigures(0, 0, None, 10.0, True, 0, 10)),
        # 5 < 10*1: not compliant; max(0, 0 - 1) = 0; 10*2 - 5 = 15
        (5, 1, 10, RatioFigures(5, 1, 5.0, 10.0, False, 0, 15)),
        # 2.5: 7 >= 5; floor(7/2.5 = 2.8) - 2 = 0; ceil(2.5*3 - 7 = 0.5) = 1
        (7, 2, 2.5, RatioFigures(7, 2, 3.5, 2.5, True, 0, 1)),
        # 2.5: 5 >= 5 exactly; floor(2) - 2 = 0; ceil(7.5 - 5) = 3
        (5, 2, 2.5, RatioFigures(5, 2, 2.5, 2.5, True, 0, 3)),
        # 2.5: floor(10/2.5 = 4) - 0 = 4
        (10, 0, 2.5, RatioFigures(10, 0, None, 2.5, True, 4, 0)),
        # 10.3 exactly 103/10: 103 >= 103 (floats say 10.3*10 = 103.00000000000001)
        (103, 10, 10.3, RatioFigures(103, 10, 10.3, 10.3, True, 0, 11)),
        # Decimal input: 11.33 * 12 - 135 = 0.96 -> 1
        (135, 11, Decimal("11.33"), RatioFigures(135, 11, 135 / 11, 11.33, True, 0, 1)),
    ],
)
def test_ratio_figures(non_sales, sales, required, expected):
    assert ratio_figures(non_sales, sales, required) == expected


def test_ratio_figures_rejects_bad_input():
    with pytest.raises(ValueError):
        ratio_figures(1, 1, 0)
    with pytest.raises(ValueError):
        ratio_figures(-1, 1, 10)
    with pytest.raises(ValueError):
        ratio_figures(1, 1, float("nan"))


def test_worst_counterparts_order():
    rows = [
        ("bob", 5, 1),  # 5
        ("alice", 10, 2),  # 5
        ("carol", 30, 1),  # compliant
        ("dave", 0, 0),  # no sales contact
        ("eve", 3, 1),  # 3: worst
        ("ann", 5, 1),  # 5
        ("zed", 19, 2),  # 9.5
    ]
    worst = worst_counterparts(rows, 10)
    assert [name for name, _ in worst] == ["eve", "alice", "ann", "bob", "zed"]
    assert worst[0][1] == RatioFigures(3, 1, 3.0, 10.0, False, 0, 17)
    assert worst_counterparts([], 10) == []


def test_sales_contact_allowed_and_refused():
    ok = check_sales_contact(ratio_figures(30, 2, 10), 1)
    assert ok.allowed and ok.reasons == [] and ok.next_allowed_at is None

    refused = check_sales_contact(ratio_figures(25, 2, 10), 2)
    assert refused.codes == ["sales_ratio"]
    # ceil(10 * (2 + 2) - 25) = 15
    assert refused.reasons[0].detail == (
        "25 non-sales contacts and 2 sales contacts in the window, required ratio 10:1; "
        "0 more sales contacts allowed now, asked for 2; 15 more non-sales contacts needed first"
    )
    assert refused.next_allowed_at is None


def test_sales_contact_with_a_fractional_ratio():
    # 2.5: 10 non-sales, 2 sales -> floor(4) - 2 = 2 allowed; 3 needs ceil(2.5*5 - 10) = 3 more.
    figures = ratio_figures(10, 2, 2.5)
    assert check_sales_contact(figures, 2).allowed
    result = check_sales_contact(figures, 3)
    assert "required ratio 2.5:1" in result.reasons[0].detail
    assert result.reasons[0].detail.endswith("3 more non-sales contacts needed first")


def test_counterpart_ratio():
    overall = ratio_figures(300, 2, 10)
    # bob: 5 non-sales, 0 sales; one more sale needs 10 -> 5 more.
    result = check_sales_contact(overall, 1, "bob", ratio_figures(5, 0, 10))
    assert result.codes == ["counterpart_ratio"]
    assert result.reasons[0].detail == (
        "with bob: 5 non-sales contacts and 0 sales contacts, required ratio 10:1; "
        "5 more non-sales contacts with them needed before 1 sales contact"
    )
    # A counterpart we have never contacted: 10 non-sales needed first.
    unknown = check_sales_contact(overall, 1, "newbie", None)
    assert unknown.codes == ["counterpart_ratio"]
    assert "10 more non-sales contacts with them" in unknown.reasons[0].detail
    # Both reasons together.
    both = check_sales_contact(ratio_figures(5, 1, 10), 1, "bob", ratio_figures(5, 1, 10))
    assert both.codes == ["sales_ratio", "counterpart_ratio"]
    # Enough goodwill with carol.
    assert check_sales_contact(overall, 1, "carol", ratio_figures(20, 1, 10)).allowed


@pytest.mark.parametrize(
    ("args", "share", "flags"),
    [
        ((3, 1, 5, 1, 0.5), 0.25, ["broadcast_heavy"]),  # 1 / 4 < 0.5
        ((2, 2, 0, 2, 0.5), 0.5, []),  # exactly the target is fine
        ((0, 3, 0, 2, 0.5), 1.0, []),
        ((0, 0, 4, 0, 0.5), None, []),  # nothing sent: share null, no flag
        ((3, 0, 0, 0, 0), 0.0, []),  # target 0: nothing is below it
        ((7, 3, 0, 3, 0.3), 0.3, []),  # 3/10 vs 0.3 compared exactly
    ],
)
def test_engagement(args, share, flags):
    figures = engagement_figures(*args)
    assert figures.interaction_share == share
    assert figures.flags == flags
    assert (figures.broadcasts, figures.interactions, figures.inbound, figures.people_engaged) == (
        args[:4]
    )
