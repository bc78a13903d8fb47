"""Scopes: record_activity needs `write`, the other tools `read` (app/auth/scopes.py).

Checked with a real read-only key (POST /v1/api-keys with scopes), and through the tool
host itself, on the real database of the running server, with the key's scopes replaced."""

import anyio

from app.core.config import Settings
from app.core.db import Database
from app.mcp import calls
from app.mcp.calls import ToolHost
from app.mcp.tools import FIND_USER, RECORD_ACTIVITY
from tests.mcp.conftest import http_session, make_user, run, structured, tool_error
from tests.support.processes import TEST_KEY

EVENT = {"platform": "x", "kind": "follow", "occurred_at": "2026-11-25T10:00:00Z"}


def test_a_read_key_may_read_but_not_record(deployment, monkeypatch):
    uid = make_user(deployment.api())["id"]
    db = Database(deployment.database_url, Settings(database_url=deployment.database_url))
    host = ToolHost(db, key_touch_interval_s=60)
    monkeypatch.setattr(calls, "key_scopes", lambda _key: ["read"])
    bearer = f"Bearer {TEST_KEY}"
    try:
        refused = anyio.run(RECORD_ACTIVITY.call, host, bearer, {"user_id": uid, "events": [EVENT]})
        found = anyio.run(FIND_USER.call, host, bearer, {"name": "Ada"})
    finally:
        db.dispose()
    problem = tool_error(refused)
    assert (problem["code"], problem["status"]) == ("insufficient_scope", 403)
    assert "write" in problem["detail"]
    assert structured(found)["users"]
    assert deployment.api().get(f"/v1/users/{uid}/events").json()["items"] == []


def test_a_real_read_only_key_cannot_record_activity(deployment):
    api = deployment.api()
    made = api.post("/v1/api-keys", json={"name": "reader", "scopes": ["read"]})
    assert made.status_code == 201, made.text
    uid = make_user(api)["id"]

    async def script():
        async with http_session(deployment, made.json()["key"]) as mcp:
            check = await mcp.call_tool("may_i_follow", {"user_id": uid, "platform": "x"})
            write = await mcp.call_tool("record_activity", {"user_id": uid, "events": [EVENT]})
            return check, write

    check, write = run(script)
    assert structured(check)["allowed"] is True
    assert tool_error(write)["code"] == "insufficient_scope"
