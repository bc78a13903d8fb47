"""A real `rapport serve` per backend for the MCP tests, and the official SDK's client over
streamable HTTP (/mcp) and over stdio (`rapport mcp`).

Each test makes users of its own (unique external ids), so tests share one server per
backend and database. The calls are synchronous wrappers (`anyio.run`) around the SDK's
async ``ClientSession``: a test reads as a script.
"""

import os
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import httpx
import httpx2
import pytest
from mcp.client import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from app.auth import service as auth_service
from app.core.config import Settings
from app.core.db import Database
from tests.databases import throwaway_database
from tests.support.processes import RAPPORT, TEST_KEY, RapportServer

T = TypeVar("T")


@dataclass
class Deployment:
    backend: str
    database_url: str
    server: RapportServer

    @property
    def mcp_url(self) -> str:
        return f"{self.server.url}/mcp"

    def api(self, key: str = TEST_KEY) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )

    def workspace_key(self, workspace: str) -> str:
        """A key of another workspace (made as the operator's CLI makes one)."""
        db = Database(self.database_url, Settings(database_url=self.database_url))
        try:
            with db.session(write=True) as session:
                ws = auth_service.get_or_create_workspace(session, workspace)
                _, secret = auth_service.create_key(session, ws, "test")
                session.commit()
        finally:
            db.dispose()
        return secret


@pytest.fixture(scope="session")
def deployment(backend, tmp_path_factory) -> Iterator[Deployment]:
    directory = tmp_path_factory.mktemp(f"mcp-{backend}")
    with throwaway_database(backend, directory) as url:
        # Rate limits off: the scripted agent loop sends many calls with one key.
        server = RapportServer(
            url,
            log=directory / "server.log",
            env={"RAPPORT_RATE_LIMIT": "off", "RAPPORT_AUTH_FAILURE_LIMIT": "off"},
        )
        try:
            yield Deployment(backend, url, server)
        finally:
            server.stop()


def run(fn: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(fn)


@asynccontextmanager
async def http_session(deployment: Deployment, key: str = TEST_KEY):
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http,
        streamable_http_client(deployment.mcp_url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@asynccontextmanager
async def stdio_session(deployment: Deployment, key: str = TEST_KEY):
    params = StdioServerParameters(
        command=RAPPORT,
        args=["mcp"],
        env={
            "RAPPORT_DATABASE_URL": deployment.database_url,
            "RAPPORT_API_KEY": key,
            "PATH": os.environ.get("PATH", ""),
        },
    )
    with open(os.devnull, "w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


def make_user(api: httpx.Client, name: str = "Ada", **extra: Any) -> dict[str, Any]:
    r = api.post(
        "/v1/users",
        json={"name": name, "timezone": "UTC", "external_id": f"crm-{uuid.uuid4()}", **extra},
    )
    assert r.status_code == 201, r.text
    return r.json()


def put_follow_plan(api: httpx.Client, user_id: str, platform: str, **plan: Any) -> None:
    r = api.put(f"/v1/users/{user_id}/follow-plans/{platform}", json={"weekly_target": 350, **plan})
    assert r.status_code in (200, 201), r.text


def structured(result: Any) -> dict[str, Any]:
    """A successful tool answer's structured content (fails the test on a tool error)."""
    assert not result.is_error, result.content[0].text
    assert result.structured_content is not None
    return result.structured_content


def tool_error(result: Any) -> dict[str, Any]:
    """A tool error's problem (fails the test on a success)."""
    assert result.is_error, result.structured_content
    problem = result.structured_content
    assert result.content[0].text.startswith(f"{problem['code']}: ")
    return problem


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}
