"""POST /checks request validation (SPEC §6.5, §7)."""

GOOD = {"action": "follow", "platform": "x", "at": "2026-11-04T12:00:00Z"}


def test_bad_bodies_are_422(client, user):
    for change, pointer in (
        ({"count": 0}, "#/count"),
        ({"count": 1001}, "#/count"),
        ({"action": "dance"}, "#/action"),
        ({"platform": "myspace"}, "#/platform"),
        ({"at": "2026-11-04T12:00:00"}, "#/at"),
        ({"colour": "red"}, "#/colour"),
    ):
        r = client.post(f"/v1/users/{user['id']}/checks", json={**GOOD, **change})
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["code"] == "validation_error"
        assert [e["pointer"] for e in body["errors"]] == [pointer]
        if "at" in change:
            assert "UTC offset" in body["detail"]


def test_count_bounds_are_accepted(client, user):
    for count in (1, 1000):
        r = client.post(f"/v1/users/{user['id']}/checks", json={**GOOD, "count": count})
        assert r.status_code == 200, r.text
    # 1000 follows at once exceed x's daily_cap 100 and burst 25 forever
    assert r.json()["next_allowed_at"] is None
    assert "exceeds_limit" in [x["code"] for x in r.json()["reasons"]]
    # without count the default is 1: nothing recorded, allowed
    r = client.post(f"/v1/users/{user['id']}/checks", json=GOOD)
    assert r.json() == {"allowed": True, "at": GOOD["at"], "reasons": [], "next_allowed_at": None}
