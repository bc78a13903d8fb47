"""GET /v1/users/{id}/engagement (SPEC §6.4)."""

from tests.insights.helpers import ev, get, make_user, record

AS_OF = "2026-11-20T12:00:00Z"  # default window_days=7: from 2026-11-14T00:00Z (UTC user)


def test_counts_share_and_people(client, user):
    uid = user["id"]
    record(
        client,
        uid,
        [
            ev("x", "post", "2026-11-14T00:00:00Z"),  # first instant of the window
            ev("linkedin", "post", "2026-11-15T09:00:00Z"),
            ev(
                "facebook", "share", "2026-11-16T09:00:00Z", counterpart="hank"
            ),  # broadcast, not an interaction
            ev("x", "reply", "2026-11-16T10:00:00Z", counterpart="bob"),
            ev("x", "mention", "2026-11-16T11:00:00Z", counterpart="carol"),
            ev(
                "linkedin", "direct_message", "2026-11-17T10:00:00Z", counterpart="@Bob"
            ),  # bob again
            ev("instagram", "comment", "2026-11-17T11:00:00Z", counterpart="dave"),
            ev("facebook", "wall_post", "2026-11-18T10:00:00Z", counterpart="erin"),
            ev("x", "like", "2026-11-18T11:00:00Z", counterpart="frank"),
            ev("x", "like", "2026-11-18T12:00:00Z", counterpart="bob"),
            ev("instagram", "like", "2026-11-19T10:00:00Z"),  # no counterpart
            ev("x", "follow", "2026-11-19T11:00:00Z", counterpart="ivy"),  # neither group
            ev("x", "unfollow", "2026-11-19T12:00:00Z", counterpart="ivy"),
            # inbound: everything but follow counts
            ev("x", "reply", "2026-11-16T12:00:00Z", counterpart="bob", direction="inbound"),
            ev("x", "like", "2026-11-16T13:00:00Z", counterpart="carol", direction="inbound"),
            ev(
                "linkedin",
                "direct_message",
                "2026-11-17T12:00:00Z",
                counterpart="gina",
                direction="inbound",
            ),
            ev("x", "unfollow", "2026-11-17T13:00:00Z", counterpart="jack", direction="inbound"),
            ev("x", "follow", "2026-11-17T14:00:00Z", counterpart="gina", direction="inbound"),
            # outside the window
            ev("x", "post", "2026-11-13T23:59:59Z"),
            ev("x", "reply", "2026-11-13T23:59:59Z", counterpart="kim"),
            ev("x", "reply", "2026-11-13T23:59:59Z", counterpart="kim", direction="inbound"),
            ev("x", "reply", "2026-11-20T12:00:01Z", counterpart="lee"),
        ],
    )
    r = get(client, uid, "engagement", as_of=AS_OF)
    assert (r["as_of"], r["window_days"]) == (AS_OF, 7)
    assert r["broadcasts"] == 3  # 2 posts + 1 share
    assert r["interactions"] == 8  # reply, mention, dm, comment, wall_post, 3 likes
    assert r["inbound"] == 4  # reply, like, dm, unfollow (the inbound follow is not counted)
    assert r["people_engaged"] == 5  # bob, carol, dave, erin, frank
    assert r["interaction_share"] == 8 / 11  # 8 / (3 + 8)
    assert r["interaction_share_target"] == 0.5
    assert r["flags"] == []  # 8/11 >= 0.5

    # window_days=1: only 11-20 00:00 .. as_of -> nothing
    r = get(client, uid, "engagement", as_of=AS_OF, window_days=1)
    assert (r["broadcasts"], r["interactions"], r["inbound"], r["people_engaged"]) == (0, 0, 0, 0)
    assert r["interaction_share"] is None
    assert r["flags"] == []


def test_broadcast_heavy(client):
    uid = make_user(client)
    record(
        client,
        uid,
        [
            ev("x", "post", "2026-11-18T09:00:00Z"),
            ev("x", "post", "2026-11-18T12:00:00Z"),
            ev("x", "share", "2026-11-18T15:00:00Z"),
            ev("x", "reply", "2026-11-19T09:00:00Z", counterpart="bob"),
            ev("x", "like", "2026-11-19T10:00:00Z", counterpart="bob"),
        ],
    )
    r = get(client, uid, "engagement", as_of=AS_OF)
    assert r["interaction_share"] == 0.4  # 2 / (3 + 2)
    assert r["people_engaged"] == 1
    assert r["flags"] == ["broadcast_heavy"]  # 3 > 0 broadcasts and 0.4 < 0.5

    r = client.patch(f"/v1/users/{uid}", json={"settings": {"interaction_share_target": 0.4}})
    assert r.status_code == 200
    r = get(client, uid, "engagement", as_of=AS_OF)
    assert r["interaction_share_target"] == 0.4
    assert r["flags"] == []  # 0.4 is not < 0.4


def test_only_broadcasts_or_only_interactions(client):
    uid = make_user(client)
    record(client, uid, [ev("facebook", "post", "2026-11-20T09:00:00Z")])
    r = get(client, uid, "engagement", as_of=AS_OF)
    assert (r["broadcasts"], r["interactions"], r["interaction_share"]) == (1, 0, 0.0)
    assert r["flags"] == ["broadcast_heavy"]

    other = make_user(client, name="Other")
    record(client, other, [ev("facebook", "comment", "2026-11-20T09:00:00Z", counterpart="x")])
    r = get(client, other, "engagement", as_of=AS_OF)
    assert (r["broadcasts"], r["interactions"], r["interaction_share"]) == (0, 1, 1.0)
    assert r["flags"] == []


def test_window_in_local_days(client):
    uid = make_user(client, "America/Los_Angeles")  # UTC-8 in November
    record(
        client,
        uid,
        [
            ev("x", "post", "2026-11-14T07:59:59Z"),  # 11-13 23:59:59 local: out
            ev("x", "reply", "2026-11-14T08:00:00Z", counterpart="amy"),  # 11-14 00:00 local: in
        ],
    )
    r = get(client, uid, "engagement", as_of="2026-11-20T12:00:00-08:00")  # window from 11-14 local
    assert (r["broadcasts"], r["interactions"], r["people_engaged"]) == (0, 1, 1)


def test_validation(client, user):
    base = f"/v1/users/{user['id']}/engagement"
    for params in ({"window_days": 0}, {"window_days": 3651}, {"as_of": "2026-11-20T12:00:00"}):
        r = client.get(base, params=params)
        assert r.status_code == 422, (params, r.text)
    assert "UTC offset" in r.json()["detail"]
