"""§12 event-driven types, hand-computed: the write that trips each, its payload, exactly one
message; dedupe (a batch of 1,000 follows: one per platform, day and limit; deletes and
re-trips send nothing more); a rolled-back write sends nothing; no endpoint, no work."""

import json

from tests.webhooks.conftest import create_webhook, rows

DAY = "2026-11-02"


def _user(api, **settings) -> dict:
    body = {"name": "Ada", "external_id": "crm-42", "timezone": "UTC"}
    if settings:
        body["settings"] = settings
    response = api.post("/v1/users", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _events(api, user, events) -> None:
    response = api.post(f"/v1/users/{user['id']}/events:batch", json={"events": events})
    assert response.status_code in (200, 201), response.text


def _follow(at: str, **extra) -> dict:
    return {"platform": "x", "kind": "follow", "direction": "outbound", "occurred_at": at, **extra}


def _messages(wh, api, event_type: str | None = None) -> list[dict]:
    workspace = api.get("/v1/me").json()["id"]
    found = rows(
        wh,
        "SELECT event_type, body FROM webhook_message WHERE workspace_id = :w ORDER BY created_at",
        w=workspace if wh.db.url.startswith("postgresql") else workspace.replace("-", ""),
    )
    return [json.loads(b) for t, b in found if event_type is None or t == event_type]


def _pacing_plan(api, user) -> None:
    response = api.put(
        f"/v1/users/{user['id']}/follow-plans/x",
        json={"weekly_target": 7, "daily_cap": 3, "burst_limit": 2},
    )
    assert response.status_code in (200, 201), response.text


def test_pacing_over_limit_once_per_day_and_limit(api, wh):
    create_webhook(api, "http://127.0.0.1:9/hook", events=["pacing.over_limit"])
    user = _user(api)
    _pacing_plan(api, user)
    # 3 follows, 2 in one hour: at the cap, at the burst limit: nothing yet.
    _events(
        api,
        user,
        [_follow(f"{DAY}T10:00:00Z"), _follow(f"{DAY}T10:01:00Z"), _follow(f"{DAY}T14:00:00Z")],
    )
    assert _messages(wh, api) == []
    # The 4th passes the daily cap (3).
    _events(api, user, [_follow(f"{DAY}T16:00:00Z", external_id="f4")])
    (message,) = _messages(wh, api)
    assert message["type"] == "pacing.over_limit"
    assert message["data"] == {
        "user_id": user["id"],
        "external_id": "crm-42",
        "platform": "x",
        "date": DAY,
        "limit": "daily_cap",
        "follows": 4,
    }
    # A 3rd follow within the hour passes the burst limit (2): one more, for that limit.
    _events(api, user, [_follow(f"{DAY}T10:02:00Z")])
    assert [m["data"]["limit"] for m in _messages(wh, api)] == ["daily_cap", "burst_limit"]
    # Back under by a delete, over again: the day and limit were sent, nothing more.
    event_id = api.get(f"/v1/users/{user['id']}/events", params={"limit": 500}).json()["items"]
    f4 = next(e for e in event_id if e.get("external_id") == "f4")
    assert api.delete(f"/v1/users/{user['id']}/events/{f4['id']}").status_code == 204
    _events(api, user, [_follow(f"{DAY}T18:00:00Z")])
    assert len(_messages(wh, api)) == 2
    # Another day is another day.
    _events(api, user, [_follow(f"2026-11-03T0{h}:00:00Z") for h in range(4)])
    assert [(m["data"]["date"], m["data"]["limit"]) for m in _messages(wh, api)][-1] == (
        "2026-11-03",
        "daily_cap",
    )


def test_a_batch_of_1000_follows_sends_one_message_per_limit(api, wh):
    create_webhook(api, "http://127.0.0.1:9/hook", events=["pacing.over_limit"])
    user = _user(api)
    _pacing_plan(api, user)
    day = "2026-11-04"
    follows = [_follow(f"{day}T{m // 60:02d}:{m % 60:02d}:00Z") for m in range(1000)]
    _events(api, user, follows)
    limits = sorted(m["data"]["limit"] for m in _messages(wh, api))
    # The cap (3), the burst limit (2 per hour) and x's 400 follows per local day.
    assert limits == ["burst_limit", "daily_cap", "follows_per_local_day"]
    assert {m["data"]["follows"] for m in _messages(wh, api)} == {1000}
    _events(api, user, follows[:10])  # a second batch the same day
    assert len(_messages(wh, api)) == 3


def test_posting_over_posting_and_burst_once_per_day(api, wh):
    create_webhook(api, "http://127.0.0.1:9/hook", events=["posting.over_posting", "posting.burst"])
    user = _user(api)
    plan = {"min_posts_per_day": 1, "max_posts_per_day": 2, "min_gap_minutes": 60}
    assert api.put(f"/v1/users/{user['id']}/posting-plans/x", json=plan).status_code in (200, 201)
    post = lambda at: {"platform": "x", "kind": "post", "direction": "outbound", "occurred_at": at}  # noqa: E731
    _events(api, user, [post(f"{DAY}T09:00:00Z"), post(f"{DAY}T12:00:00Z")])
    assert _messages(wh, api) == []
    _events(api, user, [post(f"{DAY}T12:30:00Z")])  # 3 > 2, and 30 min after the last
    got = {m["type"]: m["data"] for m in _messages(wh, api)}
    assert got == {
        "posting.over_posting": {
            "user_id": user["id"],
            "external_id": "crm-42",
            "platform": "x",
            "date": DAY,
            "posts": 3,
            "max_posts_per_day": 2,
        },
        "posting.burst": {
            "user_id": user["id"],
            "external_id": "crm-42",
            "platform": "x",
            "date": DAY,
            "posts": 3,
            "min_gap_minutes": 60,
        },
    }
    _events(api, user, [post(f"{DAY}T12:40:00Z"), post(f"{DAY}T20:00:00Z")])
    assert len(_messages(wh, api)) == 2


def test_sales_ratio_breached_and_restored_on_transitions(api, wh):
    create_webhook(
        api, "http://127.0.0.1:9/hook", events=["sales_ratio.breached", "sales_ratio.restored"]
    )
    user = _user(api)
    now = api.get("/v1/users").json()["items"][0]["created_at"][:10]
    at = f"{now}T00:00:01Z"
    sale = {
        "platform": "x",
        "kind": "direct_message",
        "direction": "outbound",
        "occurred_at": at,
        "is_sales": True,
    }
    help_ = {**sale, "is_sales": False}
    _events(api, user, [help_] * 5)  # compliant: no sales
    assert _messages(wh, api) == []
    _events(api, user, [sale])  # 5 non-sales for 1 sale: below 10:1
    (breached,) = _messages(wh, api)
    assert breached["type"] == "sales_ratio.breached"
    assert breached["data"] == {
        "user_id": user["id"],
        "external_id": "crm-42",
        "window_days": 30,
        "non_sales": 5,
        "sales": 1,
        "ratio": 5.0,
        "required_ratio": 10.0,
        "compliant": False,
    }
    _events(api, user, [help_] * 2)  # still breached: nothing new
    assert len(_messages(wh, api)) == 1
    _events(api, user, [help_] * 3)  # 10:1
    assert [m["type"] for m in _messages(wh, api)] == [
        "sales_ratio.breached",
        "sales_ratio.restored",
    ]
    _events(api, user, [sale])
    assert [m["type"] for m in _messages(wh, api)][-1] == "sales_ratio.breached"
    assert len(_messages(wh, api)) == 3


def test_a_rolled_back_write_sends_nothing(api, wh):
    create_webhook(api, "http://127.0.0.1:9/hook", events=["pacing.over_limit"])
    user = _user(api)
    _pacing_plan(api, user)
    _events(api, user, [_follow(f"{DAY}T10:00:00Z", external_id="a")])
    # Four more follows would pass the cap, but the batch repeats external_id "a" with other
    # content: a 409, the whole batch rolled back, and with it the outbox row.
    batch = [_follow(f"{DAY}T1{h}:30:00Z") for h in range(4)] + [
        _follow(f"{DAY}T11:00:00Z", external_id="a")
    ]
    response = api.post(f"/v1/users/{user['id']}/events:batch", json={"events": batch})
    assert response.status_code == 409, response.text
    assert _messages(wh, api) == []
    # The same follows without the conflict do trip it (the test above can fail).
    _events(api, user, batch[:4])
    assert len(_messages(wh, api)) == 1


def test_no_endpoint_no_message_and_no_state(api, wh):
    user = _user(api)
    _pacing_plan(api, user)
    _events(api, user, [_follow(f"{DAY}T1{h}:00:00Z") for h in range(6)])
    assert _messages(wh, api) == []
    uid = user["id"] if wh.db.url.startswith("postgresql") else user["id"].replace("-", "")
    assert rows(wh, "SELECT * FROM webhook_user_state WHERE user_id = :u", u=uid) == []


def test_an_endpoint_not_subscribed_to_the_type_gets_nothing(api, wh):
    create_webhook(api, "http://127.0.0.1:9/hook", events=["posting.burst"])
    user = _user(api)
    _pacing_plan(api, user)
    _events(api, user, [_follow(f"{DAY}T1{h}:00:00Z") for h in range(6)])
    assert _messages(wh, api) == []


def test_relationship_stage_changed_on_each_real_change(api, wh):
    """know → like (an inbound reply) → trust (3 inbound on 2 local days, non_sales ≥ 10) →
    like (a delete leaves 2 inbound) → trust again → like (a change of zone puts every
    inbound event on one local day, sent by the PATCH): one message per step, none for the
    handle's first appearance."""
    create_webhook(api, "http://127.0.0.1:9/hook", events=["relationship.stage_changed"])
    user = _user(api)
    out = {"platform": "x", "kind": "reply", "direction": "outbound", "counterpart": "grace"}
    inbound = {**out, "direction": "inbound"}
    late = {**inbound, "occurred_at": "2026-11-03T00:30:00Z"}  # 11-02 19:30 in New York
    _events(api, user, [{**out, "occurred_at": f"{DAY}T09:00:00Z"}])  # know: first appearance
    assert _messages(wh, api, "relationship.stage_changed") == []
    _events(api, user, [{**inbound, "occurred_at": f"{DAY}T10:00:00Z"}])  # like
    response = api.post(
        f"/v1/users/{user['id']}/events:batch",
        json={
            "events": [{**out, "occurred_at": f"{DAY}T11:{m:02d}:00Z"} for m in range(9)]
            + [{**inbound, "occurred_at": f"{DAY}T12:00:00Z"}, late]
        },
    )
    assert response.status_code == 200, response.text  # trust: 10 non-sales, 2 UTC days
    late_id = response.json()["ids"][-1]
    assert api.delete(f"/v1/users/{user['id']}/events/{late_id}").status_code == 204  # like
    _events(api, user, [late])  # trust
    response = api.patch(f"/v1/users/{user['id']}", json={"timezone": "America/New_York"})
    assert response.status_code == 200, response.text  # like: one local day
    sent = _messages(wh, api, "relationship.stage_changed")
    assert [(m["data"]["from"], m["data"]["to"]) for m in sent] == [
        ("know", "like"),
        ("like", "trust"),
        ("trust", "like"),
        ("like", "trust"),
        ("trust", "like"),
    ]
    first = sent[0]["data"]
    assert first["user_id"] == user["id"] and first["external_id"] == "crm-42"
    assert first["handle"] == "grace" and first["contact_id"]
