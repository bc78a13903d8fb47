"""/mcp with the official SDK client against a real `rapport serve`: the tool list and
schemas, every tool answering as its HTTP endpoint does at the same instant, tenancy,
keys, and bad arguments as tool errors with codes."""

import uuid

import httpx
import httpx2
import pytest
from mcp.shared.exceptions import MCPError

from tests.mcp.conftest import (
    http_session,
    make_user,
    put_follow_plan,
    run,
    structured,
    tool_error,
    without_request_id,
)
from tests.support.processes import TEST_KEY

TOOL_NAMES = [
    "find_user",
    "may_i_follow",
    "may_i_post",
    "may_i_pitch",
    "record_activity",
    "plan_today",
    "weekly_report",
    "contacts_to_reach",
]
AT = "2026-11-25T10:00:00Z"  # a Wednesday


def test_lists_the_eight_tools_with_schemas(deployment):
    async def script():
        async with http_session(deployment) as mcp:
            return (await mcp.list_tools()).tools

    tools = run(script)
    assert [t.name for t in tools] == TOOL_NAMES
    for tool in tools:
        assert len(tool.description) > 150, tool.name  # says when to call it and what it means
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema.get("additionalProperties") is False, tool.name
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
        assert tool.annotations.read_only_hint is (tool.name != "record_activity")
    by_name = {t.name: t for t in tools}
    follow = by_name["may_i_follow"].input_schema
    assert follow["required"] == ["user_id", "platform"]
    assert set(follow["properties"]) == {"user_id", "platform", "count", "at"}
    assert by_name["record_activity"].input_schema["properties"]["events"]["maxItems"] == 100
    assert set(by_name["may_i_follow"].output_schema["properties"]) == {
        "allowed",
        "at",
        "reasons",
        "next_allowed_at",
    }


def test_every_tool_answers_as_its_endpoint(deployment):
    api = deployment.api()
    user = make_user(api)
    uid = user["id"]
    put_follow_plan(api, uid, "x")
    events = [
        {
            "platform": "x",
            "kind": "follow",
            "occurred_at": f"2026-11-25T09:{m:02d}:00Z",
            "counterpart": f"p{m}",
            "external_id": f"follow-{m}",
        }
        for m in range(0, 30)
    ] + [
        {
            "platform": "x",
            "kind": "post",
            "occurred_at": "2026-11-25T09:30:00Z",
            "external_id": "post-1",
            "text": "hello",
        },
        {
            "platform": "x",
            "kind": "reply",
            "occurred_at": "2026-11-25T09:40:00Z",
            "counterpart": "@Grace",
            "is_sales": True,
            "external_id": "pitch-1",
        },
    ]

    async def script():
        async with http_session(deployment) as mcp:
            out = {}
            out["record"] = await mcp.call_tool(
                "record_activity", {"user_id": uid, "events": events}
            )
            out["again"] = await mcp.call_tool(
                "record_activity", {"user_id": uid, "events": events[:3]}
            )
            out["find"] = await mcp.call_tool("find_user", {"external_id": user["external_id"]})
            out["follow"] = await mcp.call_tool(
                "may_i_follow", {"user_id": uid, "platform": "x", "count": 3, "at": AT}
            )
            out["post"] = await mcp.call_tool(
                "may_i_post", {"user_id": uid, "platform": "x", "text": "é" * 281, "at": AT}
            )
            out["pitch"] = await mcp.call_tool(
                "may_i_pitch", {"user_id": uid, "counterpart": "@grace", "at": AT}
            )
            out["report"] = await mcp.call_tool(
                "weekly_report", {"user_id": uid, "week": "2026-W48", "as_of": AT}
            )
            return out

    out = run(script)
    recorded = structured(out["record"])
    assert (recorded["created"], recorded["duplicates"]) == (len(events), 0)
    again = structured(out["again"])
    assert again == {"created": 0, "duplicates": 3, "ids": recorded["ids"][:3]}
    listed = api.get(f"/v1/users/{uid}/events", params={"limit": 100}).json()["items"]
    assert sorted(e["id"] for e in listed) == sorted(recorded["ids"])

    assert structured(out["find"]) == {
        "users": [{k: user[k] for k in ("id", "name", "timezone", "external_id")}]
    }

    def check(body):
        r = api.post(f"/v1/users/{uid}/checks", json={**body, "at": AT})
        assert r.status_code == 200, r.text
        return r.json()

    follow = structured(out["follow"])
    assert follow == check({"action": "follow", "platform": "x", "count": 3})
    assert follow["allowed"] is False and "burst_limit" in [r["code"] for r in follow["reasons"]]
    assert out["follow"].content[0].text.startswith("Not now: ")
    assert "next at " in out["follow"].content[0].text

    post = structured(out["post"])
    assert post == check({"action": "post", "platform": "x", "text": "é" * 281})
    assert "text_too_long" in [r["code"] for r in post["reasons"]]

    pitch = structured(out["pitch"])
    assert pitch == check({"action": "sales_contact", "platform": "x", "counterpart": "@grace"})
    assert pitch["allowed"] is False and out["pitch"].content[0].text.startswith("No: ")

    report = api.get(f"/v1/users/{uid}/report", params={"week": "2026-W48", "as_of": AT})
    assert structured(out["report"]) == report.json()
    assert out["report"].content[0].text.startswith("Week 2026-W48 ")


def test_an_allowed_check_says_yes(deployment):
    api = deployment.api()
    uid = make_user(api)["id"]

    async def script():
        async with http_session(deployment) as mcp:
            return await mcp.call_tool("may_i_follow", {"user_id": uid, "platform": "x", "at": AT})

    result = run(script)
    assert structured(result)["allowed"] is True  # no plan: the preset caps apply
    assert result.content[0].text == "Yes: 1 follow on x is allowed now (2026-11-25T10:00Z)."


def test_record_activity_is_atomic_and_refuses_conflicts(deployment):
    api = deployment.api()
    uid = make_user(api)["id"]
    good = {"platform": "x", "kind": "follow", "occurred_at": AT, "external_id": "e-1"}
    bad = {"platform": "x", "kind": "follow", "occurred_at": "2026-11-25T10:00:00"}

    async def script():
        async with http_session(deployment) as mcp:
            refused = await mcp.call_tool(
                "record_activity", {"user_id": uid, "events": [good, bad]}
            )
            stored = await mcp.call_tool("record_activity", {"user_id": uid, "events": [good]})
            conflict = await mcp.call_tool(
                "record_activity",
                {"user_id": uid, "events": [{**good, "counterpart": "someone-else"}]},
            )
            too_many = await mcp.call_tool(
                "record_activity",
                {"user_id": uid, "events": [{**good, "external_id": f"n{i}"} for i in range(101)]},
            )
            return refused, stored, conflict, too_many

    refused, stored, conflict, too_many = run(script)
    problem = tool_error(refused)
    assert problem["code"] == "validation_error" and problem["status"] == 422
    assert problem["errors"] == [
        {
            "pointer": "#/events/1/occurred_at",
            "detail": "occurred_at must include a UTC offset, e.g. 2026-11-27T09:30:00Z",
        }
    ]
    assert structured(stored)["created"] == 1  # the refused batch wrote nothing
    assert tool_error(conflict)["code"] == "external_id_conflict"
    assert tool_error(too_many)["code"] == "validation_error"
    assert api.get(f"/v1/users/{uid}/events").json()["items"][0]["counterpart"] is None
    assert len(api.get(f"/v1/users/{uid}/events").json()["items"]) == 1


@pytest.mark.parametrize(
    ("arguments", "pointer", "detail"),
    [
        (
            {"platform": "x", "at": "2026-11-25T10:00:00"},
            "#/at",
            "at must include a UTC offset, e.g. 2026-11-27T09:30:00Z",
        ),
        ({"platform": "myspace"}, "#/platform", None),
        ({"platform": "x", "count": 0}, "#/count", None),
        ({"platform": "x", "colour": "red"}, "#/colour", "colour is not a known field; remove it"),
    ],
)
def test_bad_arguments_are_tool_errors_with_codes(deployment, arguments, pointer, detail):
    uid = make_user(deployment.api())["id"]

    async def script():
        async with http_session(deployment) as mcp:
            return await mcp.call_tool("may_i_follow", {"user_id": uid, **arguments})

    problem = tool_error(run(script))
    assert problem["code"] == "validation_error"
    assert [e["pointer"] for e in problem["errors"]] == [pointer]
    if detail is not None:
        assert problem["errors"][0]["detail"] == detail


def test_another_workspaces_user_is_not_found(deployment):
    user = make_user(deployment.api())
    other_key = deployment.workspace_key(f"globex-{uuid.uuid4().hex[:8]}")

    async def script():
        async with http_session(deployment, other_key) as mcp:
            found = await mcp.call_tool("find_user", {"external_id": user["external_id"]})
            check = await mcp.call_tool("may_i_follow", {"user_id": user["id"], "platform": "x"})
            missing = await mcp.call_tool(
                "may_i_follow", {"user_id": str(uuid.uuid4()), "platform": "x"}
            )
            return found, check, missing

    found, check, missing = run(script)
    assert structured(found) == {"users": []}
    assert without_request_id(tool_error(check)) == without_request_id(tool_error(missing))
    assert tool_error(check)["code"] == "not_found"
    http = deployment.api(other_key).get(f"/v1/users/{user['id']}")
    assert http.status_code == 404


def test_a_revoked_key_is_refused_before_mcp_runs(deployment):
    api = deployment.api()
    created = api.post("/v1/api-keys", json={"name": "agent"}).json()
    key = created["key"]

    async def script():
        async with http_session(deployment, key) as mcp:
            return await mcp.call_tool("find_user", {"name": "Ada"})

    assert not run(script).is_error
    assert api.delete(f"/v1/api-keys/{created['id']}").status_code == 204

    with pytest.raises(BaseException) as caught:
        run(script)
    errors = [caught.value]
    while errors and not isinstance(errors[0], MCPError):  # through task groups
        errors = [*getattr(errors[0], "exceptions", ()), *errors[1:]]
    assert errors, caught.value
    assert errors[0].error.data["code"] == "unauthorized"

    r = httpx.post(
        deployment.mcp_url,
        headers={"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    )
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["error"]["data"]["code"] == "unauthorized"
    assert httpx.post(deployment.mcp_url, json={}).status_code == 401  # no key at all


def test_a_client_of_the_sessionless_revision_is_served_too(deployment):
    """The SDK's high-level Client on the 2026-07-28 revision (no initialize, no session):
    another path through the transport, with the same key and answers."""
    from mcp.client import Client
    from mcp.client.streamable_http import streamable_http_client

    uid = make_user(deployment.api())["id"]

    async def script():
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {TEST_KEY}"}) as http,
            Client(
                streamable_http_client(deployment.mcp_url, http_client=http), mode="2026-07-28"
            ) as client,
        ):
            tools = [t.name for t in (await client.list_tools()).tools]
            return tools, await client.call_tool(
                "may_i_follow", {"user_id": uid, "platform": "x", "at": AT}
            )

    tools, result = run(script)
    assert tools == TOOL_NAMES
    http = deployment.api().post(
        f"/v1/users/{uid}/checks", json={"action": "follow", "platform": "x", "at": AT}
    )
    assert structured(result) == http.json()
