"""Another workspace's key gets 404 on every insight route, exactly like a missing user."""

import uuid

from tests.api.helpers import same_problem
from tests.insights.helpers import follow_plan, posting_plan

AS_OF = "2026-11-04T12:00:00Z"
ROUTES = [
    ("GET", "pacing", {"platform": "x", "as_of": AS_OF}),
    ("GET", "posting", {"platform": "x", "as_of": AS_OF}),
    ("GET", "posting", {"as_of": AS_OF}),
    ("GET", "sales-ratio", {"as_of": AS_OF}),
    ("GET", "engagement", {"as_of": AS_OF}),
    ("POST", "checks", {"action": "follow", "platform": "x", "at": AS_OF}),
    ("POST", "checks", {"action": "post", "platform": "x", "at": AS_OF}),
    (
        "POST",
        "checks",
        {"action": "sales_contact", "platform": "x", "at": AS_OF, "counterpart": "bob"},
    ),
]


def call(c, uid, method, route, data):
    url = f"/v1/users/{uid}/{route}"
    return c.get(url, params=data) if method == "GET" else c.post(url, json=data)


def test_other_workspace_gets_404(client, other_client, user):
    uid = user["id"]
    follow_plan(client, uid, "x", weekly_target=7)
    posting_plan(client, uid, "x")
    for method, route, data in ROUTES:
        assert call(client, uid, method, route, data).status_code == 200, route
        theirs = call(other_client, uid, method, route, data)
        missing = call(client, str(uuid.uuid4()), method, route, data)
        for r in (theirs, missing):
            assert r.status_code == 404, (route, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        assert same_problem(theirs.json()) == same_problem(missing.json())
        assert theirs.json()["code"] == "not_found"
