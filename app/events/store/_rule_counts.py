"""The events of a platform's rules (SPEC §9.2), read from the database.

A ``WindowSource`` for ``app.calc.platform_rules.evaluate_rules`` over one user's outbound
events on one platform: a rule's window is a COUNT through the covering index
ix_event_window (user_id, platform, kind, occurred_at, direction, …), one seek per kind, and
the k-th oldest instant of a window is read (one row) only when a rule is used up. So a
window of Bluesky's 11,666 creates per 24 hours never comes back as rows. Counts are kept
for the request, so evaluating the same rules again (``next_allowed_at`` after
``allowed_now``) reads nothing more.

Only used for platforms whose rules count more than follows: pacing and the follow check
of x, LinkedIn and Mastodon evaluate their follow-only rules on the follows they read
anyway, and platforms without rules read nothing.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, case, func, select
from sqlmodel import Session

from app.events.models import EVENT_TABLE

E = EVENT_TABLE.c


def _where(inclusive: bool) -> tuple[ColumnElement[bool], ...]:
    lower = E.occurred_at >= bindparam("lower") if inclusive else E.occurred_at > bindparam("lower")
    return (
        E.user_id == bindparam("user_id"),
        E.platform == bindparam("platform"),
        E.kind.in_(bindparam("kinds", expanding=True)),
        E.direction == "outbound",
        lower,
        E.occurred_at <= bindparam("end"),
    )


@cache
def _count_stmt(inclusive: bool) -> Select[tuple[int]]:
    return select(func.count()).select_from(EVENT_TABLE).where(*_where(inclusive))


@cache
def _kth_stmt(inclusive: bool) -> Select[tuple[datetime]]:
    return (
        select(E.occurred_at)
        .where(*_where(inclusive))
        .order_by(E.occurred_at)
        .limit(1)
        .offset(bindparam("offset"))
    )


@cache
def _counts_stmt(shape: tuple[bool, ...]) -> Select[Any]:
    """Several windows of the same kinds and end in one statement: one SUM(CASE) each over
    the widest of them."""
    sums = [
        func.coalesce(
            func.sum(
                case(
                    (
                        E.occurred_at >= bindparam(f"lower_{i}")
                        if inclusive
                        else E.occurred_at > bindparam(f"lower_{i}"),
                        1,
                    ),
                    else_=0,
                )
            ),
            0,
        )
        for i, inclusive in enumerate(shape)
    ]
    return select(*sums).where(*_where(True))


class DbWindowSource:
    """Outbound events of one user on one platform, counted in the database."""

    def __init__(self, session: Session, user_id: uuid.UUID, platform: str) -> None:
        self.session, self.user_id, self.platform = session, user_id, platform
        self._counts: dict[tuple[tuple[str, ...], datetime, bool, datetime], int] = {}

    def _params(self, kinds: Sequence[str], lower: datetime, end: datetime) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "platform": self.platform,
            "kinds": sorted(set(kinds)),
            "lower": lower,
            "end": end,
        }

    def prefetch(self, windows: list[tuple[Sequence[str], datetime, bool]], end: datetime) -> None:
        """Count every window of the same kinds in one statement (Bluesky's hour and day)."""
        by_kinds: dict[tuple[str, ...], list[tuple[datetime, bool]]] = {}
        for kinds, lower, inclusive in windows:
            key = tuple(sorted(set(kinds)))
            if (key, lower, inclusive, end) not in self._counts:
                by_kinds.setdefault(key, []).append((lower, inclusive))
        for kinds, wanted in by_kinds.items():
            if len(wanted) == 1:
                continue  # count() reads it
            params = self._params(kinds, min(lower for lower, _ in wanted), end)
            params |= {f"lower_{i}": lower for i, (lower, _) in enumerate(wanted)}
            row = self.session.execute(_counts_stmt(tuple(inc for _, inc in wanted)), params).one()
            for (lower, inclusive), n in zip(wanted, row, strict=True):
                self._counts[(kinds, lower, inclusive, end)] = int(n)

    def count(self, kinds: Sequence[str], lower: datetime, inclusive: bool, end: datetime) -> int:
        key = (tuple(sorted(set(kinds))), lower, inclusive, end)
        if key not in self._counts:
            self._counts[key] = int(
                self.session.execute(
                    _count_stmt(inclusive), self._params(kinds, lower, end)
                ).scalar_one()
            )
        return self._counts[key]

    def kth_oldest(
        self, kinds: Sequence[str], k: int, lower: datetime, inclusive: bool, end: datetime
    ) -> datetime:
        found: datetime = self.session.execute(
            _kth_stmt(inclusive), self._params(kinds, lower, end) | {"offset": k - 1}
        ).scalar_one()
        return found
