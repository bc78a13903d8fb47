"""The events store: the only way to write or delete events, and to read figures of events
over time.

Writes (``record``, ``record_each`` for several users at once, ``delete``) keep the per-day
counters in step in the same transaction; the counter table, its upkeep and the window cache are private to this package (the modules
starting with ``_``). Reads name one user and a window of occurred_at, so their cost
follows the window, never the user's history:

- ``counters``: named counters (``COUNTERS``) per platform over [start, end], exact: whole
  UTC days from the per-day counters, the partial edge days from the events (one statement);
- ``contacts``, ``contacts_by_platform``, ``counterpart_contacts``: outbound contacts, sales
  or not, per platform and per person (§6.3); ``people_engaged`` (§6.4);
  ``engagement_counts`` (§6.4);
- ``post_days``, ``current_streaks``: per-local-day post summaries and streaks (§6.2);
- ``instants``, ``kind_instants``, ``last_instant``: the few instants a rule needs;
- ``rule_counts``: a ``WindowSource`` counting a platform's rule windows (§9.2);
- ``handle_figures``, ``handle_window_events``, ``handles_after``, ``latest_occurred_at``:
  events by handle (§10 contacts, §6.7): totals up to an instant, a few handles' events in
  a window, the handles with events after an instant, the user's latest event.

The contacts summary (contact and contact_handle rows) is kept by the same writes
(_contact_rollup.py); ``restage_contacts`` (after a change of the user's zone, sales ratio
or cadence) and ``resum_contacts`` (after a merge, split or a contact's own cadence) keep
it in step with what else changes it. ``stage_changes(session)``: the (handle, old stage,
new stage) changes of the transaction so far.

``note_user_version(session, user_id, version)``: authentication notes the user's
``events_version`` (the user row it read), so warm windowed reads of that user in the same
transaction need no fingerprint statement (_day_counts.py says why that is exact).

Tests, the bench and Alembic's metadata reach the internals through
``app.events.store.maintenance`` only.
"""

from sqlmodel import Session

from app.events.store._contact_rollup import STAGE_CHANGES, StageChange, lock_summary
from app.events.store._contact_rollup import restage_user as restage_contacts
from app.events.store._contact_rollup import resum as resum_contacts
from app.events.store._contacts import people_engaged
from app.events.store._contacts import window_contacts as contacts
from app.events.store._counters import COUNTERS
from app.events.store._day_counts import note_user_version
from app.events.store._handle_reads import Figures as HandleFigures
from app.events.store._handle_reads import (
    handle_figures,
    handle_window_events,
    handles_after,
    latest_occurred_at,
)
from app.events.store._post_days import Summaries, current_streaks
from app.events.store._post_days import summaries as post_days
from app.events.store._rule_counts import DbWindowSource
from app.events.store._windows import (
    contacts_by_platform,
    counterpart_contacts,
    engagement_counts,
    instants,
    kind_instants,
)
from app.events.store._windows import last_instant_before as last_instant
from app.events.store._windows import window_counters as counters
from app.events.store._write import (
    Batch,
    ConcurrentChange,
    ExternalIdConflict,
    RepeatedExternalId,
    Stored,
    StoreError,
    created_flags,
    delete,
    prepare,
    record,
    record_each,
)

rule_counts = DbWindowSource  # rule_counts(session, user_id, platform): a WindowSource


def stage_changes(session: Session) -> list[StageChange]:
    """The (handle, stage before, stage after) changes of the session's transaction so far."""
    changes: list[StageChange] = session.info.get(STAGE_CHANGES, [])
    return changes


__all__ = [
    "COUNTERS",
    "Batch",
    "ConcurrentChange",
    "DbWindowSource",
    "ExternalIdConflict",
    "HandleFigures",
    "RepeatedExternalId",
    "StageChange",
    "StoreError",
    "Stored",
    "Summaries",
    "contacts",
    "contacts_by_platform",
    "counterpart_contacts",
    "counters",
    "created_flags",
    "current_streaks",
    "delete",
    "engagement_counts",
    "handle_figures",
    "handle_window_events",
    "handles_after",
    "instants",
    "kind_instants",
    "last_instant",
    "latest_occurred_at",
    "lock_summary",
    "note_user_version",
    "people_engaged",
    "post_days",
    "prepare",
    "record",
    "record_each",
    "restage_contacts",
    "resum_contacts",
    "rule_counts",
    "stage_changes",
]
