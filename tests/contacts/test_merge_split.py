"""Merge and split over HTTP: figures after a merge equal one handle's with all the events,
split restores them, both are idempotent, and another workspace's ids are 404."""

from tests.contacts.helpers import contact_of, contacts, post
from tests.knowledge.helpers import make_user

AS_OF = "2026-11-10T00:00:00Z"
FIGURES = (
    "first_contact_at",
    "last_contact_at",
    "outbound",
    "inbound",
    "non_sales",
    "sales",
    "stage",
    "stale",
    "due_at",
    "overdue_days",
    "reciprocity",
    "unanswered",
    "median_reply_minutes",
    "health",
    "keep_in_touch_days",
)
# (platform, kind, occurred_at, direction, which of the two handles)
EVENTS = [
    ("x", "reply", "2026-11-01T10:00:00Z", "inbound", 0),
    ("x", "reply", "2026-11-01T10:30:00Z", "outbound", 0),
    ("linkedin", "direct_message", "2026-11-02T09:00:00Z", "inbound", 1),
    ("linkedin", "comment", "2026-11-02T12:00:00Z", "outbound", 1),
    ("linkedin", "mention", "2026-11-03T08:00:00Z", "inbound", 1),
    ("x", "like", "2026-11-04T08:00:00Z", "outbound", 0),
]


def _figures(c: dict) -> dict:
    return {k: c[k] for k in FIGURES}


def _load(client, uid: str, handles: tuple[str, str]) -> None:
    for platform, kind, at, direction, which in EVENTS:
        post(
            client,
            uid,
            platform=platform,
            kind=kind,
            occurred_at=at,
            direction=direction,
            counterpart=handles[which],
        )


def _merge(client, uid: str, into: str, ids: list[str]):
    return client.post(f"/v1/users/{uid}/contacts/{into}:merge", json={"contact_ids": ids})


def test_merge_equals_one_handle_with_every_event_and_split_restores(client):
    uid = make_user(client, "Ada", "Europe/Berlin", sales_ratio=1)
    _load(client, uid, ("grace_h", "grace-hopper"))
    one = make_user(client, "Ada twin", "Europe/Berlin", sales_ratio=1)
    _load(client, one, ("grace", "grace"))
    alone = _figures(contact_of(client, one, "grace", as_of=AS_OF))

    a = contact_of(client, uid, "grace_h", as_of=AS_OF)
    b = contact_of(client, uid, "grace-hopper", as_of=AS_OF)
    before_a, before_b = _figures(a), _figures(b)
    assert before_a != alone
    patch = client.patch(
        f"/v1/users/{uid}/contacts/{b['id']}", json={"name": "Grace Hopper", "tags": ["navy"]}
    )
    assert patch.status_code == 200, patch.text

    r = _merge(client, uid, a["id"], [b["id"]])
    assert r.status_code == 200, r.text
    merged = r.json()
    assert merged["handles"] == ["grace-hopper", "grace_h"]
    assert (merged["name"], merged["tags"]) == ("Grace Hopper", ["navy"])
    assert _figures(contact_of(client, uid, "grace_h", as_of=AS_OF)) == alone
    assert client.get(f"/v1/users/{uid}/contacts/{b['id']}").status_code == 404
    assert len(contacts(client, uid, as_of=AS_OF)["items"]) == 1
    assert contacts(client, uid, tag="navy")["items"][0]["id"] == a["id"]
    # Repeating the merge is a no-op.
    again = _merge(client, uid, a["id"], [b["id"]])
    assert again.status_code == 200, again.text
    assert again.json()["handles"] == merged["handles"]

    r = client.post(f"/v1/users/{uid}/contacts/{a['id']}:split", json={"handle": "@Grace-Hopper"})
    assert r.status_code == 200, r.text
    split = r.json()
    assert split["handles"] == ["grace-hopper"] and split["id"] not in (a["id"], b["id"])
    assert _figures(contact_of(client, uid, "grace_h", as_of=AS_OF)) == before_a
    assert _figures(contact_of(client, uid, "grace-hopper", as_of=AS_OF)) == before_b
    again = client.post(
        f"/v1/users/{uid}/contacts/{a['id']}:split", json={"handle": "grace-hopper"}
    )
    assert again.status_code == 200 and again.json()["id"] == split["id"]
    assert len(contacts(client, uid, as_of=AS_OF)["items"]) == 2


def test_a_later_event_of_a_merged_handle_counts_on_the_merged_contact(client):
    uid = make_user(client)
    post(client, uid, occurred_at="2026-11-01T10:00:00Z", counterpart="a1")
    post(client, uid, occurred_at="2026-11-01T11:00:00Z", counterpart="a2")
    a1, a2 = contact_of(client, uid, "a1"), contact_of(client, uid, "a2")
    assert _merge(client, uid, a1["id"], [a2["id"]]).status_code == 200
    post(client, uid, occurred_at="2026-11-02T10:00:00Z", counterpart="a2", direction="inbound")
    c = contact_of(client, uid, "a2")
    assert (c["id"], c["outbound"], c["inbound"], c["stage"]) == (a1["id"], 2, 1, "like")


def test_merge_and_split_refuse_unknown_and_other_workspaces_ids(client, other_client):
    uid = make_user(client)
    post(client, uid, occurred_at="2026-11-01T10:00:00Z", counterpart="mine")
    mine = contact_of(client, uid, "mine")
    theirs_user = make_user(other_client, "Eve")
    post(other_client, theirs_user, occurred_at="2026-11-01T10:00:00Z", counterpart="theirs")
    theirs = contact_of(other_client, theirs_user, "theirs")
    # Another workspace's contact, through my user or theirs: 404 as a missing one.
    assert _merge(client, uid, mine["id"], [theirs["id"]]).status_code == 404
    assert client.get(f"/v1/users/{uid}/contacts/{theirs['id']}").status_code == 404
    assert client.get(f"/v1/users/{theirs_user}/contacts/{theirs['id']}").status_code == 404
    assert (
        client.patch(f"/v1/users/{uid}/contacts/{theirs['id']}", json={"name": "x"}).status_code
        == 404
    )
    assert _merge(other_client, theirs_user, theirs["id"], [mine["id"]]).status_code == 404
    # Another user of my own workspace: its contacts are not this user's.
    other = make_user(client, "Bo")
    post(client, other, occurred_at="2026-11-01T10:00:00Z", counterpart="bo's")
    assert (
        _merge(client, uid, mine["id"], [contact_of(client, other, "bo's")["id"]]).status_code
        == 404
    )
    split = client.post(f"/v1/users/{uid}/contacts/{mine['id']}:split", json={"handle": "nobody"})
    assert split.status_code == 404
    assert contact_of(other_client, theirs_user, "theirs")["outbound"] == 1


def test_patch_validates_and_sets_the_own_cadence(client):
    uid = make_user(client, keep_in_touch_days=30)
    post(client, uid, occurred_at="2026-11-01T10:00:00Z", counterpart="pat")
    cid = contact_of(client, uid, "pat")["id"]
    url = f"/v1/users/{uid}/contacts/{cid}"
    for bad in (
        {"tags": ["t"] * 21},
        {"tags": ["x" * 51]},
        {"keep_in_touch_days": 0},
        {"keep_in_touch_days": 3651},
        {"notes": "n" * 5001},
        {"unknown": 1},
    ):
        r = client.patch(url, json=bad)
        assert r.status_code == 422, (bad, r.text)
    r = client.patch(
        url, json={"keep_in_touch_days": 7, "notes": "met at PyCon", "tags": ["a", "a", "b"]}
    )
    assert r.status_code == 200, r.text
    c = r.json()
    assert (c["keep_in_touch_days"], c["own_keep_in_touch_days"], c["tags"]) == (7, 7, ["a", "b"])
    assert c["due_at"] == "2026-11-08T10:00:00Z"
    c = client.patch(url, json={"keep_in_touch_days": None}).json()
    assert (c["keep_in_touch_days"], c["due_at"]) == (30, "2026-12-01T10:00:00Z")
    # The user's cadence changes the due date of contacts that follow it, in that request.
    client.patch(f"/v1/users/{uid}", json={"settings": {"keep_in_touch_days": 5}})
    assert client.get(url).json()["due_at"] == "2026-11-06T10:00:00Z"
