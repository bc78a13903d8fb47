"""POST /checks with action "sales_contact" (SPEC §6.5) and its agreement with
GET /sales-ratio (30-day window, all platforms)."""

from tests.insights.helpers import check, codes, ev, get, make_user, numbers_in, record
from tests.insights.test_sales_ratio import AS_OF, contacts_fixture


def sale(client, uid, at=AS_OF, count=1, platform="x", **extra):
    return check(
        client, uid, action="sales_contact", platform=platform, at=at, count=count, **extra
    )


def test_sales_ratio_and_counterpart_ratio(client, user):
    uid = user["id"]
    record(client, uid, contacts_fixture())
    # 30 days to AS_OF, all platforms: 24 non-sales, 4 sales, required 10 -> 0 allowed

    r = sale(client, uid)
    assert r["allowed"] is False
    assert codes(r) == ["sales_ratio"]
    # needed before 1 more: 10 × (4 + 1) - 24 = 26
    assert 26 in numbers_in(r["reasons"][0]["detail"])
    assert r["next_allowed_at"] is None

    r = sale(client, uid, counterpart="@Bob", platform="linkedin")
    assert codes(r) == ["counterpart_ratio", "sales_ratio"]
    # bob: 3 non-sales, 2 sales; 3 < 10 × 3 -> needs 30 - 3 = 27 more with bob
    detail = next(x["detail"] for x in r["reasons"] if x["code"] == "counterpart_ratio")
    assert "bob" in detail and 27 in numbers_in(detail)

    assert (
        client.patch(f"/v1/users/{uid}", json={"settings": {"sales_ratio": 2.5}}).status_code == 200
    )
    # floor(24 / 2.5) - 4 = 5 allowed now
    assert sale(client, uid, count=5)["allowed"] is True
    r = sale(client, uid, count=6)
    assert codes(r) == ["sales_ratio"]
    # 24 non-sales, 4 sales, 5 allowed, asked 6; needed 2.5 × (4 + 6) - 24 = 1
    assert {24, 4, 5, 6, 1} <= set(numbers_in(r["reasons"][0]["detail"]))

    # dave: 10 non-sales, 1 sales: after k more, compliant while 10 >= 2.5 × (1 + k)
    assert sale(client, uid, count=3, counterpart="dave")["allowed"] is True  # 10 >= 10
    r = sale(client, uid, count=4, counterpart="Dave")  # 10 < 12.5 (and 4 <= 5 overall)
    assert codes(r) == ["counterpart_ratio"]
    # carol: 5 >= 2.5 × 2
    assert sale(client, uid, counterpart="carol")["allowed"] is True
    # bob: 3 < 2.5 × 3
    assert codes(sale(client, uid, counterpart="@Bob")) == ["counterpart_ratio"]
    # nobody we ever contacted: 0 < 2.5 × 1
    assert codes(sale(client, uid, counterpart="zed")) == ["counterpart_ratio"]


def test_window_is_30_local_days(client):
    uid = make_user(client, "Europe/Berlin")  # UTC+2 until 2026-10-25, then UTC+1
    record(
        client,
        uid,
        [
            ev(
                "x", "direct_message", "2026-10-21T21:59:59Z", counterpart="max", is_sales=True
            ),  # 10-21 23:59:59 local
            ev("x", "reply", "2026-10-21T22:00:00Z", counterpart="max"),  # 10-22 00:00 local
            *[
                ev("facebook", "comment", f"2026-11-01T1{i}:00:00Z", counterpart="ann")
                for i in range(9)
            ],
        ],
    )
    at = "2026-11-20T12:00:00+01:00"  # 30 days: 10-22 .. 11-20 local
    # in the window: 10 non-sales, 0 sales -> floor(10 / 10) - 0 = 1 allowed
    assert get(client, uid, "sales-ratio", as_of=at)["sales_allowed_now"] == 1
    assert sale(client, uid, at=at)["allowed"] is True
    assert codes(sale(client, uid, at=at, count=2)) == ["sales_ratio"]


def test_sales_check_agrees_with_sales_ratio(client):
    seen = set()
    for ratio in (10, 2.5, 1):
        uid = make_user(client, sales_ratio=ratio)
        record(client, uid, contacts_fixture())
        for at in (AS_OF, "2026-11-10T00:00:00Z", "2026-11-20T13:00:01+01:00"):
            allowed_now = get(client, uid, "sales-ratio", as_of=at, window_days=30)[
                "sales_allowed_now"
            ]
            seen.add(allowed_now)
            for count in sorted({1, max(1, allowed_now), allowed_now + 1}):
                answer = sale(client, uid, at=at, count=count)
                assert answer["allowed"] == (allowed_now >= count), (ratio, at, count)
    assert len(seen) > 2  # 0 and several positive numbers were compared
