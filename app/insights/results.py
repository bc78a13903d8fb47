"""What the insight services return: app.calc's results with what they were computed for.

The routers shape them into the response models (``app.insights.schemas``), and the weekly
report (``app.reports``) combines them without asking the endpoints again.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.calc.engagement import EngagementFigures
from app.calc.follow_rules import FollowRules
from app.calc.pacing import PacingReport
from app.calc.posting import PostingRules, PostingSection
from app.calc.ratios import RatioFigures
from app.calc.vocabulary import Platform
from app.plans.models import FollowPlan


@dataclass(frozen=True)
class Pacing:
    """§6.1 for one platform's follow plan at ``as_of``. ``follows``: the outbound follow
    instants the report was computed from (at least since the local Monday of as_of's week,
    up to as_of)."""

    platform: Platform
    as_of: datetime
    window_days: int
    plan: FollowPlan
    rules: FollowRules
    follows: Sequence[datetime]
    report: PacingReport


@dataclass(frozen=True)
class PlatformPosting:
    """One platform's §6.2 section and the posting rules it was computed against."""

    platform: Platform
    rules: PostingRules
    section: PostingSection


@dataclass(frozen=True)
class Posting:
    """§6.2 for the local days ``first``..``last`` at ``as_of``."""

    first: date
    last: date
    as_of: datetime
    platforms: list[PlatformPosting]


@dataclass(frozen=True)
class SalesRatio:
    """§6.3 over the window: overall (or on ``platform``), per platform, and the people
    whose own ratio is behind, worst first."""

    as_of: datetime
    window_days: int
    platform: Platform | None
    figures: RatioFigures
    by_platform: list[tuple[Platform, RatioFigures]]
    by_counterpart: list[tuple[str, RatioFigures]]


@dataclass(frozen=True)
class Engagement:
    """§6.4 over the window."""

    as_of: datetime
    window_days: int
    figures: EngagementFigures
