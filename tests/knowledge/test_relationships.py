"""GET /users/{id}/relationships (SPEC §6.7): stages, staleness, local days, paging."""

from tests.knowledge.helpers import add_events, ev, make_user, problem


def rel(client, uid, **params):
    r = client.get(f"/v1/users/{uid}/relationships", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def row(client, uid, name, as_of):
    items = [
        i for i in rel(client, uid, as_of=as_of, limit=500)["items"] if i["counterpart"] == name
    ]
    return items[0] if items else None


def test_know_like_trust_then_stale(client):
    uid = make_user(client, "Ada", "UTC", sales_ratio=2, keep_in_touch_days=10)
    add_events(
        client,
        uid,
        [
            ev("x", "comment", "2026-10-01T14:00:00Z", "@Alice"),
            ev("linkedin", "reply", "2026-10-02T14:00:00Z", "alice"),
            ev("x", "direct_message", "2026-10-02T15:00:00Z", "alice", is_sales=True),
            ev("x", "follow", "2026-10-02T16:00:00Z", "alice"),
        ],
    )
    know = row(client, uid, "alice", "2026-10-03T00:00:00Z")
    assert know == {
        "counterpart": "alice",
        "first_contact_at": "2026-10-01T14:00:00Z",
        "last_contact_at": "2026-10-02T16:00:00Z",
        "outbound": 4,
        "inbound": 0,
        "non_sales": 2,
        "sales": 1,
        "stage": "know",
        "stale": False,
    }

    add_events(client, uid, [ev("x", "like", "2026-10-05T15:00:00Z", "alice", direction="inbound")])
    like = row(client, uid, "alice", "2026-10-06T00:00:00Z")
    assert (like["stage"], like["inbound"], like["last_contact_at"]) == (
        "like",
        1,
        "2026-10-05T15:00:00Z",
    )

    add_events(
        client,
        uid,
        [
            ev("x", "reply", "2026-10-06T15:00:00Z", "alice", direction="inbound"),
            ev("facebook", "mention", "2026-10-07T15:00:00Z", "alice", direction="inbound"),
        ],
    )
    # Before the third inbound event: still like; at it: trust (3 inbound, 3 days, 2 ≥ 2).
    assert row(client, uid, "alice", "2026-10-07T14:59:59Z")["stage"] == "like"
    trust = row(client, uid, "alice", "2026-10-07T15:00:00Z")
    assert (trust["stage"], trust["inbound"], trust["outbound"]) == ("trust", 3, 4)
    # Exactly keep_in_touch_days after the last contact is not yet stale; a second later it is.
    assert row(client, uid, "alice", "2026-10-17T15:00:00Z")["stale"] is False
    stale = row(client, uid, "alice", "2026-10-17T15:00:01Z")
    assert (stale["stage"], stale["stale"]) == ("trust", True)
    # Events after as_of are ignored; before the first event there is no row.
    assert row(client, uid, "alice", "2026-10-01T13:59:59Z") is None


def test_trust_needs_enough_non_sales(client):
    uid = make_user(client, "Ada", "UTC", sales_ratio=2)
    add_events(
        client,
        uid,
        [
            ev("x", "comment", "2026-10-01T10:00:00Z", "bo"),
            ev("x", "post", "2026-10-01T11:00:00Z", "bo", is_sales=True),
            ev("x", "post", "2026-10-01T12:00:00Z", "bo", is_sales=True),
            *[
                ev("x", "reply", f"2026-10-0{d}T10:00:00Z", "bo", direction="inbound")
                for d in (2, 3, 4)
            ],
        ],
    )
    r = row(client, uid, "bo", "2026-10-05T00:00:00Z")
    assert (r["stage"], r["non_sales"], r["sales"], r["inbound"]) == ("like", 1, 2, 3)
    add_events(
        client,
        uid,
        [
            ev("x", "like", "2026-10-05T10:00:00Z", "bo"),  # not a contact
            ev("x", "share", "2026-10-05T11:00:00Z", "bo"),
        ],
    )
    r = row(client, uid, "bo", "2026-10-06T00:00:00Z")
    assert (r["stage"], r["non_sales"], r["outbound"]) == ("trust", 2, 5)


def test_distinct_local_days_in_new_york(client):
    # EDT (UTC−4) in October: 23:30 local is 03:30Z the next day.
    uid = make_user(client, "Ada", "America/New_York", sales_ratio=1)
    add_events(
        client,
        uid,
        [
            ev("x", "comment", "2026-10-09T12:00:00Z", "bob"),
            ev("x", "reply", "2026-10-11T03:30:00Z", "bob", direction="inbound"),  # 10-10 23:30
            ev("x", "reply", "2026-10-11T04:30:00Z", "bob", direction="inbound"),  # 10-11 00:30
            ev("x", "like", "2026-10-11T05:00:00Z", "bob", direction="inbound"),  # 10-11 01:00
            ev("x", "comment", "2026-10-09T12:00:00Z", "carol"),
            ev("x", "reply", "2026-10-10T23:30:00Z", "carol", direction="inbound"),  # 10-10 19:30
            ev("x", "reply", "2026-10-11T00:30:00Z", "carol", direction="inbound"),  # 10-10 20:30
            ev("x", "like", "2026-10-11T03:59:59Z", "carol", direction="inbound"),  # 10-10 23:59:59
        ],
    )
    as_of = "2026-10-12T00:00:00Z"
    # Same UTC day, two local days: trust. Two UTC days, one local day: not trust.
    assert row(client, uid, "bob", as_of)["stage"] == "trust"
    assert row(client, uid, "carol", as_of)["stage"] == "like"
    assert [i["counterpart"] for i in rel(client, uid, as_of=as_of, stage="trust")["items"]] == [
        "bob"
    ]
    assert [i["counterpart"] for i in rel(client, uid, as_of=as_of, stage="like")["items"]] == [
        "carol"
    ]


def _seed_many(client, uid):
    """26 counterparts: names that sort differently under locale collations, and ties."""
    names = ["a_b", "ab", "a-c", "zed", "émile", "10x", "9lives", "b", "ba", "a b"]
    names += [f"p{i:02d}" for i in range(16)]
    events, expected = [], []
    for i, name in enumerate(names):
        minute = (i * 7) % 5  # ties on last_contact_at
        last = f"2026-09-{1 + i % 3:02d}T10:0{minute}:00Z"
        events.append(ev("x", "comment", "2026-08-01T09:00:00Z", name))
        if i % 4 == 0:
            events.append(ev("x", "reply", last, name, direction="inbound"))
        else:
            events.append(ev("linkedin", "reply", last, name))
        if name == "b":  # two events at its last instant: still one row
            events.append(ev("x", "like", last, name))
        expected.append((last, name, i % 4 == 0))
    add_events(client, uid, events)
    expected.sort(key=lambda t: t[1].encode())
    expected.sort(key=lambda t: t[0], reverse=True)
    return expected


def _walk(client, uid, **params):
    seen, cursor, pages = [], None, 0
    while True:
        body = rel(client, uid, limit=4, **params, **({"cursor": cursor} if cursor else {}))
        assert len(body["items"]) <= 4
        seen.extend(body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


def test_pagination_visits_every_counterpart_once_in_order(client):
    uid = make_user(client)
    expected = _seed_many(client, uid)
    seen, pages = _walk(client, uid, as_of="2026-09-05T00:00:00Z")
    assert [(i["last_contact_at"], i["counterpart"]) for i in seen] == [
        (t, n) for t, n, _ in expected
    ]
    assert pages == 7  # 26 rows, 4 a page
    liked, _ = _walk(client, uid, as_of="2026-09-05T00:00:00Z", stage="like")
    assert [i["counterpart"] for i in liked] == [n for _, n, inbound in expected if inbound]
    known, _ = _walk(client, uid, as_of="2026-09-05T00:00:00Z", stage="know")
    assert [i["counterpart"] for i in known] == [n for _, n, inbound in expected if not inbound]


def test_stale_filter(client):
    uid = make_user(client, "Ada", "UTC", keep_in_touch_days=30)
    add_events(
        client,
        uid,
        [
            ev("x", "comment", "2026-09-01T10:00:00Z", "old"),
            ev("x", "like", "2026-09-25T10:00:00Z", "older", direction="inbound"),
            ev("x", "comment", "2026-10-25T10:00:00Z", "fresh"),
            ev("x", "comment", "2026-11-20T10:00:00Z", "future"),  # after as_of
        ],
    )
    as_of = "2026-10-26T10:00:00Z"  # cutoff 2026-09-26T10:00Z
    names = lambda **p: [i["counterpart"] for i in rel(client, uid, as_of=as_of, **p)["items"]]
    assert names() == ["fresh", "older", "old"]
    assert names(stale="true") == ["older", "old"]
    assert names(stale="false") == ["fresh"]
    assert names(stale="true", stage="like") == ["older"]
    assert names(stale="false", stage="trust") == []
    body = rel(client, uid, as_of=as_of)
    assert body["as_of"] == "2026-10-26T10:00:00Z" and body["keep_in_touch_days"] == 30


def test_bad_parameters(client):
    uid = make_user(client)
    problem(
        client.get(f"/v1/users/{uid}/relationships", params={"cursor": "nope"}),
        400,
        "invalid_cursor",
    )
    problem(client.get(f"/v1/users/{uid}/relationships", params={"stage": "love"}), 422)
    problem(
        client.get(f"/v1/users/{uid}/relationships", params={"as_of": "2026-10-01T00:00:00"}), 422
    )


def test_other_workspace_gets_404(client, other_client):
    uid = make_user(client)
    problem(other_client.get(f"/v1/users/{uid}/relationships"), 404, "not_found")
