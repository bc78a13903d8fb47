"""The webhook event types of SPEC §12, in the spec's order."""

from typing import Final, Literal, get_args

EventType = Literal[
    "pacing.over_limit",
    "posting.over_posting",
    "posting.burst",
    "sales_ratio.breached",
    "sales_ratio.restored",
    "relationship.stage_changed",
    "contact.stale",
    "report.weekly",
    "webhook.test",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)
WEBHOOK_TEST: Final = "webhook.test"
# What an endpoint subscribes to when it names no events ("default all"); webhook.test is
# sent by :test whatever an endpoint subscribes to.
SUBSCRIBABLE: tuple[EventType, ...] = tuple(t for t in EVENT_TYPES if t != WEBHOOK_TEST)
