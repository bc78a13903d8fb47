"""Today's contacts (SPEC §11 with §10): get_back_to and keep_in_touch from the contacts
summary (app/contacts/reach.py), and the actions that name them."""

from datetime import UTC, datetime, timedelta

from tests.insights.helpers import ev, make_user, record

AS_OF = "2026-11-23T18:00:00Z"


def today(client, uid):
    r = client.get(f"/v1/users/{uid}/today", params={"as_of": AS_OF})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_message_that_has_waited_2_days_is_first_in_get_back_to(client):
    """Grace's reply came 2 days ago, Hal's 5 hours ago; neither was answered."""
    uid = make_user(client, "America/New_York")
    as_of = datetime(2026, 11, 23, 18, tzinfo=UTC)
    at = lambda delta: (as_of - delta).isoformat()  # noqa: E731
    record(
        client,
        uid,
        [
            ev("x", "follow", at(timedelta(days=20)), counterpart="grace"),
            ev("x", "reply", at(timedelta(days=2)), direction="inbound", counterpart="@grace"),
            ev("x", "mention", at(timedelta(hours=5)), direction="inbound", counterpart="hal"),
        ],
    )
    doc = today(client, uid)
    first, second = doc["contacts"]["get_back_to"]
    assert first["handles"] == ["grace"] and first["unanswered"] == 1
    assert first["waiting_since"] == "2026-11-21T18:00:00Z"
    assert second["handles"] == ["hal"]
    replies = [a for a in doc["actions"] if a["code"] == "reply"]
    assert [a["text"] for a in replies] == [
        "reply to @grace: their message has waited 2 days",
        "reply to @hal: their message has waited 5 hours",
    ]
    assert replies[0]["contact_id"] == first["contact_id"]
    assert doc["actions"][0]["code"] == "reply"  # due now, and most important


def test_a_stale_contact_is_in_keep_in_touch_most_overdue_first(client):
    """keep_in_touch_days 30: Ivy last contacted 40 days ago (10 overdue), Jo 35 (5)."""
    uid = make_user(client, "America/New_York", keep_in_touch_days=30)
    as_of = datetime(2026, 11, 23, 18, tzinfo=UTC)
    record(
        client,
        uid,
        [
            ev("x", "reply", (as_of - timedelta(days=35)).isoformat(), counterpart="jo"),
            ev("x", "reply", (as_of - timedelta(days=40)).isoformat(), counterpart="ivy"),
        ],
    )
    doc = today(client, uid)
    ivy, jo = doc["contacts"]["keep_in_touch"]
    assert (ivy["handles"], ivy["overdue_days"]) == (["ivy"], 10)
    assert (jo["handles"], jo["overdue_days"]) == (["jo"], 5)
    texts = [a["text"] for a in doc["actions"] if a["code"] == "reconnect"]
    assert texts == [
        "get back in touch with @ivy: 10 days overdue",
        "get back in touch with @jo: 5 days overdue",
    ]
