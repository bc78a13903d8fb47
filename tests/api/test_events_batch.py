"""SPEC §4: POST /events:batch — atomic, ids in input order, idempotent by external_id."""

import uuid

from sqlalchemy import func, select

from app.events.models import Event
from tests.api.helpers import assert_problem, assert_validation, event, users_path


def _batch(client, user, events):
    return client.post(users_path(user, "/events:batch"), json={"events": events})


def _stored_count(session, user) -> int:
    return session.execute(
        select(func.count()).select_from(Event).where(Event.user_id == uuid.UUID(user["id"]))
    ).scalar_one()


def test_batch_answers_ids_in_input_order(client, user):
    events = [event(occurred_at=f"2026-11-0{d}T10:00:00Z", text=f"day {d}") for d in (3, 1, 4, 2)]
    r = _batch(client, user, events)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"created", "duplicates", "ids"}
    assert body["created"] == 4 and body["duplicates"] == 0
    assert len(body["ids"]) == 4 and len(set(body["ids"])) == 4
    for event_id, sent in zip(body["ids"], events):
        stored = client.get(users_path(user, f"/events/{event_id}")).json()
        assert stored["text"] == sent["text"]
        assert stored["occurred_at"] == sent["occurred_at"]


def test_batch_normalises_like_single_events(client, user):
    r = _batch(
        client,
        user,
        [event(kind="mention", counterpart="  @SomeOne ", occurred_at="2026-03-08T01:30:00-05:00")],
    )
    stored = client.get(users_path(user, f"/events/{r.json()['ids'][0]}")).json()
    assert stored["counterpart"] == "someone"
    assert stored["occurred_at"] == "2026-03-08T06:30:00Z"


def test_duplicates_within_one_batch_and_against_stored_events(client, user, session):
    stored = client.post(
        users_path(user, "/events"), json=event(external_id="old", text="old")
    ).json()
    events = [
        event(external_id="a", text="A"),
        event(external_id="old", text="old"),  # repeats a stored event
        event(external_id="a", text="A"),  # repeats item 0 of this batch
        event(text="no external id"),
        event(text="no external id"),  # no external_id: two separate events
        event(external_id="a", occurred_at="2026-11-02T11:00:00+01:00", text="A"),  # same instant
    ]
    r = _batch(client, user, events)
    assert r.status_code == 200, r.text
    body = r.json()
    ids = body["ids"]
    assert len(ids) == 6
    assert ids[1] == stored["id"]
    assert ids[0] == ids[2] == ids[5]
    assert ids[3] != ids[4]
    assert len({ids[0], ids[1], ids[3], ids[4]}) == 4
    assert body["created"] == 3  # a, and the two without external_id
    assert body["duplicates"] == 3
    assert _stored_count(session, user) == 4

    # The same batch again answers the same ids for everything with an external_id.
    again = _batch(client, user, events).json()
    # Events without an external_id are not idempotent: only those two are new.
    assert again["created"] == 2 and again["duplicates"] == 4
    assert again["ids"][0] == ids[0] and again["ids"][1] == ids[1] and again["ids"][5] == ids[5]
    assert _stored_count(session, user) == 6


def test_one_invalid_item_rejects_the_whole_batch(client, user, session):
    events = [event(text=f"item {i}") for i in range(5)]
    events[3] = event(occurred_at="2026-11-02T10:00:00")  # naive
    r = _batch(client, user, events)
    body = assert_validation(r, "#/events/3/occurred_at")
    assert {e["pointer"] for e in body["errors"]} == {"#/events/3/occurred_at"}
    assert "must include a UTC offset" in body["detail"]
    assert client.get(users_path(user, "/events")).json()["items"] == []
    assert _stored_count(session, user) == 0


def test_every_bad_item_is_listed_by_index(client, user, session):
    events = [event() for _ in range(6)]
    events[1] = event(platform="myspace")
    events[4] = event(kind="like", is_sales=True)
    events[5] = event(text="t" * 5001)
    body = assert_validation(_batch(client, user, events), "#/events/1/platform", "#/events/5/text")
    pointers = [e["pointer"] for e in body["errors"]]
    assert any(p.startswith("#/events/4") for p in pointers), pointers
    assert not any(p.startswith(("#/events/0", "#/events/2", "#/events/3")) for p in pointers), (
        pointers
    )
    assert _stored_count(session, user) == 0


def test_same_external_id_with_different_content_inside_one_batch_is_422(client, user, session):
    r = _batch(
        client,
        user,
        [event(external_id="dup", text="one"), event(), event(external_id="dup", text="two")],
    )
    body = assert_validation(r, "#/events/2/external_id")
    assert "item 0" in body["detail"]
    assert _stored_count(session, user) == 0


def test_batch_conflicting_with_a_stored_external_id_is_409_and_writes_nothing(
    client, user, session
):
    stored = client.post(
        users_path(user, "/events"), json=event(external_id="tw-9", text="original")
    ).json()
    r = _batch(
        client,
        user,
        [
            event(text="new one"),
            event(external_id="fresh"),
            event(external_id="tw-9", text="changed"),
        ],
    )
    body = assert_problem(r, 409, "external_id_conflict")
    assert body["existing_id"] == stored["id"]
    assert any(e["pointer"] == "#/events/2/external_id" for e in body["errors"])
    assert client.get(users_path(user, "/events")).json()["items"] == [stored]
    assert _stored_count(session, user) == 1


def test_batch_size_limits(client, user, session):
    assert_validation(_batch(client, user, []), "#/events")
    too_many = [event(text=str(i)) for i in range(1001)]
    body = assert_validation(_batch(client, user, too_many), "#/events")
    assert "1000" in body["detail"]
    assert _stored_count(session, user) == 0
    r = _batch(client, user, too_many[:1000])
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1000 and len(r.json()["ids"]) == 1000
    assert _stored_count(session, user) == 1000


def test_batch_body_shape(client, user):
    assert_validation(client.post(users_path(user, "/events:batch"), json={}), "#/events")
    assert_validation(client.post(users_path(user, "/events:batch"), json=[event()]))
    assert_validation(
        client.post(users_path(user, "/events:batch"), json={"events": [event()], "atomic": False}),
        "#/atomic",
    )
    assert_validation(
        client.post(users_path(user, "/events:batch"), json={"events": event()}), "#/events"
    )
