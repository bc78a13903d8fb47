"""GET /users/{id}/profile-check (SPEC §6.6)."""

import pytest

from tests.knowledge.helpers import add_events, ev, make_user, problem, put

LIMITS = {"x": 160, "instagram": 150, "linkedin": 220, "facebook": 101}
PHOTO = {"photo_url": "https://example.com/me.jpg", "photo_smiling": True}


def check(client, uid):
    r = client.get(f"/v1/users/{uid}/profile-check")
    assert r.status_code == 200, r.text
    return r.json()


def section(body, platform):
    return next(s for s in body["platforms"] if s["platform"] == platform)


@pytest.mark.parametrize("platform", ["x", "instagram", "linkedin", "facebook"])
def test_bio_at_the_limit_is_fine_and_one_over_is_too_long(client, platform):
    uid = make_user(client)
    limit = LIMITS[platform]
    put(client, uid, f"/profiles/{platform}", {"handle": "ada", "bio": "é" * limit, **PHOTO})
    body = check(client, uid)
    assert body == {
        "complete": True,
        "finding_count": 0,
        "platforms": [
            {
                "platform": platform,
                "has_profile": True,
                "handle": "ada",
                "bio_length": limit,
                "bio_min_length": 40,
                "bio_max_length": limit,
                "findings": [],
            }
        ],
    }

    put(client, uid, f"/profiles/{platform}", {"handle": "ada", "bio": "é" * (limit + 1), **PHOTO})
    body = check(client, uid)
    assert body["complete"] is False and body["finding_count"] == 1
    [finding] = section(body, platform)["findings"]
    assert finding["code"] == "bio_too_long"
    assert str(limit + 1) in finding["detail"] and str(limit) in finding["detail"]
    assert "cut 1 character" in finding["detail"]


def test_bio_length_boundaries_at_forty(client):
    uid = make_user(client)
    put(client, uid, "/profiles/x", {"handle": "ada", "bio": "b" * 39, **PHOTO})
    [finding] = section(check(client, uid), "x")["findings"]
    assert finding["code"] == "bio_too_short"
    assert "39" in finding["detail"] and "40" in finding["detail"]
    put(client, uid, "/profiles/x", {"handle": "ada", "bio": "b" * 40, **PHOTO})
    assert section(check(client, uid), "x")["findings"] == []


def test_photo_and_bio_findings(client):
    uid = make_user(client)
    put(client, uid, "/profiles/x", {"handle": "ada"})
    put(
        client,
        uid,
        "/profiles/facebook",
        {"handle": "ada", "bio": "   ", "photo_url": "https://e.com/a.png", "photo_smiling": False},
    )
    put(
        client,
        uid,
        "/profiles/linkedin",
        {
            "handle": "ada",
            "bio": "Helping founders grow their network, one honest conversation at a time.",
            "photo_url": "https://e.com/a.png",
        },
    )
    body = check(client, uid)
    codes = {s["platform"]: [f["code"] for f in s["findings"]] for s in body["platforms"]}
    assert codes == {
        "x": ["missing_photo", "missing_bio"],
        "facebook": ["photo_not_smiling", "missing_bio"],
        "linkedin": [],
    }
    assert [s["platform"] for s in body["platforms"]] == ["x", "facebook", "linkedin"]
    assert body["finding_count"] == 4 and body["complete"] is False


def test_missing_profile_for_plans_and_events(client):
    uid = make_user(client)
    put(client, uid, "/follow-plans/linkedin", {"weekly_target": 10})
    put(client, uid, "/posting-plans/facebook", {})
    add_events(
        client, uid, [ev("instagram", "like", "2026-11-02T10:00:00Z", "bob", direction="inbound")]
    )
    put(client, uid, "/profiles/x", {"handle": "ada", "bio": "a" * 50, **PHOTO})
    body = check(client, uid)
    assert [s["platform"] for s in body["platforms"]] == ["x", "facebook", "linkedin", "instagram"]
    for platform, why in (
        ("facebook", "posting plan"),
        ("linkedin", "follow plan"),
        ("instagram", "recorded events"),
    ):
        s = section(body, platform)
        assert s["has_profile"] is False and s["handle"] is None
        [finding] = s["findings"]
        assert finding["code"] == "missing_profile" and why in finding["detail"]
    assert section(body, "x")["findings"] == []
    assert body["finding_count"] == 3


def test_nothing_stored_is_complete(client):
    uid = make_user(client)
    assert check(client, uid) == {"complete": True, "finding_count": 0, "platforms": []}


def test_other_workspace_gets_404(client, other_client):
    uid = make_user(client)
    problem(other_client.get(f"/v1/users/{uid}/profile-check"), 404, "not_found")
