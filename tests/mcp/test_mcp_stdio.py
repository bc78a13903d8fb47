"""`rapport mcp` over stdio with the official SDK client: the same tools and answers as
/mcp and the HTTP endpoints, the key from RAPPORT_API_KEY, refused when it is wrong at
start or revoked while the agent runs."""

import os
import subprocess

from tests.mcp.conftest import (
    http_session,
    make_user,
    put_follow_plan,
    run,
    stdio_session,
    structured,
    tool_error,
)
from tests.support.processes import RAPPORT

AT = "2026-11-25T10:00:00Z"


def test_stdio_serves_the_same_tools_and_answers(deployment):
    api = deployment.api()
    user = make_user(api)
    uid = user["id"]
    put_follow_plan(api, uid, "x")
    follow = {"user_id": uid, "platform": "x", "count": 2, "at": AT}
    event = {"platform": "x", "kind": "follow", "occurred_at": AT, "external_id": "s-1"}

    async def over(session_of):
        async with session_of(deployment) as mcp:
            tools = [
                (t.name, t.input_schema, t.output_schema) for t in (await mcp.list_tools()).tools
            ]
            recorded = await mcp.call_tool("record_activity", {"user_id": uid, "events": [event]})
            found = await mcp.call_tool("find_user", {"external_id": user["external_id"]})
            check = await mcp.call_tool("may_i_follow", follow)
            report = await mcp.call_tool("weekly_report", {"user_id": uid, "as_of": AT})
            return tools, recorded, found, check, report

    s_tools, s_recorded, s_found, s_check, s_report = run(lambda: over(stdio_session))
    h_tools, h_recorded, h_found, h_check, h_report = run(lambda: over(http_session))
    assert s_tools == h_tools
    assert structured(s_recorded)["created"] == 1
    assert structured(h_recorded) == {**structured(s_recorded), "created": 0, "duplicates": 1}
    assert structured(s_found) == structured(h_found)
    assert structured(s_check) == structured(h_check)
    http_check = api.post(
        f"/v1/users/{uid}/checks", json={"action": "follow", "platform": "x", "count": 2, "at": AT}
    ).json()
    assert structured(s_check) == http_check
    assert s_check.content[0].text == h_check.content[0].text
    assert structured(s_report) == api.get(f"/v1/users/{uid}/report", params={"as_of": AT}).json()
    assert structured(s_report) == structured(h_report)


def test_a_key_revoked_while_the_agent_runs_is_a_tool_error(deployment):
    api = deployment.api()
    uid = make_user(api)["id"]
    created = api.post("/v1/api-keys", json={"name": "local agent"}).json()

    async def script():
        async with stdio_session(deployment, created["key"]) as mcp:
            before = await mcp.call_tool("may_i_post", {"user_id": uid, "platform": "x"})
            assert api.delete(f"/v1/api-keys/{created['id']}").status_code == 204
            after = await mcp.call_tool("may_i_post", {"user_id": uid, "platform": "x"})
            return before, after

    before, after = run(script)
    assert structured(before)["allowed"] is True
    problem = tool_error(after)
    assert (problem["code"], problem["status"]) == ("unauthorized", 401)


def test_a_wrong_key_stops_rapport_mcp_at_start(deployment):
    env = {**os.environ, "RAPPORT_DATABASE_URL": deployment.database_url}
    for key in ("", "rpk_notAKeyOfThisDatabase0123456789"):
        done = subprocess.run(
            [RAPPORT, "mcp"],
            env={**env, "RAPPORT_API_KEY": key},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1
        assert done.stdout == ""  # stdout is the protocol's alone
        assert "RAPPORT_API_KEY" in done.stderr.splitlines()[-1]
