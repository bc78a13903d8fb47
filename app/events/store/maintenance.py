"""The store's internals that Alembic's metadata, the tests that recount and the bench
need, in one named place (application code uses ``app.events.store`` only):

- ``EventDayCount``: the per-day counter table (for app/models.py and for tests that read
  it back);
- ``rebuild_counters(connection)``: recompute every counter from the events, after a bulk
  load that bypassed ``record`` (the bench's loader, a test's seeding);
- ``rebuild_contacts(connection)``: recount every contact summary from the events (the
  same occasions; also run once by the migration that creates the contact tables);
- ``WINDOW_CACHE`` / ``WindowCache``: the per-process cache of whole-day figures;
- ``split_utc_days``: how a window is split into whole UTC days and partial edges;
- ``user_version(session, user_id)``: the user's events_version as the session's
  transaction noted it (None once the transaction changed the user's counter rows).
"""

from app.events.store._contact_rollup import rebuild as rebuild_contacts
from app.events.store._counters import COUNTERS, DEFINITIONS, Counter
from app.events.store._day_counts import EventDayCount, user_version
from app.events.store._day_counts import rebuild as rebuild_counters
from app.events.store._split import WindowSplit, split_utc_days
from app.events.store._window_cache import CACHE as WINDOW_CACHE
from app.events.store._window_cache import WindowCache

__all__ = [
    "COUNTERS",
    "DEFINITIONS",
    "WINDOW_CACHE",
    "Counter",
    "EventDayCount",
    "WindowCache",
    "WindowSplit",
    "rebuild_contacts",
    "rebuild_counters",
    "split_utc_days",
    "user_version",
]
