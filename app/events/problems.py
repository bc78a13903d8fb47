"""The store's domain errors as HTTP problems. ``where(i)`` names item i of the request
(a JSON pointer for the JSON API, a row and line for the CSV import)."""

from collections.abc import Callable
from typing import Any

from app.core.errors import (
    CONCURRENT_CHANGE,
    EXTERNAL_ID_CONFLICT,
    ProblemError,
    validation_problem,
)
from app.events.store import ConcurrentChange, ExternalIdConflict, RepeatedExternalId, StoreError

Where = Callable[[int], dict[str, Any]]


def pointer_at(prefix: str) -> Where:
    """Item i's external_id as a JSON pointer: ``#/events/3/external_id`` for a batch
    (prefix ``#/events/``), ``#/external_id`` for one event (prefix ``#``)."""
    if prefix == "#":
        return lambda _: {"pointer": "#/external_id"}
    return lambda i: {"pointer": f"{prefix}{i}/external_id"}


def repeats_problem(error: RepeatedExternalId, where: Where) -> ProblemError:
    return validation_problem(
        [
            {
                **where(i),
                "detail": f"external_id repeats item {j} of this request with different content",
            }
            for i, j in error.repeats
        ]
    )


def conflict_problem(error: ExternalIdConflict, where: Where) -> ProblemError:
    errors = [
        {
            **where(i),
            "detail": f"external_id is already used by event {existing} with different content",
        }
        for i, existing in error.conflicts
    ]
    extra: dict[str, Any] = (
        {"existing_id": str(error.conflicts[0][1])} if len(error.conflicts) == 1 else {}
    )
    return EXTERNAL_ID_CONFLICT.error(
        "An event with this external_id already exists with different content; nothing was "
        "written. Send the same content to retry safely, or use a new external_id.",
        errors=errors,
        **extra,
    )


def concurrent_change_problem() -> ProblemError:
    return CONCURRENT_CHANGE.error(
        "Another request stored and deleted an event with "
        "this external_id at the same moment; nothing was written. Retry the request."
    )


def store_problem(error: StoreError, where: Where) -> ProblemError:
    if isinstance(error, RepeatedExternalId):
        return repeats_problem(error, where)
    if isinstance(error, ExternalIdConflict):
        return conflict_problem(error, where)
    if isinstance(error, ConcurrentChange):
        return concurrent_change_problem()
    raise error
