"""plan_today and contacts_to_reach against GET /v1/users/{id}/today at the same as_of:
the same services (app.today, app.contacts.reach), the same answers."""

from tests.mcp.conftest import (
    http_session,
    make_user,
    put_follow_plan,
    run,
    structured,
    tool_error,
)

AS_OF = "2026-11-25T10:00:00Z"


def _events() -> list[dict]:
    return [
        {"platform": "x", "kind": "direct_message", "direction": "inbound",
         "occurred_at": "2026-11-23T08:00:00Z", "counterpart": "@grace", "external_id": "dm-1"},
        {"platform": "x", "kind": "reply", "occurred_at": "2026-09-01T08:00:00Z",
         "counterpart": "@bob", "external_id": "old-1"},
        {"platform": "x", "kind": "follow", "occurred_at": "2026-11-25T09:00:00Z",
         "counterpart": "@carol", "external_id": "f-1"},
    ]  # fmt: skip


def test_plan_today_is_the_today_document(deployment):
    api = deployment.api()
    uid = make_user(api)["id"]
    put_follow_plan(api, uid, "x")

    async def script():
        async with http_session(deployment) as mcp:
            structured(
                await mcp.call_tool("record_activity", {"user_id": uid, "events": _events()})
            )
            return await mcp.call_tool("plan_today", {"user_id": uid, "as_of": AS_OF})

    plan = run(script)
    http = api.get(f"/v1/users/{uid}/today", params={"as_of": AS_OF})
    assert http.status_code == 200, http.text
    assert structured(plan) == http.json()
    assert plan.content[0].text  # one sentence first


def test_contacts_to_reach_are_todays_lists(deployment):
    api = deployment.api()
    uid = make_user(api)["id"]

    async def script():
        async with http_session(deployment) as mcp:
            structured(
                await mcp.call_tool("record_activity", {"user_id": uid, "events": _events()})
            )
            return await mcp.call_tool("contacts_to_reach", {"user_id": uid, "as_of": AS_OF})

    reach = structured(run(script))
    today = api.get(f"/v1/users/{uid}/today", params={"as_of": AS_OF}).json()["contacts"]
    for name in ("get_back_to", "keep_in_touch"):
        assert [(c["contact_id"], c["name"], c["handles"]) for c in reach[name]] == [
            (c["contact_id"], c["name"], c["handles"]) for c in today[name]
        ]
    assert [c["handles"] for c in reach["get_back_to"]] == [["grace"]]
    assert reach["get_back_to"][0]["unanswered"] == 1
    assert ["bob"] in [c["handles"] for c in reach["keep_in_touch"]]


def test_today_tools_answer_not_found_across_workspaces(deployment):
    uid = make_user(deployment.api())["id"]
    other = deployment.workspace_key("initech")

    async def script():
        async with http_session(deployment, other) as mcp:
            return [
                await mcp.call_tool(name, {"user_id": uid, "as_of": AS_OF})
                for name in ("plan_today", "contacts_to_reach")
            ]

    assert [tool_error(r)["code"] for r in run(script)] == ["not_found", "not_found"]
