"""The hand-computed cast of issue 13, over HTTP (America/New_York, sales_ratio 2,
keep_in_touch_days 10). Every figure below is worked out by hand in the comments."""

import pytest

from tests.contacts.helpers import contact_of, post
from tests.knowledge.helpers import make_user

NY = "America/New_York"


@pytest.fixture
def uid(client) -> str:
    return make_user(client, "Coach", NY, sales_ratio=2, keep_in_touch_days=10)


def get(client, uid: str, cid: str, as_of: str) -> dict:
    r = client.get(f"/v1/users/{uid}/contacts/{cid}", params={"as_of": as_of})
    assert r.status_code == 200, r.text
    return r.json()


def test_know_like_trust_and_back_to_like_when_a_contact_turns_out_to_be_sales(client, uid):
    post(client, uid, kind="comment", occurred_at="2026-11-02T15:00:00Z", counterpart="ann")
    assert contact_of(client, uid, "ann")["stage"] == "know"
    post(client, uid, occurred_at="2026-11-02T16:00:00Z", counterpart="ann", direction="inbound")
    assert contact_of(client, uid, "ann")["stage"] == "like"
    e3 = post(client, uid, kind="comment", occurred_at="2026-11-03T15:00:00Z", counterpart="ann")
    post(
        client,
        uid,
        kind="direct_message",
        occurred_at="2026-11-03T16:00:00Z",
        counterpart="ann",
        direction="inbound",
    )
    assert contact_of(client, uid, "ann")["stage"] == "like"  # 2 inbound so far
    post(
        client,
        uid,
        kind="mention",
        occurred_at="2026-11-03T17:00:00Z",
        counterpart="ann",
        direction="inbound",
    )
    # 3 inbound on 2 local days (Nov 2 and Nov 3 in New York), non_sales 2 ≥ sales_ratio 2.
    c = contact_of(client, uid, "ann", as_of="2026-11-03T17:00:00Z")
    assert (c["stage"], c["inbound"], c["outbound"], c["non_sales"], c["sales"]) == (
        "trust",
        3,
        2,
        2,
        0,
    )
    # Over the 90 days: 3 inbound ÷ 2 outbound. The reply of Nov 2 16:00 is answered by the
    # comment of Nov 3 15:00 (23 h = 1380 min); the two inbound of Nov 3 are unanswered.
    assert c["reciprocity"] == 1.5
    assert (c["unanswered"], c["median_reply_minutes"]) == (2, 1380.0)
    # health: recency 1 (last contact at as_of), reciprocity' 1, balance 1 (no sales) → 100.
    assert c["health"] == 100
    assert c["due_at"] == "2026-11-13T17:00:00Z"
    # The comment of Nov 3 was a sales contact: recorded again as one, non_sales is 1 < 2.
    assert client.delete(f"/v1/users/{uid}/events/{e3['id']}").status_code == 204
    post(
        client,
        uid,
        kind="comment",
        occurred_at="2026-11-03T15:00:00Z",
        counterpart="ann",
        is_sales=True,
    )
    c = contact_of(client, uid, "ann", as_of="2026-11-03T17:00:00Z")
    assert (c["stage"], c["non_sales"], c["sales"]) == ("like", 1, 1)
    # balance = min(1, 1 ÷ (2 × 1)) = 0.5 → 40 + 30 + 15 = 85.
    assert c["health"] == 85


def test_stale_at_exactly_due_at_plus_one_microsecond_and_health_bounds(client, uid):
    post(
        client,
        uid,
        kind="post",
        occurred_at="2026-10-01T12:00:00Z",
        counterpart="bo",
        is_sales=True,
    )
    cid = contact_of(client, uid, "bo")["id"]
    at_due = get(client, uid, cid, "2026-10-11T12:00:00Z")
    assert at_due["due_at"] == "2026-10-11T12:00:00Z"
    assert (at_due["stale"], at_due["overdue_days"]) == (False, 0)
    # recency 1 − 10 ÷ 20 = 0.5 → 20; reciprocity 0 ÷ 1 = 0; balance 0 (a sale, no non-sales).
    assert (at_due["reciprocity"], at_due["health"]) == (0.0, 20)
    just_after = get(client, uid, cid, "2026-10-11T12:00:00.000001Z")
    assert (just_after["stale"], just_after["overdue_days"]) == (True, 0)
    a_day_after = get(client, uid, cid, "2026-10-12T12:00:00.000001Z")
    assert a_day_after["overdue_days"] == 1
    assert get(client, uid, cid, "2026-10-25T00:00:00Z")["health"] == 0  # recency 0
    r = client.get(
        f"/v1/users/{uid}/contacts",
        params={"stale": "true", "as_of": "2026-10-11T12:00:00.000001Z"},
    )
    assert [c["id"] for c in r.json()["items"]] == [cid]
    r = client.get(
        f"/v1/users/{uid}/contacts", params={"stale": "true", "as_of": "2026-10-11T12:00:00Z"}
    )
    assert r.json()["items"] == []


def test_reciprocity_over_the_90_day_edge(client, uid):
    post(
        client,
        uid,
        kind="like",
        occurred_at="2026-06-01T00:00:00Z",
        counterpart="cy",
        direction="inbound",
    )
    post(client, uid, kind="like", occurred_at="2026-06-02T00:00:00Z", counterpart="cy")
    post(
        client,
        uid,
        kind="like",
        occurred_at="2026-06-03T00:00:00Z",
        counterpart="cy",
        direction="inbound",
    )
    cid = contact_of(client, uid, "cy")["id"]
    # as_of − 90 days = 2026-06-01T00:00Z: the window is closed, the first event counts.
    assert get(client, uid, cid, "2026-08-30T00:00:00Z")["reciprocity"] == 2.0
    assert get(client, uid, cid, "2026-08-30T00:00:00.000001Z")["reciprocity"] == 1.0
    assert get(client, uid, cid, "2026-08-31T00:00:00.000001Z")["reciprocity"] is None


def test_a_reply_time_across_the_fall_back_is_real_elapsed_minutes(client, uid):
    # 05:30Z is 01:30 EDT; 06:30Z is 01:30 EST: the same wall-clock time, 60 minutes later.
    post(
        client,
        uid,
        kind="direct_message",
        occurred_at="2026-11-01T05:30:00Z",
        counterpart="di",
        direction="inbound",
    )
    post(client, uid, kind="direct_message", occurred_at="2026-11-01T06:30:00Z", counterpart="di")
    c = contact_of(client, uid, "di", as_of="2026-11-01T07:00:00Z")
    assert (c["median_reply_minutes"], c["unanswered"]) == (60.0, 0)


def test_a_reply_time_across_the_spring_forward(client, uid):
    # 06:30Z is 01:30 EST; 07:30Z is 03:30 EDT: two hours on the wall clock, 60 minutes.
    post(client, uid, occurred_at="2026-03-08T06:30:00Z", counterpart="sp", direction="inbound")
    post(client, uid, kind="like", occurred_at="2026-03-08T07:30:00Z", counterpart="sp")
    c = contact_of(client, uid, "sp", as_of="2026-03-08T08:00:00Z")
    assert c["median_reply_minutes"] == 60.0


def test_median_of_an_odd_and_an_even_number_of_answered_messages(client, uid):
    for inbound, answer in [("12:00", "12:10"), ("13:00", "13:20"), ("14:00", "15:00")]:
        post(
            client,
            uid,
            occurred_at=f"2026-09-10T{inbound}:00Z",
            counterpart="ed",
            direction="inbound",
        )
        post(client, uid, occurred_at=f"2026-09-10T{answer}:00Z", counterpart="ed")
    assert (
        contact_of(client, uid, "ed", as_of="2026-09-11T00:00:00Z")["median_reply_minutes"] == 20.0
    )
    post(client, uid, occurred_at="2026-09-10T16:00:00Z", counterpart="ed", direction="inbound")
    post(client, uid, kind="share", occurred_at="2026-09-10T16:35:00Z", counterpart="ed")
    # 10, 20, 35, 60 → (20 + 35) ÷ 2.
    assert (
        contact_of(client, uid, "ed", as_of="2026-09-11T00:00:00Z")["median_reply_minutes"] == 27.5
    )


def test_only_interactions_and_contacts_answer_and_only_after_the_message(client, uid):
    post(client, uid, occurred_at="2026-09-01T10:00:00Z", counterpart="fa", direction="inbound")
    post(client, uid, kind="follow", occurred_at="2026-09-01T11:00:00Z", counterpart="fa")
    post(client, uid, kind="reply", occurred_at="2026-09-01T09:00:00Z", counterpart="fa")
    c = contact_of(client, uid, "fa", as_of="2026-09-02T00:00:00Z")
    assert (c["unanswered"], c["median_reply_minutes"]) == (1, None)
