"""/docs and /redoc work without internet (issue 14): their pages load Swagger UI and ReDoc
from this server (assets of the installed fastapi-offline package), never from a CDN."""

import re

import pytest


@pytest.mark.parametrize(
    ("page", "assets"),
    [("/docs", ("swagger-ui-bundle.js", "swagger-ui.css")), ("/redoc", ("redoc.standalone.js",))],
)
def test_docs_pages_load_their_assets_from_this_server(anon, page, assets):
    r = anon.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    referenced = re.findall(r"""(?:src|href)=["']([^"']+)["']""", r.text)
    remote = [url for url in referenced if re.match(r"(https?:)?//", url)]
    assert remote == [], remote  # nothing from a CDN
    for asset in assets:
        (url,) = [u for u in referenced if u.endswith(asset)]
        served = anon.get(url)
        assert served.status_code == 200, url
        assert len(served.content) > 10_000  # the real bundle, not a stub
    assert "/openapi.json" in r.text
