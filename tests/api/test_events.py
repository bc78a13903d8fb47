"""SPEC §1, §2, §4: recording one event — vocabulary, time, idempotency, read and delete."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.events.models import Event
from tests.api.helpers import assert_problem, assert_validation, event, users_path

KINDS = [
    "follow",
    "unfollow",
    "post",
    "share",
    "reply",
    "mention",
    "direct_message",
    "comment",
    "wall_post",
    "like",
]
CONTACTS = ["post", "share", "reply", "mention", "direct_message", "comment", "wall_post"]


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def test_create_event_201_with_location_and_defaults(client, user):
    r = client.post(users_path(user, "/events"), json=event())
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {
        "id",
        "platform",
        "kind",
        "direction",
        "occurred_at",
        "counterpart",
        "is_sales",
        "url",
        "text",
        "external_id",
        "created_at",
    }
    uuid.UUID(body["id"])
    assert r.headers["location"] == users_path(user, f"/events/{body['id']}")
    assert body["platform"] == "x" and body["kind"] == "post"
    assert body["direction"] == "outbound"
    assert body["is_sales"] is False
    assert body["counterpart"] is None and body["url"] is None and body["text"] is None
    assert body["external_id"] is None
    assert body["occurred_at"] == "2026-11-02T10:00:00Z"
    assert body["created_at"].endswith("Z")
    assert client.get(r.headers["location"]).json() == body


def test_create_event_with_every_field(client, user):
    r = client.post(
        users_path(user, "/events"),
        json=event(
            platform="linkedin",
            kind="direct_message",
            direction="inbound",
            counterpart="Bob",
            is_sales=True,
            url="https://www.linkedin.com/x",
            text="Hi ✨ there",
            external_id="li-1",
        ),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["platform"], body["kind"], body["direction"]) == (
        "linkedin",
        "direct_message",
        "inbound",
    )
    assert body["counterpart"] == "bob" and body["is_sales"] is True
    assert body["url"] == "https://www.linkedin.com/x" and body["text"] == "Hi ✨ there"
    assert body["external_id"] == "li-1"


def test_every_platform_and_kind_is_accepted(client, user):
    for platform in ("x", "facebook", "linkedin", "instagram"):
        for kind in KINDS:
            r = client.post(users_path(user, "/events"), json=event(platform=platform, kind=kind))
            assert r.status_code == 201, (platform, kind, r.text)
            assert (r.json()["platform"], r.json()["kind"]) == (platform, kind)
    assert len(client.get(users_path(user, "/events"), params={"limit": 500}).json()["items"]) == 40


COUNTERPARTS = [
    ("  @SomeOne ", "someone"),
    ("@@Twice", "@twice"),
    ("MiXeD.Case_1", "mixed.case_1"),
    ("\t@bob\n", "bob"),
    ("@", None),
    ("   ", None),
]


def test_counterpart_is_normalised(client, user):
    for raw, stored in COUNTERPARTS:
        r = client.post(users_path(user, "/events"), json=event(kind="reply", counterpart=raw))
        assert r.status_code == 201, r.text
        assert r.json()["counterpart"] == stored, raw
        assert client.get(r.headers["location"]).json()["counterpart"] == stored, raw


TIMESTAMPS = [
    ("2026-03-08T01:30:00-05:00", "2026-03-08T06:30:00Z"),
    ("2026-03-08T01:30:00+05:30", "2026-03-07T20:00:00Z"),
    ("2026-11-01T00:00:00+14:00", "2026-10-31T10:00:00Z"),
    ("2026-06-30T23:59:59.123456-12:00", "2026-07-01T11:59:59.123456Z"),
    ("2026-01-02T03:04:05.000001Z", "2026-01-02T03:04:05.000001Z"),
    ("2026-01-02T03:04:05.5+00:00", "2026-01-02T03:04:05.500000Z"),
    ("2026-01-02T03:04:05z", "2026-01-02T03:04:05Z"),
]


def test_timestamps_come_back_in_utc_exactly(client, user, session):
    for sent, answered in TIMESTAMPS:
        r = client.post(users_path(user, "/events"), json=event(occurred_at=sent))
        assert r.status_code == 201, r.text
        assert r.json()["occurred_at"] == answered, sent
        event_id = r.json()["id"]
        assert (
            client.get(users_path(user, f"/events/{event_id}")).json()["occurred_at"] == answered
        ), sent
        # What the database holds is the same instant, in UTC, with nothing lost.
        stored = session.execute(
            select(Event.occurred_at).where(Event.id == uuid.UUID(event_id))
        ).scalar_one()
        assert stored.utcoffset() == timedelta(0), sent
        assert stored == datetime.fromisoformat(answered), sent
        assert stored == datetime.fromisoformat(sent.replace("z", "Z")), sent
    listed = client.get(users_path(user, "/events"), params={"limit": 500}).json()["items"]
    expected = sorted(
        (answered for _, answered in TIMESTAMPS),
        key=lambda t: datetime.fromisoformat(t),
        reverse=True,
    )
    assert [e["occurred_at"] for e in listed] == expected


def test_naive_timestamp_is_422_saying_it_needs_an_offset(client, user):
    r = client.post(users_path(user, "/events"), json=event(occurred_at="2026-11-02T10:00:00"))
    body = assert_validation(r, "#/occurred_at")
    assert "occurred_at must include a UTC offset" in body["detail"]
    item = next(e for e in body["errors"] if e["pointer"] == "#/occurred_at")
    assert "must include a UTC offset" in item["detail"]
    assert client.get(users_path(user, "/events")).json()["items"] == []


UNUSABLE_TIMESTAMPS = [
    "2026-11-02",
    "yesterday",
    "2026-11-02 10:00",
    1764230400,
    "1764230400",
    1764230400000,
    "1764230400.5",
    True,
    "2026-02-30T10:00:00Z",
    "2026-11-02T25:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    None,
    "",
    {"at": "now"},
]


def test_unusable_timestamps_are_422(client, user):
    for value in UNUSABLE_TIMESTAMPS:
        r = client.post(users_path(user, "/events"), json=event(occurred_at=value))
        assert r.status_code == 422, (value, r.text)
        assert_validation(r, "#/occurred_at")
    assert client.get(users_path(user, "/events")).json()["items"] == []


def test_more_than_24_hours_ahead_is_422(client, user):
    now = datetime.now(UTC)
    far = client.post(
        users_path(user, "/events"), json=event(occurred_at=_iso(now + timedelta(hours=25)))
    )
    body = assert_validation(far, "#/occurred_at")
    assert "24 hours" in body["detail"]
    near = client.post(
        users_path(user, "/events"), json=event(occurred_at=_iso(now + timedelta(hours=23)))
    )
    assert near.status_code == 201, near.text


def test_is_sales_on_a_non_contact_kind_is_422(client, user):
    for kind in ("follow", "unfollow", "like"):
        body = assert_validation(
            client.post(users_path(user, "/events"), json=event(kind=kind, is_sales=True))
        )
        assert "is_sales" in body["detail"] and kind in body["detail"]
        ok = client.post(users_path(user, "/events"), json=event(kind=kind, is_sales=False))
        assert ok.status_code == 201


def test_is_sales_on_contact_kinds_is_accepted(client, user):
    for kind in CONTACTS:
        r = client.post(users_path(user, "/events"), json=event(kind=kind, is_sales=True))
        assert r.status_code == 201, r.text
        assert r.json()["is_sales"] is True


INVALID_FIELDS = [
    ({"platform": "myspace"}, "#/platform"),
    ({"platform": "X"}, "#/platform"),
    ({"kind": "poke"}, "#/kind"),
    ({"kind": "Post"}, "#/kind"),
    ({"direction": "sideways"}, "#/direction"),
    ({"is_sales": "maybe"}, "#/is_sales"),
    ({"text": "t" * 5001}, "#/text"),
    ({"counterpart": "c" * 201}, "#/counterpart"),
    ({"external_id": "e" * 201}, "#/external_id"),
    ({"external_id": ""}, "#/external_id"),
    ({"url": "u" * 2001}, "#/url"),
    ({"text": "nul\u0000byte"}, "#/text"),
    ({"colour": "red"}, "#/colour"),
]


def test_invalid_event_fields_are_422(client, user):
    for overrides, pointer in INVALID_FIELDS:
        assert_validation(
            client.post(users_path(user, "/events"), json=event(**overrides)), pointer
        )
    assert client.get(users_path(user, "/events")).json()["items"] == []


def test_required_event_fields(client, user):
    for missing in ("platform", "kind", "occurred_at"):
        body = event()
        del body[missing]
        r = assert_validation(client.post(users_path(user, "/events"), json=body), f"#/{missing}")
        assert f"{missing} is required" in r["detail"]


def test_lengths_at_the_limits_are_accepted(client, user):
    r = client.post(
        users_path(user, "/events"),
        json=event(kind="reply", text="t" * 5000, counterpart="c" * 200, external_id="e" * 200),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (
        len(body["text"]) == 5000
        and len(body["counterpart"]) == 200
        and len(body["external_id"]) == 200
    )


def test_body_must_be_an_object(client, user):
    assert_problem(
        client.post(users_path(user, "/events"), json=[event()]), 422, "validation_error"
    )
    assert_problem(client.post(users_path(user, "/events"), json="post"), 422, "validation_error")


# --- idempotency by external_id ---------------------------------------------------------


def test_same_external_id_and_content_answers_200_with_the_stored_event(client, user):
    body = event(kind="reply", counterpart="@Bob", external_id="tw-1", text="thanks!")
    first = client.post(users_path(user, "/events"), json=body)
    assert first.status_code == 201
    again = client.post(users_path(user, "/events"), json=body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    # The same instant in another offset and the counterpart before normalising are the same content.
    same = dict(body, occurred_at="2026-11-02T05:00:00-05:00", counterpart=" bob ")
    third = client.post(users_path(user, "/events"), json=same)
    assert third.status_code == 200, third.text
    assert third.json()["id"] == first.json()["id"]
    assert len(client.get(users_path(user, "/events")).json()["items"]) == 1


CHANGES = [
    {"text": "something else"},
    {"occurred_at": "2026-11-02T10:00:01Z"},
    {"kind": "mention"},
    {"direction": "inbound"},
    {"is_sales": True},
    {"counterpart": "carol"},
    {"platform": "facebook"},
    {"url": "https://x.example/1"},
    {"occurred_at": "2026-11-02T10:00:00.000001Z"},
    {"text": None},
]


def test_same_external_id_with_other_content_is_409_with_existing_id(client, user):
    body = event(kind="reply", counterpart="bob", external_id="tw-1", text="thanks!")
    first = client.post(users_path(user, "/events"), json=body).json()
    for change in CHANGES:
        r = client.post(users_path(user, "/events"), json=dict(body, **change))
        problem = assert_problem(r, 409, "external_id_conflict")
        assert problem["existing_id"] == first["id"], change
    items = client.get(users_path(user, "/events")).json()["items"]
    assert items == [first]


def test_external_id_is_unique_per_user_not_per_workspace(client, user):
    other = client.post("/v1/users", json={"name": "Other"}).json()
    a = client.post(users_path(user, "/events"), json=event(external_id="shared"))
    b = client.post(
        users_path(other, "/events"), json=event(external_id="shared", text="different")
    )
    assert a.status_code == 201 and b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


# --- read and delete ----------------------------------------------------------------------


def test_get_and_delete_one_event(client, user):
    keep = client.post(users_path(user, "/events"), json=event(text="keep")).json()
    gone = client.post(
        users_path(user, "/events"), json=event(text="gone", external_id="g-1")
    ).json()
    r = client.get(users_path(user, f"/events/{gone['id']}"))
    assert r.status_code == 200 and r.json() == gone

    r = client.delete(users_path(user, f"/events/{gone['id']}"))
    assert r.status_code == 204 and r.content == b""
    assert_problem(client.get(users_path(user, f"/events/{gone['id']}")), 404, "not_found")
    assert_problem(client.delete(users_path(user, f"/events/{gone['id']}")), 404, "not_found")
    assert client.get(users_path(user, "/events")).json()["items"] == [keep]
    # Its external_id can be used again.
    again = client.post(users_path(user, "/events"), json=event(text="new", external_id="g-1"))
    assert again.status_code == 201 and again.json()["id"] != gone["id"]


def test_unknown_and_non_uuid_event_ids(client, user):
    assert_problem(client.get(users_path(user, f"/events/{uuid.uuid4()}")), 404, "not_found")
    assert_validation(client.get(users_path(user, "/events/not-a-uuid")), "event_id")
    assert_validation(client.delete(users_path(user, "/events/12345")), "event_id")
    assert_validation(client.get("/v1/users/nope/events"), "user_id")
    assert_validation(client.post("/v1/users/nope/events", json=event()), "user_id")
