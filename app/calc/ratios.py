"""The sales-contact ratio (SPEC §6.3) and the ``sales_contact`` pre-flight check (§6.5).

All comparisons use exact fractions: a required ratio given as a float is read through
its shortest decimal form, so 2.5 is exactly 5/2 and 10.3 exactly 103/10.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from app.calc.guard import GuardResult, Reason, plural


def exact(number: float | Decimal | Fraction) -> Fraction:
    """``number`` as an exact Fraction (floats through their shortest repr)."""
    if isinstance(number, bool):
        raise TypeError("a ratio must be a number, not a bool")
    if isinstance(number, float):
        if not math.isfinite(number):
            raise ValueError(f"a ratio must be finite, got {number}")
        return Fraction(repr(number))
    return Fraction(number)


@dataclass(frozen=True)
class RatioFigures:
    non_sales: int
    sales: int
    ratio: float | None
    required_ratio: float
    compliant: bool
    sales_allowed_now: int
    non_sales_needed: int


def non_sales_needed_for(non_sales: int, sales: int, required: Fraction, count: int) -> int:
    """Non-sales contacts still needed before ``count`` more sales contacts keep
    non_sales ≥ required × sales: max(0, ceil(required × (sales + count) − non_sales))."""
    return _needed(non_sales, sales, required.numerator, required.denominator, count)


def _needed(non_sales: int, sales: int, p: int, q: int, count: int) -> int:
    """non_sales_needed_for with required = p/q: ceil((p × (sales + count) − q × non_sales) / q)."""
    return max(0, -((non_sales * q - p * (sales + count)) // q))


def ratio_figures(non_sales: int, sales: int, required: float | Decimal | Fraction) -> RatioFigures:
    """SPEC §6.3 numbers for one scope (overall, a platform or a counterpart).

    With required = p/q, everything is integer arithmetic on p and q (exact, and cheap
    enough for thousands of counterparts)."""
    if non_sales < 0 or sales < 0:
        raise ValueError(f"counts must not be negative, got {non_sales} and {sales}")
    r = required if isinstance(required, Fraction) else exact(required)
    if r.numerator <= 0:
        raise ValueError(f"the required ratio must be positive, got {required}")
    return _figures(non_sales, sales, r.numerator, r.denominator, float(r))


def _figures(non_sales: int, sales: int, p: int, q: int, required: float) -> RatioFigures:
    """ratio_figures for required = p/q (> 0), which is `required` as a float."""
    return RatioFigures(
        non_sales=non_sales,
        sales=sales,
        ratio=(non_sales / sales) if sales else None,
        required_ratio=required,
        compliant=non_sales * q >= p * sales,
        sales_allowed_now=max(0, (non_sales * q) // p - sales),
        non_sales_needed=_needed(non_sales, sales, p, q, 1),
    )


def worst_counterparts(
    rows: Iterable[tuple[str, int, int]], required: float | Decimal
) -> list[tuple[str, RatioFigures]]:
    """``(counterpart, non_sales, sales)`` rows → the counterparts with at least one sales
    contact whose own numbers are not compliant, worst (lowest non_sales ÷ sales) first,
    ties by counterpart."""
    r = exact(required)
    p, q = r.numerator, r.denominator
    # compliant ⇔ non_sales ≥ (p/q) × sales ⇔ non_sales × q ≥ p × sales: integers only,
    # so a window with thousands of people costs no Fraction per person.
    behind = sorted(
        (non_sales / sales, name, non_sales, sales)
        for name, non_sales, sales in rows
        if sales >= 1 and non_sales * q < p * sales
    )
    # The float key is fast; two different ratios can only share a float when they are
    # within a rounding step of each other, so each run of equal floats is re-sorted exactly.
    ordered: list[tuple[float, str, int, int]] = []
    for _, equal in itertools.groupby(behind, key=lambda item: item[0]):
        run = list(equal)
        if len(run) > 1:
            run.sort(key=lambda item: (Fraction(item[2], item[3]), item[1]))
        ordered.extend(run)
    if p <= 0:
        raise ValueError(f"the required ratio must be positive, got {required}")
    as_float = float(r)
    return [
        (name, _figures(non_sales, sales, p, q, as_float)) for _, name, non_sales, sales in ordered
    ]


def _ratio_text(required: Fraction) -> str:
    value = float(required)
    return f"{int(value) if required.denominator == 1 else value:g}:1"


def check_sales_contact(
    figures: RatioFigures,
    count: int = 1,
    counterpart: str | None = None,
    counterpart_figures: RatioFigures | None = None,
) -> GuardResult:
    """The ``sales_contact`` pre-flight check (SPEC §6.5).

    ``sales_ratio`` when count > ``sales_allowed_now``; with a ``counterpart``,
    ``counterpart_ratio`` when that person's numbers after ``count`` more sales contacts
    would not be compliant (no figures for a counterpart means no contacts with them yet).
    ``next_allowed_at`` is always None: waiting alone does not fix a ratio (old contacts
    leaving the window only lower non-sales too); only more non-sales contacts do.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    required = exact(figures.required_ratio)
    reasons: list[Reason] = []
    if count > figures.sales_allowed_now:
        needed = non_sales_needed_for(figures.non_sales, figures.sales, required, count)
        reasons.append(
            Reason(
                "sales_ratio",
                f"{plural(figures.non_sales, 'non-sales contact')} and "
                f"{plural(figures.sales, 'sales contact')} in the window, required ratio "
                f"{_ratio_text(required)}; {figures.sales_allowed_now} more sales "
                f"{'contact' if figures.sales_allowed_now == 1 else 'contacts'} allowed now, "
                f"asked for {count}; {plural(needed, 'more non-sales contact')} needed first",
            )
        )
    if counterpart is not None or counterpart_figures is not None:
        theirs = counterpart_figures or ratio_figures(0, 0, figures.required_ratio)
        their_required = exact(theirs.required_ratio)
        if theirs.non_sales < their_required * (theirs.sales + count):
            needed = non_sales_needed_for(theirs.non_sales, theirs.sales, their_required, count)
            who = counterpart if counterpart is not None else "this counterpart"
            reasons.append(
                Reason(
                    "counterpart_ratio",
                    f"with {who}: {plural(theirs.non_sales, 'non-sales contact')} and "
                    f"{plural(theirs.sales, 'sales contact')}, required ratio "
                    f"{_ratio_text(their_required)}; "
                    f"{plural(needed, 'more non-sales contact')} with them needed before "
                    f"{plural(count, 'sales contact')}",
                )
            )
    return GuardResult(allowed=not reasons, reasons=reasons, next_allowed_at=None)
