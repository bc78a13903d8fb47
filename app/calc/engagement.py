"""Engagement: broadcasts versus interactions (SPEC §6.4)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final, Literal

from app.calc.ratios import exact

# The flags of the engagement answer (§6.4).
EngagementFlag = Literal["broadcast_heavy"]
BROADCAST_HEAVY: Final = "broadcast_heavy"


@dataclass(frozen=True)
class EngagementFigures:
    broadcasts: int
    interactions: int
    inbound: int
    people_engaged: int
    interaction_share: float | None
    interaction_share_target: float
    flags: list[EngagementFlag]


def engagement_figures(
    broadcasts: int,
    interactions: int,
    inbound: int,
    people_engaged: int,
    interaction_share_target: float | Decimal,
) -> EngagementFigures:
    """interaction_share = interactions ÷ (broadcasts + interactions), None when both are 0;
    flag ``broadcast_heavy`` when broadcasts > 0 and the share < the target (compared
    exactly)."""
    total = broadcasts + interactions
    share = Fraction(interactions, total) if total else None
    heavy = broadcasts > 0 and share is not None and share < exact(interaction_share_target)
    return EngagementFigures(
        broadcasts=broadcasts,
        interactions=interactions,
        inbound=inbound,
        people_engaged=people_engaged,
        interaction_share=float(share) if share is not None else None,
        interaction_share_target=float(interaction_share_target),
        flags=[BROADCAST_HEAVY] if heavy else [],
    )
