"""GET /users/{id}/report (SPEC §6.8) on a hand-computed week, as JSON and as HTML."""

from datetime import date, datetime, timedelta

from tests.knowledge import report_week as W
from tests.knowledge.helpers import add_events, ev, make_user, problem, put


def report(client, uid, **params):
    r = client.get(f"/v1/users/{uid}/report", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    return r.json()


def test_every_number_of_a_known_week(client):
    uid = W.seed(client)
    body = report(client, uid, week="2026-W45")
    actions = body.pop("next_actions")
    profile = body.pop("profile")
    assert body == {
        "user_id": uid,
        "timezone": "Europe/Berlin",
        "week": "2026-W45",
        "first_day": "2026-11-02",
        "last_day": "2026-11-08",
        "as_of": W.AS_OF,
        "complete": True,
        "days_covered": 7,
        "follows": W.FOLLOWS,
        "posting": W.POSTING,
        "engagement": W.ENGAGEMENT,
        "sales_ratio": W.SALES_RATIO,
        "relationships": W.RELATIONSHIPS,
    }
    assert [(a["code"], a["platform"], a["count"]) for a in actions] == W.NEXT_ACTIONS
    texts = {a["code"]: a["text"] for a in actions}
    assert texts["helpful_contacts"].startswith(
        "send 9 more helpful contacts before the next sales"
    )
    assert texts["post_missed"] == "post on linkedin every day: 3 days missed this week"
    assert "1 day over the limit" in texts["follow_slower"]
    assert "9 of 10" in texts["follow_shortfall"]

    assert (profile["complete"], profile["finding_count"]) == (False, 2)
    x, linkedin = profile["platforms"]
    assert (x["platform"], x["bio_length"], x["bio_max_length"]) == ("x", 161, 160)
    assert [f["code"] for f in x["findings"]] == ["bio_too_long"]
    assert (linkedin["platform"], linkedin["has_profile"]) == ("linkedin", False)
    assert [f["code"] for f in linkedin["findings"]] == ["missing_profile"]


def test_the_report_agrees_with_the_insight_endpoints(client):
    uid = W.seed(client)
    body = report(client, uid, week="2026-W45")
    pacing = client.get(
        f"/v1/users/{uid}/pacing", params={"platform": "x", "as_of": W.AS_OF}
    ).json()
    assert pacing["follows_this_week"] == body["follows"][0]["follows"]
    assert [(d["date"], d["quota"], d["follows"]) for d in pacing["days"]] == [
        (d["date"], d["quota"], d["follows"]) for d in body["follows"][0]["days"]
    ]
    ratio = client.get(f"/v1/users/{uid}/sales-ratio", params={"as_of": W.AS_OF, "window_days": 7})
    assert ratio.json() == body["sales_ratio"]


def test_html_report_shows_the_figures(client):
    uid = W.seed(client)
    r = client.get(
        f"/v1/users/{uid}/report",
        params={"week": "2026-W45"},
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()
    for fragment in (  # tests/knowledge/test_report_page.py checks the page in detail
        "Your week, Ada",
        "Monday 2 November 2026 to Sunday 8 November 2026",
        "Europe/Berlin",
        "as of Sunday 8 November, 23:59",
        "<b>9 of 10</b>people followed",
        "Over the limit on 1 day.",
        "7 posts on 4 days; 3 days missed; 1 day over the maximum of 2",
        "6 interactions (replies, comments, messages) and 7 broadcasts",
        "46% interaction",
        "Good balance: 11 to 1",
        "<td>erin</td>",
        "Send 9 more helpful contacts",
        "over X&#x27;s limit of 160: cut 1.",
    ):
        assert fragment in page, fragment
    assert page.count("<svg") == 4  # follows on x, posts on linkedin, engagement, sales
    assert "<title>Tue 3: 4 follows, quota 2, over the limit</title>" in page
    assert "quota 2" in page


def test_html_escapes_user_provided_strings(client):
    uid = make_user(client, "<b>Eve</b>", "UTC")
    put(
        client,
        uid,
        "/profiles/x",
        {"handle": "<script>alert('h')</script>", "bio": "<script>alert('b')</script>"},
    )
    add_events(
        client,
        uid,
        [
            ev(
                "x",
                "direct_message",
                "2026-11-03T10:00:00Z",
                "<script>alert('c')</script>",
                is_sales=True,
            )
        ],
    )
    page = client.get(
        f"/v1/users/{uid}/report", params={"week": "2026-W45"}, headers={"Accept": "text/html"}
    ).text
    assert "<script" not in page.lower() and "<b>Eve" not in page
    assert "&lt;script&gt;alert(&#x27;h&#x27;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#x27;c&#x27;)&lt;/script&gt;" in page
    assert "&lt;b&gt;Eve&lt;/b&gt;" in page


def test_default_is_the_current_week_in_progress(client):
    uid = make_user(client, "Ada", "UTC")
    put(client, uid, "/follow-plans/x", {"weekly_target": 7, "daily_cap": 100})
    put(client, uid, "/posting-plans/x", {"min_posts_per_day": 1})
    body = report(client, uid)
    today = datetime.fromisoformat(body["as_of"]).date()
    iso = today.isocalendar()
    assert body["week"] == f"{iso.year}-W{iso.week:02d}" and body["complete"] is False
    assert body["first_day"] == (today - timedelta(days=today.weekday())).isoformat()
    assert body["days_covered"] == today.weekday() + 1
    follows, posting = body["follows"][0], body["posting"][0]
    assert follows["follows"] == 0 and follows["remaining_today"] >= 1
    assert posting["missed_days"] == today.weekday()
    got = {a["code"]: a["count"] for a in body["next_actions"]}
    assert got["follow_more"] == follows["remaining_today"]
    assert got["post_today"] == 1
    assert got["missing_profile"] is None
    assert got.get("post_missed") == (today.weekday() or None)


def test_bad_and_future_weeks(client):
    uid = make_user(client)
    for week in ("2026-48", "2026-W54", "2025-W53", "W45", "2026-W00", "1969-W05"):
        body = problem(client.get(f"/v1/users/{uid}/report", params={"week": week}), 422)
        assert body["code"] == "invalid_week" and body["errors"][0]["parameter"] == "week", body
    assert (
        "2026-W48"
        in problem(client.get(f"/v1/users/{uid}/report", params={"week": "x"}), 422)["detail"]
    )
    next_year = date.today().year + 2
    body = problem(
        client.get(f"/v1/users/{uid}/report", params={"week": f"{next_year}-W10"}),
        422,
        "week_not_started",
    )
    assert f"{next_year}-W10" in body["detail"]


def test_other_workspace_gets_404(client, other_client):
    uid = make_user(client)
    problem(other_client.get(f"/v1/users/{uid}/report"), 404, "not_found")
    problem(
        other_client.get(f"/v1/users/{uid}/report", headers={"Accept": "text/html"}),
        404,
        "not_found",
    )


def test_a_week_in_progress_at_as_of(client):
    # Thursday 2026-11-05 13:00 in Berlin: Mon–Thu count, later events do not.
    uid = W.seed(client)
    body = report(client, uid, as_of="2026-11-05T12:00:00Z")
    assert (body["week"], body["as_of"], body["complete"], body["days_covered"]) == (
        "2026-W45",
        "2026-11-05T12:00:00Z",
        False,
        4,
    )
    x = body["follows"][0]
    assert (
        x["follows"],
        x["remaining_to_target"],
        x["over_limit_days"],
        x["status"],
        x["remaining_today"],
    ) == (8, 2, 1, "on_track", 0)
    assert [d["follows"] for d in x["days"]] == [2, 4, 0, 2, 0, 0, 0]
    li = body["posting"][0]
    assert (li["posts"], li["days_posted"], li["missed_days"], li["over_posting_days"]) == (
        5,
        3,
        1,
        1,
    )
    assert [d["flags"] for d in li["days"]] == [[], ["over_posting"], ["no_post"], [], [], [], []]
    g = body["engagement"]
    assert (
        g["window_days"],
        g["broadcasts"],
        g["interactions"],
        g["inbound"],
        g["people_engaged"],
        g["interaction_share"],
        g["flags"],
    ) == (4, 5, 4, 1, 2, 4 / 9, ["broadcast_heavy"])
    s = body["sales_ratio"]
    assert (
        s["non_sales"],
        s["sales"],
        s["compliant"],
        s["sales_allowed_now"],
        s["non_sales_needed"],
    ) == (7, 1, False, 0, 13)
    assert body["relationships"] == {"know": 2, "like": 2, "trust": 0, "stale": 1, "total": 4}
    assert [(a["code"], a["platform"], a["count"]) for a in body["next_actions"]] == [
        ("follow_slower", "x", 1),
        ("post_less", "linkedin", 1),
        ("helpful_contacts", None, 13),
        ("bio_too_long", "x", 1),
        ("missing_profile", "linkedin", None),
        ("post_missed", "linkedin", 1),
        ("interact_more", None, 1),
        ("reconnect", None, 1),
    ]
    # A week that has not begun by as_of is refused.
    problem(
        client.get(
            f"/v1/users/{uid}/report", params={"week": "2026-W46", "as_of": "2026-11-05T12:00:00Z"}
        ),
        422,
        "week_not_started",
    )
