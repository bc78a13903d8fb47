"""GET /v1/users/{id}/sales-ratio (SPEC §6.3)."""

from tests.insights.helpers import ev, get, make_user, record

FIGURES = (
    "non_sales",
    "sales",
    "ratio",
    "required_ratio",
    "compliant",
    "sales_allowed_now",
    "non_sales_needed",
)


def figures(row: dict) -> tuple:
    return tuple(row[k] for k in FIGURES)


def contacts_fixture() -> list[dict]:
    """Outbound contacts in the 30 days ending 2026-11-20 (UTC user), and noise.

    | counterpart | x non-sales | x sales | linkedin non-sales | linkedin sales |
    | bob         | 3           | 1       | 0                  | 1              |
    | carol       | 0           | 0       | 5                  | 1              |
    | dave        | 10          | 1       | 0                  | 0              |
    | erin        | 4           | 0       | 0                  | 0              |
    | (none)      | 2           | 0       | 0                  | 0              |
    """
    in_window = [
        ev("x", "reply", "2026-11-01T10:00:00Z", counterpart="bob"),
        ev("x", "reply", "2026-11-02T10:00:00Z", counterpart="Bob"),
        ev("x", "mention", "2026-11-03T10:00:00Z", counterpart=" @bob "),
        ev("x", "direct_message", "2026-11-04T10:00:00Z", counterpart="@Bob", is_sales=True),
        ev("x", "post", "2026-11-05T10:00:00Z"),
        ev("x", "share", "2026-11-06T10:00:00Z"),
        *[
            ev("x", kind, f"2026-11-07T1{i}:00:00Z", counterpart="dave")
            for i, kind in enumerate(["comment"] * 4 + ["wall_post"] * 3 + ["direct_message"] * 3)
        ],
        ev("x", "direct_message", "2026-11-10T10:00:00Z", counterpart="dave", is_sales=True),
        ev("x", "reply", "2026-11-11T10:00:00Z", counterpart="erin"),
        ev("x", "reply", "2026-11-11T11:00:00Z", counterpart="erin"),
        ev("x", "reply", "2026-10-22T00:00:00Z", counterpart="erin"),  # first instant of the window
        ev("linkedin", "comment", "2026-11-12T10:00:00Z", counterpart="bob", is_sales=True),
        ev(
            "linkedin", "direct_message", "2026-11-13T10:00:00Z", counterpart="carol", is_sales=True
        ),
        *[
            ev("linkedin", "comment", f"2026-11-14T1{i}:00:00Z", counterpart="carol")
            for i in range(5)
        ],
        ev("x", "reply", "2026-11-20T12:00:00Z", counterpart="erin"),  # exactly as_of: in
    ]
    noise = [
        *[
            ev("x", "like", f"2026-11-15T1{i}:00:00Z", counterpart="bob") for i in range(5)
        ],  # not contacts
        *[
            ev("linkedin", "follow", f"2026-11-15T1{i}:00:00Z", counterpart="carol")
            for i in range(3)
        ],
        *[
            ev("x", "reply", f"2026-11-16T1{i}:00:00Z", counterpart="bob", direction="inbound")
            for i in range(4)
        ],
        ev(
            "x",
            "direct_message",
            "2026-11-16T15:00:00Z",
            counterpart="bob",
            direction="inbound",
            is_sales=True,
        ),
        ev("x", "reply", "2026-10-21T23:59:59Z", counterpart="erin"),  # before the window
        ev("x", "direct_message", "2026-10-21T23:59:59Z", counterpart="erin", is_sales=True),
        ev(
            "x", "direct_message", "2026-11-20T12:00:01Z", counterpart="bob", is_sales=True
        ),  # after as_of
    ]
    return in_window + noise


AS_OF = "2026-11-20T12:00:00Z"  # window: 2026-10-22T00:00Z .. as_of


def test_overall_platform_and_counterpart_numbers(client, user):
    uid = user["id"]
    record(client, uid, contacts_fixture())
    r = get(client, uid, "sales-ratio", as_of=AS_OF)
    assert (r["as_of"], r["window_days"], r["platform"]) == (AS_OF, 30, None)
    # non-sales: x 3 (bob) + 2 + 10 (dave) + 4 (erin) = 19, linkedin 5 -> 24; sales: x 2 + linkedin 2 = 4
    # ratio 24 / 4 = 6.0; compliant 24 >= 10 × 4 = 40? no
    # allowed max(0, floor(24 / 10) - 4) = 0; needed max(0, 10 × 5 - 24) = 26
    assert figures(r) == (24, 4, 6.0, 10.0, False, 0, 26)
    assert [p["platform"] for p in r["by_platform"]] == ["x", "linkedin"]
    # x: 19 / 2 = 9.5; 19 >= 20? no; floor(1.9) - 2 < 0 -> 0; 10 × 3 - 19 = 11
    assert figures(r["by_platform"][0]) == (19, 2, 9.5, 10.0, False, 0, 11)
    # linkedin: 5 / 2 = 2.5; 5 >= 20? no; 0; 10 × 3 - 5 = 25
    assert figures(r["by_platform"][1]) == (5, 2, 2.5, 10.0, False, 0, 25)
    # bob 3 / 2 = 1.5 (needed 30 - 3 = 27), carol 5 / 1 = 5.0 (needed 20 - 5 = 15);
    # dave 10 / 1 is compliant; erin has no sales in the window
    assert [(c["counterpart"], *figures(c)) for c in r["by_counterpart"]] == [
        ("bob", 3, 2, 1.5, 10.0, False, 0, 27),
        ("carol", 5, 1, 5.0, 10.0, False, 0, 15),
    ]

    li = get(client, uid, "sales-ratio", as_of=AS_OF, platform="linkedin")
    assert li["platform"] == "linkedin"
    assert figures(li) == (5, 2, 2.5, 10.0, False, 0, 25)
    assert [p["platform"] for p in li["by_platform"]] == ["linkedin"]
    # on linkedin bob has 0 non-sales and 1 sales: ratio 0.0, needed 10 × 2 - 0 = 20
    assert [(c["counterpart"], *figures(c)) for c in li["by_counterpart"]] == [
        ("bob", 0, 1, 0.0, 10.0, False, 0, 20),
        ("carol", 5, 1, 5.0, 10.0, False, 0, 15),
    ]

    fb = get(client, uid, "sales-ratio", as_of=AS_OF, platform="facebook")
    # nothing: ratio null, 0 >= 0 is compliant, floor(0) - 0 = 0, 10 × 1 - 0 = 10
    assert figures(fb) == (0, 0, None, 10.0, True, 0, 10)
    assert fb["by_platform"] == [] and fb["by_counterpart"] == []


def test_patched_required_ratio_of_two_and_a_half(client, user):
    uid = user["id"]
    record(client, uid, contacts_fixture())
    r = client.patch(f"/v1/users/{uid}", json={"settings": {"sales_ratio": 2.5}})
    assert r.status_code == 200 and r.json()["settings"]["sales_ratio"] == 2.5

    r = get(client, uid, "sales-ratio", as_of=AS_OF)
    # 24 >= 2.5 × 4 = 10: compliant; allowed floor(24 / 2.5 = 9.6) - 4 = 5;
    # needed max(0, 2.5 × 5 - 24 = -11.5) = 0
    assert figures(r) == (24, 4, 6.0, 2.5, True, 5, 0)
    # x: 19 >= 5; floor(7.6) - 2 = 5; 7.5 - 19 < 0 -> 0
    assert figures(r["by_platform"][0]) == (19, 2, 9.5, 2.5, True, 5, 0)
    # linkedin: 5 >= 5 (exactly); floor(2) - 2 = 0; 2.5 × 3 - 5 = 2.5 -> 3 whole contacts
    assert figures(r["by_platform"][1]) == (5, 2, 2.5, 2.5, True, 0, 3)
    # bob: 3 >= 5? no; floor(1.2) - 2 < 0 -> 0; 2.5 × 3 - 3 = 4.5 -> 5. carol 5 >= 2.5: compliant
    assert [(c["counterpart"], *figures(c)) for c in r["by_counterpart"]] == [
        ("bob", 3, 2, 1.5, 2.5, False, 0, 5)
    ]


def test_window_days_use_local_midnight(client):
    uid = make_user(client, "Europe/Berlin")  # UTC+1 in November
    record(
        client,
        uid,
        [
            ev(
                "x", "direct_message", "2026-11-13T22:59:59Z", counterpart="zoe", is_sales=True
            ),  # 11-13 23:59:59 local
            ev("x", "reply", "2026-11-13T23:00:00Z", counterpart="zoe"),  # 11-14 00:00 local
            ev("x", "reply", "2026-11-20T11:00:00Z", counterpart="zoe"),  # = as_of
        ],
    )
    as_of = "2026-11-20T12:00:00+01:00"
    # window_days=7: 11-14 .. 11-20 local, from 2026-11-13T23:00Z: the sale is out
    r = get(client, uid, "sales-ratio", as_of=as_of, window_days=7)
    assert r["as_of"] == "2026-11-20T11:00:00Z"
    # 2 non-sales, 0 sales: ratio null; compliant; floor(2 / 10) - 0 = 0; 10 × 1 - 2 = 8
    assert figures(r) == (2, 0, None, 10.0, True, 0, 8)
    assert r["by_counterpart"] == []
    # window_days=8 starts at 11-13 00:00 local: the sale is in
    r = get(client, uid, "sales-ratio", as_of=as_of, window_days=8)
    # 2 / 1 = 2.0; 2 >= 10? no; 0; 10 × 2 - 2 = 18
    assert figures(r) == (2, 1, 2.0, 10.0, False, 0, 18)
    assert [c["counterpart"] for c in r["by_counterpart"]] == ["zoe"]


def test_validation(client, user):
    base = f"/v1/users/{user['id']}/sales-ratio"
    for params in (
        {"window_days": 0},
        {"window_days": 3651},
        {"platform": "tiktok"},
        {"as_of": "2026-11-20T12:00:00"},
    ):
        r = client.get(base, params=params)
        assert r.status_code == 422, (params, r.text)
    assert "UTC offset" in r.json()["detail"]
