"""The weekly report page in a real browser (issue 14): headless Chromium lays the page out
390 px and 1280 px wide; no element may reach past the right edge, the figures the browser
shows must be the JSON's, and screenshots go to test-output/report/ (look at them).

The page has no script. The test wraps it, unchanged, in an iframe (``srcdoc``) of the
width under test, next to a probe script that measures it: Chromium's headless window
cannot be narrower than 500 px, an iframe can.

Needs Debian's chromium (`apt-get install -y chromium`); skipped without it, except under
CI, where it fails (as tests/reliability/test_browser_cors.py).
"""

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.knowledge import report_week as W

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = Path(os.environ.get("RAPPORT_TEST_OUTPUT", "test-output")) / "report"
WIDTHS = (390, 1280)

PROBE = """<!doctype html><html><body style="margin:0">
<iframe id="page" style="border:0;width:%(width)dpx;height:%(height)dpx" srcdoc="%(page)s"></iframe>
<pre id="probe">pending</pre><script>
document.getElementById("page").addEventListener("load", () => {
  const doc = document.getElementById("page").contentDocument;
  const width = doc.documentElement.clientWidth;
  const wide = [...doc.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5)
    .map((el) => el.tagName + ": " + Math.round(el.getBoundingClientRect().right));
  document.getElementById("probe").textContent = JSON.stringify({
    width, scroll_width: doc.documentElement.scrollWidth, wide: wide.slice(0, 20),
    height: Math.ceil(doc.body.getBoundingClientRect().bottom + 48),
    text: doc.body.innerText,
  });
});
</script></body></html>"""


@pytest.fixture(scope="module")
def chromium() -> str:
    if not os.path.exists(CHROMIUM):
        message = "needs chromium: apt-get update && apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def _run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        "--disable-background-networking",
        "--disable-component-update",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def _harness(page: str, width: int, height: int, tmp: Path) -> tuple[Path, str]:
    harness = tmp / f"probe-{width}-{height}.html"
    harness.write_text(PROBE % {"width": width, "height": height, "page": html.escape(page)})
    return harness, f"--window-size={max(width, 500)},{height}"


def _probe(chromium: str, page: str, width: int, tmp: Path) -> dict:
    harness, window = _harness(page, width, 6000, tmp)
    done = _run(chromium, tmp / "profile", window, "--dump-dom", harness.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found and found.group(1) != "pending", done.stderr[-3000:]
    seen = json.loads(html.unescape(found.group(1)))
    # The screenshot: the whole page, as tall as it is at this width.
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / f"report-{width}.png"
    harness, window = _harness(page, width, seen["height"], tmp)
    _run(chromium, tmp / "profile", window, f"--screenshot={shot.resolve()}", harness.as_uri())
    assert shot.exists() and shot.stat().st_size > 0
    return seen


@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_fits_the_screen_and_shows_the_json(chromium, client, tmp_path, width):
    uid = W.seed(client)
    params = {"week": "2026-W45"}
    page = client.get(
        f"/v1/users/{uid}/report", params=params, headers={"Accept": "text/html"}
    ).text
    doc = client.get(f"/v1/users/{uid}/report", params=params).json()
    seen = _probe(chromium, page, width, tmp_path)
    assert seen["width"] == width
    assert seen["scroll_width"] <= width and seen["wide"] == [], seen["wide"]
    text = re.sub(r"\s+", " ", seen["text"])
    [f] = doc["follows"]
    assert f"{f['follows']} of {f['weekly_target']} people followed" in text
    for d in f["days"]:
        follows = f"{d['follows']} !" if d["over_limit"] else str(d["follows"])
        day = int(d["date"][-2:])
        assert f"{day} {d['quota']} {follows} {d['effective_cap']} {d['peak_burst']}" in text
    [p] = doc["posting"]
    assert f"{p['posts']} posts on {p['days_posted']} days; {p['missed_days']} days missed" in text
    g, s = doc["engagement"], doc["sales_ratio"]
    assert f"{round(g['interaction_share'] * 100)}% interaction" in text
    assert f"{g['interactions']} interactions (replies, comments, messages)" in text
    assert f"{s['non_sales']} : {s['sales']}" in text
    assert f"{doc['relationships']['total']} people in your network" in text
