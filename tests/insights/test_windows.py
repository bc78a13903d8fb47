"""Window edges and stored-event changes for the counted insights (follow_back_rate,
sales-ratio, engagement): whatever the storage keeps to count fast, the answers must
follow the events exactly."""

from tests.insights.helpers import ev, follow_plan, get, make_user


def test_repeats_and_deletes_are_reflected(client):
    uid = make_user(client)  # UTC
    follow_plan(client, uid, "x", weekly_target=7, starts_on="2026-01-01")
    batch = [
        ev("x", "post", "2026-11-15T10:00:00Z", external_id="p1"),
        ev("x", "reply", "2026-11-16T10:00:00Z", counterpart="bob", external_id="r1"),
        ev(
            "x",
            "direct_message",
            "2026-11-17T10:00:00Z",
            counterpart="bob",
            is_sales=True,
            external_id="s1",
        ),
        ev("x", "follow", "2026-11-16T11:00:00Z", external_id="f1"),
        ev("x", "follow", "2026-11-16T12:00:00Z", direction="inbound", external_id="fi1"),
        ev(
            "x",
            "reply",
            "2026-11-16T13:00:00Z",
            counterpart="bob",
            direction="inbound",
            external_id="ri1",
        ),
    ]
    r = client.post(f"/v1/users/{uid}/events:batch", json={"events": batch})
    assert r.status_code == 200 and r.json()["created"] == 6
    ids = r.json()["ids"]
    as_of = "2026-11-20T12:00:00Z"

    def snapshot():
        e = get(client, uid, "engagement", as_of=as_of)
        s = get(client, uid, "sales-ratio", as_of=as_of)
        p = get(client, uid, "pacing", platform="x", as_of=as_of)
        return (
            (
                e["broadcasts"],
                e["interactions"],
                e["inbound"],
                e["people_engaged"],
                e["interaction_share"],
                e["flags"],
            ),
            (s["non_sales"], s["sales"], s["ratio"]),
            p["follow_back_rate"],
        )

    # broadcasts 1, interactions reply + dm = 2, inbound reply 1, people {bob};
    # share 2 / 3; contacts: post + reply non-sales, dm sales -> 2 / 1; follow back 1 / 1
    before = ((1, 2, 1, 1, 2 / 3, []), (2, 1, 2.0), 1.0)
    assert snapshot() == before

    r = client.post(f"/v1/users/{uid}/events:batch", json={"events": batch})  # a client retry
    assert r.status_code == 200 and (r.json()["created"], r.json()["duplicates"]) == (0, 6)
    assert snapshot() == before

    for event_id in (
        ids[1],
        ids[2],
        ids[3],
        ids[5],
    ):  # reply, sales dm, outbound follow, inbound reply
        assert client.delete(f"/v1/users/{uid}/events/{event_id}").status_code == 204
    # broadcasts 1, interactions 0 -> share 0.0, broadcast_heavy; contacts: post only -> 1 / 0;
    # no outbound follow left -> null
    assert snapshot() == ((1, 0, 0, 0, 0.0, ["broadcast_heavy"]), (1, 0, None), None)


def test_as_of_at_utc_midnight_and_whole_day_edges(client):
    uid = make_user(client)  # UTC
    follow_plan(client, uid, "x", weekly_target=7, starts_on="2026-01-01")
    r = client.post(
        f"/v1/users/{uid}/events:batch",
        json={
            "events": [
                ev("x", "post", "2026-11-13T23:59:59.999999Z"),  # out: before 11-14
                ev("x", "post", "2026-11-14T00:00:00Z"),  # in: first instant
                ev("x", "share", "2026-11-17T12:00:00Z"),
                ev("x", "reply", "2026-11-19T23:59:59.999999Z", counterpart="amy"),
                ev("x", "comment", "2026-11-20T00:00:00Z", counterpart="ben"),  # = as_of: in
                ev(
                    "x", "comment", "2026-11-20T00:00:00.000001Z", counterpart="cat"
                ),  # after as_of: out
                ev("x", "follow", "2026-11-20T00:00:00Z"),
                ev("x", "follow", "2026-11-14T00:00:00Z", direction="inbound"),
                ev("x", "follow", "2026-11-13T23:59:59Z", direction="inbound"),
            ]
        },
    )
    assert r.status_code == 200, r.text
    as_of = "2026-11-20T00:00:00Z"  # 7 days: 11-14 00:00Z .. 11-20 00:00Z

    e = get(client, uid, "engagement", as_of=as_of)
    # post 11-14 00:00 + share; reply + comment at as_of; people amy, ben
    assert (e["broadcasts"], e["interactions"], e["people_engaged"]) == (2, 2, 2)
    s = get(client, uid, "sales-ratio", as_of=as_of, window_days=7)
    assert (s["non_sales"], s["sales"]) == (4, 0)  # post + share + reply + comment
    p = get(client, uid, "pacing", platform="x", as_of=as_of, window_days=7)
    assert p["follow_back_rate"] == 1.0  # 1 inbound (11-14 00:00) / 1 outbound (11-20 00:00)
    assert p["follows_today"] == 1
