"""The answer shape of the pre-flight guard (SPEC §6.5): allowed, reasons, next_allowed_at."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Reason:
    """One reason an action is refused: a stable ``code`` and a sentence with the numbers."""

    code: str
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
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``"1 follow"``, ``"3 follows"``."""
    word = singular if n == 1 else (plural_form or singular + "s")
    return f"{n} {word}"
