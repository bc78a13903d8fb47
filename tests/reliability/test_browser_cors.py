"""§13 CORS in a real browser: headless Chromium loads a page from one origin (a port of
127.0.0.1) whose script calls a real `rapport serve` on another with `fetch`, sending
Authorization and JSON, so the browser sends a preflight first. From an origin in
RAPPORT_CORS_ORIGINS the page reads the answer, Location and Request-Id included; from any
other origin the browser refuses the page the answer.

Needs Debian's chromium (`apt-get install -y chromium`; .ci/run installs it when
/usr/bin/chromium is missing). Without it the test is skipped, except under CI, where it fails.
"""

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.processes import TEST_KEY, RapportServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# The page writes what its fetch got into #result, where --dump-dom finds it.
PAGE = """<!doctype html>
<html><body><pre id="result">pending</pre><script>
const show = (value) => { document.getElementById("result").textContent = JSON.stringify(value); };
fetch("%(api)s/v1/users", {
  method: "POST",
  headers: {"Authorization": "Bearer %(key)s", "Content-Type": "application/json",
            "Request-Id": "browser-%(port)s"},
  body: JSON.stringify({name: "page-%(port)s", timezone: "UTC"}),
}).then(async (r) => show({
  status: r.status,
  location: r.headers.get("Location"),
  request_id: r.headers.get("Request-Id"),
  name: (await r.json()).name,
}), (e) => show({blocked: String(e)}));
</script></body></html>
"""


class _Page:
    """A page served on its own port of 127.0.0.1: its own origin. It calls ``api``."""

    api = ""

    def __init__(self) -> None:
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = (PAGE % {"api": page.api, "key": TEST_KEY, "port": page.port}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _chromium_result(url: str, profile: Path) -> dict:
    """Load the page in headless Chromium and read what its script wrote."""
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        # Virtual time does not pass while the fetch is pending: the DOM is dumped once the
        # script has written its result, however long the server takes.
        "--virtual-time-budget=60000",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    found = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, (
        f"no result in the page (exit {done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}"
    )
    text = found.group(1).replace("&quot;", '"').replace("&amp;", "&")
    assert text != "pending", f"the fetch did not finish:\n{done.stderr[-3000:]}"
    return json.loads(text)


@pytest.fixture(scope="module")
def chromium() -> str:
    if not os.path.exists(CHROMIUM):
        message = "needs chromium: apt-get update && apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def pages_and_server(tmp_path_factory) -> Iterator[tuple[_Page, _Page, RapportServer]]:
    directory = tmp_path_factory.mktemp("browser")
    # The pages' ports first: the allowed page's origin is the server's setting.
    allowed, refused = _Page(), _Page()
    server = RapportServer(
        f"sqlite:///{directory / 'cors.db'}",
        log=directory / "server.log",
        log_level="info",
        env={"RAPPORT_CORS_ORIGINS": allowed.origin},
    )
    allowed.api = refused.api = server.url
    try:
        yield allowed, refused, server
    finally:
        server.stop()
        allowed.close()
        refused.close()


def test_a_page_on_an_allowed_origin_reads_the_answer(chromium, pages_and_server, tmp_path):
    allowed, _refused, _server = pages_and_server
    result = _chromium_result(f"{allowed.origin}/", tmp_path / "profile")
    assert result["status"] == 201, result
    assert result["name"] == f"page-{allowed.port}"
    assert re.fullmatch(r"/v1/users/[0-9a-f-]{36}", result["location"] or ""), result
    assert result["request_id"] == f"browser-{allowed.port}"


def test_a_page_on_another_origin_is_refused_the_answer(chromium, pages_and_server, tmp_path):
    _allowed, refused, server = pages_and_server
    result = _chromium_result(f"{refused.origin}/", tmp_path / "profile")
    assert "blocked" in result and "Failed to fetch" in result["blocked"], result
    # The browser asked first, the server refused the preflight, and the POST never ran.
    lines = [json.loads(line) for line in server_log_lines(server)]
    preflights = [line for line in lines if line.get("method") == "OPTIONS"]
    assert {"route": None, "status": 403} in [
        {"route": p["route"], "status": p["status"]} for p in preflights
    ], preflights
    with server.client() as c:
        names = [u["name"] for u in c.get("/v1/users").json()["items"]]
    assert f"page-{refused.port}" not in names, names


def server_log_lines(server: RapportServer) -> list[str]:
    return [
        line
        for line in server.log_path.read_text(errors="replace").splitlines()
        if line.startswith("{")
    ]
