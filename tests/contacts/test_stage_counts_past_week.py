"""The weekly report's stage counts for a week before the user's latest event: the kept
summary with the handles that have later events recounted up to the week's end equals
grouping every event up to it (the slow path), on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest

from app.relationships import service as relationships
from tests.contacts.helpers import post
from tests.knowledge.helpers import make_user

WEEKS = ["2026-W42", "2026-W43", "2026-W44", "2026-W45", "2026-W46"]


def _z(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@pytest.fixture
def uid(client) -> str:
    uid = make_user(client, "Ada", "Europe/Berlin", sales_ratio=1, keep_in_touch_days=7)
    # One person a day from Oct 12 to Nov 10: a comment, and for every third two inbound
    # replies on the next two days (trust from the second one on), for every fourth a
    # sales DM two weeks later (a handle whose stage changes after the weeks asked for).
    start = datetime(2026, 10, 12, tzinfo=UTC)
    for i in range(30):
        day = start + timedelta(days=i)
        handle = f"p{i:02d}"
        post(
            client,
            uid,
            kind="comment",
            occurred_at=_z(day + timedelta(hours=9)),
            counterpart=handle,
        )
        if i % 3 == 0:
            for hours in (10, 20, 23.5):
                at = _z(day + timedelta(hours=hours))
                post(client, uid, direction="inbound", occurred_at=at, counterpart=handle)
        if i % 4 == 0:
            post(
                client,
                uid,
                kind="direct_message",
                is_sales=True,
                occurred_at=_z(day + timedelta(days=14, hours=8)),
                counterpart=handle,
            )
    # Three replies on one local day in W44 and one more in W45: trust now, like at the end
    # of W44 (its last inbound event up to then is on the day of the first).
    post(client, uid, kind="comment", occurred_at="2026-10-27T09:00:00Z", counterpart="q1")
    for at in ("2026-10-27T10:00:00Z", "2026-10-27T11:00:00Z", "2026-10-27T12:00:00Z"):
        post(client, uid, direction="inbound", occurred_at=at, counterpart="q1")
    post(client, uid, direction="inbound", occurred_at="2026-11-03T10:00:00Z", counterpart="q1")
    return uid


@pytest.mark.parametrize("week", WEEKS)
def test_past_week_counts_equal_grouping_the_events(client, uid, week, monkeypatch):
    kept = client.get(f"/v1/users/{uid}/report", params={"week": week})
    assert kept.status_code == 200, kept.text
    with monkeypatch.context() as m:
        m.setattr(relationships, "LATER_EVENTS_CAP", -1)  # always group the events
        grouped = client.get(f"/v1/users/{uid}/report", params={"week": week})
    assert kept.json()["relationships"] == grouped.json()["relationships"]
    assert kept.json()["relationships"]["total"] > 0
