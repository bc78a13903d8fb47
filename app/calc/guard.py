"""The answer shape of the pre-flight guard (SPEC §6.5): allowed, reasons, next_allowed_at."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# The actions the guard answers for (§6.5).
Action = Literal["follow", "post", "sales_contact"]

# Every reason a guard can give, in the order the API documents them: the follow guard
# (app.calc.follow_limits), the post guard (app.calc.posting, app.calc.post_limits) and the
# sales-contact guard (app.calc.ratios).
ReasonCode = Literal[
    "daily_cap",
    "burst_limit",
    "weekly_limit",
    "platform_limit",
    "exceeds_limit",
    "over_posting",
    "too_soon",
    "text_too_long",
    "sales_ratio",
    "counterpart_ratio",
]


@dataclass(frozen=True)
class Reason:
    """One reason an action is refused: a stable ``code`` and a sentence with the numbers."""

    code: ReasonCode
    detail: str


@dataclass(frozen=True)
class GuardResult:
    """Whether an action may happen now, every reason it may not, and when it could.

    ``next_allowed_at`` (UTC) is None when the action is allowed, and also when waiting
    cannot help (code ``exceeds_limit``, or a ratio that only more contacts can fix).
    """

    allowed: bool
    reasons: list[Reason] = field(default_factory=list)
    next_allowed_at: datetime | None = None

    @property
    def codes(self) -> list[ReasonCode]:
        return [reason.code for reason in self.reasons]


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``"1 follow"``, ``"3 follows"``."""
    word = singular if n == 1 else (plural_form or singular + "s")
    return f"{n} {word}"
