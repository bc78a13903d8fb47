"""The scripted agent of issue 18 (no model): ask may_i_follow, follow (record it) when
allowed, until refused; then wait on a simulated clock (`at`) until next_allowed_at and
succeed there. Whatever it does, it never exceeds a limit: pacing at the end agrees."""

from datetime import UTC, datetime, timedelta

from tests.mcp.conftest import http_session, make_user, put_follow_plan, run, structured

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday
BURST_LIMIT, BURST_WINDOW = 5, timedelta(minutes=30)
DAILY_CAP = 12


def z(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def test_the_agent_waits_when_refused_and_never_exceeds_a_limit(deployment):
    api = deployment.api()
    uid = make_user(api)["id"]
    put_follow_plan(
        api,
        uid,
        "x",
        weekly_target=70,
        daily_cap=DAILY_CAP,
        burst_limit=BURST_LIMIT,
        burst_window_minutes=30,
    )

    async def agent():
        followed: list[datetime] = []
        refusals = []
        now = START
        async with http_session(deployment) as mcp:
            while len(refusals) < 4:
                answer = structured(
                    await mcp.call_tool(
                        "may_i_follow", {"user_id": uid, "platform": "x", "at": z(now)}
                    )
                )
                if answer["allowed"]:
                    n = len(followed)
                    structured(
                        await mcp.call_tool(
                            "record_activity",
                            {
                                "user_id": uid,
                                "events": [
                                    {
                                        "platform": "x",
                                        "kind": "follow",
                                        "occurred_at": z(now),
                                        "counterpart": f"person{n}",
                                        "external_id": f"loop-{n}",
                                    }
                                ],
                            },
                        )
                    )
                    followed.append(now)
                    now += timedelta(minutes=1)
                    continue
                refusals.append(answer)
                if answer["next_allowed_at"] is None:
                    break
                waited = datetime.fromisoformat(answer["next_allowed_at"])
                assert waited > now
                now = waited  # the simulated clock: wait, then ask again
        return followed, refusals, now

    followed, refusals, _end = run(agent)
    codes = [[r["code"] for r in refusal["reasons"]] for refusal in refusals]
    # refused at each burst, then allowed exactly at next_allowed_at: wait, then succeed
    assert [datetime.fromisoformat(r["next_allowed_at"]) in followed for r in refusals[:3]] == [
        True,
        True,
        True,
    ]
    assert codes[0] == ["burst_limit"]  # after BURST_LIMIT follows in a row
    assert len(followed) >= BURST_LIMIT + 1  # it waited, then followed again
    assert any("daily_cap" in c for c in codes)  # and stopped at the day's cap

    # Never over a limit: no burst window holds more than BURST_LIMIT follows, the day no
    # more than DAILY_CAP, and pacing at the end agrees.
    for t in followed:
        assert sum(1 for u in followed if t - BURST_WINDOW < u <= t) <= BURST_LIMIT
    assert sum(1 for t in followed if t.date() == START.date()) <= DAILY_CAP
    pacing = api.get(
        f"/v1/users/{uid}/pacing", params={"platform": "x", "as_of": z(START.replace(hour=23))}
    ).json()
    assert pacing["follows_today"] == sum(1 for t in followed if t.date() == START.date())
    assert pacing["peak_burst_today"] <= BURST_LIMIT
    assert pacing["follows_today"] <= pacing["effective_daily_cap"]
