"""API-key scopes: ``read`` ⊂ ``write`` ⊂ ``admin``.

``read`` reads; ``write`` also records and changes a workspace's data; ``admin`` also
manages keys and webhooks. A key's scopes are stored as a list; the widest one counts.
"""

from collections.abc import Iterable
from typing import Literal, get_args

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)  # narrowest first
_RANK = {scope: rank for rank, scope in enumerate(SCOPES)}


def widest(granted: Iterable[str]) -> Scope | None:
    """The widest known scope of ``granted``; None when it names none."""
    ranks = [_RANK[s] for s in granted if s in _RANK]
    return SCOPES[max(ranks)] if ranks else None


def allows(granted: Iterable[str], needed: Scope) -> bool:
    """Whether a key with ``granted`` scopes may do what needs ``needed``."""
    top = widest(granted)
    return top is not None and _RANK[top] >= _RANK[needed]
