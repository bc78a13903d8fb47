"""Hostile input, through the ASGI app on both databases.

Every request below is refused with a 4xx RFC 9457 problem (application/problem+json,
a non-empty detail, never a 500), and a refused request writes nothing. Strings that
look like SQL or HTML are data: stored and answered byte for byte, never executed.
"""

import base64
import json

import pytest
from sqlalchemy import func, select

from app.auth.models import ApiKey, Workspace
from app.events.models import Event
from app.events.store.maintenance import EventDayCount
from app.plans.models import FollowPlan, PostingPlan
from app.profiles.models import Profile
from app.users.models import User
from tests.api.helpers import same_problem
from tests.conftest import http

PROBLEM = "application/problem+json"
JSON = {"Content-Type": "application/json"}
EVENT = {"platform": "x", "kind": "post", "occurred_at": "2026-11-02T10:00:00Z"}
TABLES = (Workspace, ApiKey, User, Event, EventDayCount, FollowPlan, PostingPlan, Profile)


def _event(**changes) -> dict:
    return {**EVENT, **changes}


def _raw(text: str) -> dict:
    return {"content": text.encode(), "headers": JSON}


def _cursor(data: object) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


GOOD_ID = "00000000-0000-4000-8000-000000000000"
EVENTS, BATCH, CHECKS, USER = "{u}/events", "{u}/events:batch", "{u}/checks", "{u}"

# (method, path under /v1/users/, request keyword arguments, expected status)
CASES = [
    # Malformed and truncated JSON
    pytest.param("POST", EVENTS, _raw('{"platform": "x", "kind": "po'), 400, id="truncated-json"),
    pytest.param("POST", EVENTS, _raw("{platform: 'x'}"), 400, id="unquoted-json"),
    pytest.param("POST", EVENTS, _raw('{"platform": "x",}'), 400, id="trailing-comma"),
    pytest.param(
        "POST", EVENTS, _raw('{"platform": "x"} {"kind": "post"}'), 400, id="two-documents"
    ),
    pytest.param("POST", EVENTS, _raw(""), 422, id="empty-body"),
    pytest.param("POST", EVENTS, _raw("[]"), 422, id="array-not-object"),
    pytest.param("POST", EVENTS, _raw('"post"'), 422, id="string-not-object"),
    pytest.param("POST", EVENTS, _raw("null"), 422, id="null-body"),
    pytest.param(
        "POST",
        EVENTS,
        _raw(
            '{"platform": "x", "platform": "facebook", "kind": "post", '
            '"occurred_at": "2026-11-02T10:00:00Z"}'
        ),
        400,
        id="duplicate-keys",
    ),
    pytest.param(
        "POST",
        BATCH,
        _raw(
            '{"events": [{"platform": "x", "kind": "post", "kind": "like", '
            '"occurred_at": "2026-11-02T10:00:00Z"}]}'
        ),
        400,
        id="nested-duplicate-keys",
    ),
    pytest.param("POST", EVENTS, _raw("[" * 100_000), 400, id="deep-nesting-open"),
    pytest.param("POST", BATCH, _raw("[" * 50_000 + "]" * 50_000), 400, id="deep-nesting-closed"),
    pytest.param(
        "POST", EVENTS, _raw('{"a":' * 50_000 + "1" + "}" * 50_000), 400, id="deep-nesting-objects"
    ),
    pytest.param(
        "POST", CHECKS, _raw('{"action": "follow", "platform": "x", "count": NaN}'), 400, id="nan"
    ),
    pytest.param(
        "POST",
        CHECKS,
        _raw('{"action": "follow", "platform": "x", "count": Infinity}'),
        400,
        id="infinity",
    ),
    pytest.param(
        "PATCH", USER, _raw('{"settings": {"sales_ratio": -Infinity}}'), 400, id="minus-infinity"
    ),
    # Numbers beyond 64 bits, negative and huge counts
    pytest.param(
        "POST",
        CHECKS,
        {"json": {"action": "follow", "platform": "x", "count": 2**64 + 1}},
        422,
        id="count-beyond-64-bits",
    ),
    pytest.param(
        "POST",
        CHECKS,
        {"json": {"action": "follow", "platform": "x", "count": -(2**70)}},
        422,
        id="count-below-64-bits",
    ),
    pytest.param(
        "POST",
        CHECKS,
        {"json": {"action": "follow", "platform": "x", "count": -1}},
        422,
        id="negative-count",
    ),
    pytest.param(
        "POST",
        CHECKS,
        {"json": {"action": "follow", "platform": "x", "count": 0}},
        422,
        id="zero-count",
    ),
    pytest.param(
        "POST",
        CHECKS,
        {"json": {"action": "follow", "platform": "x", "count": 1001}},
        422,
        id="count-over-limit",
    ),
    pytest.param(
        "POST",
        CHECKS,
        {"json": {"action": "follow", "platform": "x", "count": 1.5}},
        422,
        id="fractional-count",
    ),
    pytest.param(
        "POST",
        CHECKS,
        {"json": {"action": "follow", "platform": "x", "count": "3"}},
        422,
        id="count-as-string",
    ),
    pytest.param(
        "POST",
        CHECKS,
        {"json": {"action": "follow", "platform": "x", "count": True}},
        422,
        id="count-as-boolean",
    ),
    pytest.param(
        "PATCH", USER, _raw('{"settings": {"sales_ratio": 1e400}}'), 422, id="float-overflow"
    ),
    pytest.param(
        "PATCH",
        USER,
        {"json": {"settings": {"sales_ratio": 10**400}}},
        422,
        id="huge-integer-for-float",
    ),
    pytest.param(
        "PUT",
        "{u}/follow-plans/x",
        {"json": {"weekly_target": 99999999999999999999999}},
        422,
        id="weekly-target-beyond-64-bits",
    ),
    pytest.param(
        "PUT", "{u}/follow-plans/x", {"json": {"weekly_target": -5}}, 422, id="negative-target"
    ),
    pytest.param("GET", "{u}/sales-ratio?window_days=-1", {}, 422, id="negative-window"),
    pytest.param(
        "GET", "{u}/sales-ratio?window_days=99999999999999999999999", {}, 422, id="huge-window"
    ),
    pytest.param("GET", "{u}/engagement?window_days=0", {}, 422, id="zero-window"),
    # 10 MB bodies, wrong and missing content types
    pytest.param(
        "POST",
        EVENTS,
        {"content": b'{"text": "' + b"a" * (10 * 2**20) + b'"}', "headers": JSON},
        413,
        id="10mb-body",
    ),
    pytest.param(
        "POST",
        BATCH,
        {"content": [b'{"events": ['] + [b"0," * 2**19] * 20 + [b"0]}"], "headers": JSON},
        413,
        id="10mb-chunked-body",
    ),  # a list: sent chunked
    pytest.param(
        "POST",
        EVENTS,
        {"content": json.dumps(EVENT).encode(), "headers": {"Content-Type": "text/plain"}},
        415,
        id="text-plain",
    ),
    pytest.param(
        "POST",
        EVENTS,
        {"content": b"<event/>", "headers": {"Content-Type": "application/xml"}},
        415,
        id="xml",
    ),
    pytest.param(
        "POST", EVENTS, {"data": {"platform": "x", "kind": "post"}}, 415, id="form-urlencoded"
    ),
    pytest.param("POST", EVENTS, {"files": {"f": ("e.json", b"{}")}}, 415, id="multipart"),
    pytest.param(
        "POST", EVENTS, {"content": json.dumps(EVENT).encode()}, 415, id="missing-content-type"
    ),
    pytest.param(
        "POST",
        "{u}/events:import",
        {"content": b"platform,kind,occurred_at\n", "headers": JSON},
        415,
        id="json-type-on-csv-import",
    ),
    # Invalid UTF-8 and NUL
    pytest.param(
        "POST",
        EVENTS,
        {"content": b'{"platform": "x", "kind": "post", "text": "\xff\xfe\xc3"}', "headers": JSON},
        400,
        id="invalid-utf8",
    ),
    pytest.param(
        "POST",
        EVENTS,
        {"content": b'{"platform": "x", "kind": "post", "text": "\xed\xa0\x80"}', "headers": JSON},
        400,
        id="utf8-encoded-surrogate",
    ),
    pytest.param(
        "POST",
        EVENTS,
        _raw(
            '{"platform": "x", "kind": "post", "occurred_at": "2026-11-02T10:00:00Z", '
            '"text": "a\\ud800b"}'
        ),
        400,
        id="lone-surrogate-escape",
    ),
    pytest.param("POST", EVENTS, {"json": _event(text="a\x00b")}, 422, id="nul-escape-in-text"),
    pytest.param("POST", EVENTS, {"json": _event(external_id="\x00")}, 422, id="nul-external-id"),
    pytest.param("POST", "", {"json": {"name": "Ada\x00"}}, 422, id="nul-in-name"),
    pytest.param(
        "POST",
        EVENTS,
        {"content": b'{"platform": "x", "kind": "post", "text": "a\x00b"}', "headers": JSON},
        400,
        id="raw-nul-byte",
    ),
    pytest.param(
        "POST",
        "{u}/events:import",
        {
            "content": b"platform,kind,occurred_at\nx,post,2026-11-02T10:00:00Z\xff\n",
            "headers": {"Content-Type": "text/csv"},
        },
        422,
        id="csv-invalid-utf8",
    ),
    # Path traversal and ids that are not UUIDs
    pytest.param("GET", "..%2F..%2Fetc%2Fpasswd", {}, 404, id="traversal-encoded"),
    pytest.param("GET", "{u}/events/..%2F..%2F..%2Fapi-keys", {}, 404, id="traversal-in-event-id"),
    pytest.param("GET", "{u}/events/%2e%2e", {}, 422, id="dot-dot-event-id"),
    pytest.param("GET", "not-a-uuid", {}, 422, id="user-id-not-uuid"),
    pytest.param("GET", "1 OR 1=1", {}, 422, id="user-id-sql"),
    pytest.param("DELETE", "{u}/events/12345", {}, 422, id="event-id-number"),
    pytest.param("GET", GOOD_ID, {}, 404, id="unknown-user"),
    pytest.param("GET", "{u}/events/" + GOOD_ID, {}, 404, id="unknown-event"),
    # Naive and out-of-range timestamps
    pytest.param(
        "POST", EVENTS, {"json": _event(occurred_at="2026-11-02T10:00:00")}, 422, id="naive"
    ),
    pytest.param(
        "POST", EVENTS, {"json": _event(occurred_at="0001-01-01T00:00:00Z")}, 422, id="year-0001"
    ),
    pytest.param(
        "POST", EVENTS, {"json": _event(occurred_at="9999-12-31T23:59:59Z")}, 422, id="year-9999"
    ),
    pytest.param(
        "POST", EVENTS, {"json": _event(occurred_at="1969-12-31T23:59:59Z")}, 422, id="year-1969"
    ),
    pytest.param(
        "POST", EVENTS, {"json": _event(occurred_at="2026-02-30T10:00:00Z")}, 422, id="february-30"
    ),
    pytest.param(
        "POST",
        EVENTS,
        {"json": _event(occurred_at="2026-11-02T10:00:00+24:00")},
        422,
        id="offset-24h",
    ),
    pytest.param("POST", EVENTS, {"json": _event(occurred_at=1764230400)}, 422, id="unix-seconds"),
    pytest.param(
        "POST", EVENTS, {"json": _event(occurred_at="2099-01-01T00:00:00Z")}, 422, id="far-future"
    ),
    pytest.param(
        "POST",
        CHECKS,
        {"json": {"action": "post", "platform": "x", "at": "0001-01-01T00:00:00+05:00"}},
        422,
        id="check-at-year-1",
    ),
    pytest.param(
        "GET", "{u}/engagement?as_of=9999-12-31T23:59:59-05:00", {}, 422, id="as-of-year-9999"
    ),
    pytest.param(
        "GET", "{u}/pacing?platform=x&as_of=2026-11-02T10:00:00", {}, 422, id="as-of-naive"
    ),
    pytest.param("GET", "{u}/posting?from=0001-01-01&to=0001-01-07", {}, 422, id="posting-year-1"),
    pytest.param("GET", "{u}/posting?from=0", {}, 422, id="posting-date-as-number"),
    pytest.param("GET", "{u}/events?from=1969-12-31T23:59:59Z", {}, 422, id="events-from-1969"),
    pytest.param("GET", "{u}/report?week=0001-W01", {}, 422, id="report-week-year-1"),
    pytest.param("GET", "{u}/report?week=2026-W99", {}, 422, id="report-week-99"),
    # Unknown enum values
    pytest.param("POST", EVENTS, {"json": _event(platform="myspace")}, 422, id="unknown-platform"),
    pytest.param("POST", EVENTS, {"json": _event(kind="poke")}, 422, id="unknown-kind"),
    pytest.param(
        "POST", EVENTS, {"json": _event(direction="sideways")}, 422, id="unknown-direction"
    ),
    pytest.param(
        "POST", EVENTS, {"json": _event(kind="like", is_sales=True)}, 422, id="sales-like"
    ),
    pytest.param(
        "POST", CHECKS, {"json": {"action": "hug", "platform": "x"}}, 422, id="unknown-action"
    ),
    pytest.param(
        "PUT",
        "{u}/follow-plans/myspace",
        {"json": {"weekly_target": 5}},
        422,
        id="unknown-path-platform",
    ),
    pytest.param(
        "PUT",
        "{u}/follow-plans/x",
        {"json": {"weekly_target": 5, "active_weekdays": ["funday"]}},
        422,
        id="unknown-weekday",
    ),
    pytest.param("GET", "{u}/relationships?stage=bff", {}, 422, id="unknown-stage"),
    pytest.param("GET", "{u}/events?kind=poke", {}, 422, id="unknown-kind-filter"),
    pytest.param(
        "POST",
        "",
        {"json": {"name": "Ada", "timezone": "Mars/Olympus_Mons"}},
        422,
        id="unknown-timezone",
    ),
    pytest.param("POST", EVENTS, {"json": _event(extra="field")}, 422, id="unknown-field"),
    # Lengths
    pytest.param("POST", EVENTS, {"json": _event(text="a" * 5001)}, 422, id="text-too-long"),
    pytest.param(
        "POST", EVENTS, {"json": _event(external_id="e" * 201)}, 422, id="external-id-too-long"
    ),
    pytest.param("POST", BATCH, {"json": {"events": [EVENT] * 1001}}, 422, id="batch-too-long"),
    pytest.param(
        "POST",
        BATCH,
        {"json": {"events": [EVENT, _event(kind="poke")]}},
        422,
        id="batch-one-bad-item",
    ),
    # limit and cursors
    pytest.param("GET", "{u}/events?limit=0", {}, 422, id="limit-0"),
    pytest.param("GET", "{u}/events?limit=100000", {}, 422, id="limit-100000"),
    pytest.param("GET", "?limit=-1", {}, 422, id="users-limit-negative"),
    pytest.param("GET", "{u}/events?limit=ten", {}, 422, id="limit-word"),
    pytest.param("GET", "{u}/events?cursor=abc", {}, 400, id="cursor-garbage"),
    pytest.param("GET", "{u}/events?cursor=" + "A" * 513, {}, 422, id="cursor-too-long"),
    pytest.param("GET", "{u}/events?cursor=" + _cursor(b"not json"), {}, 400, id="cursor-not-json"),
    pytest.param(
        "GET",
        "{u}/events?cursor=" + _cursor({"t": "yesterday", "id": GOOD_ID}),
        {},
        400,
        id="cursor-forged-time",
    ),
    pytest.param(
        "GET",
        "{u}/events?cursor=" + _cursor({"t": "2026-11-02T10:00:00+00:00", "id": "1 OR 1=1"}),
        {},
        400,
        id="cursor-forged-id",
    ),
    pytest.param(
        "GET",
        "{u}/events?cursor=" + _cursor({"t": "2026-11-02T10:00:00", "id": GOOD_ID}),
        {},
        400,
        id="cursor-naive-time",
    ),
    pytest.param(
        "GET",
        "{u}/events?cursor=" + _cursor({"t": "0001-01-01T00:00:00+05:00", "id": GOOD_ID}),
        {},
        400,
        id="cursor-year-1",
    ),
    pytest.param(
        "GET",
        "{u}/events?cursor=" + _cursor(["2026-11-02T10:00:00+00:00", GOOD_ID]),
        {},
        400,
        id="cursor-wrong-shape",
    ),
    pytest.param(
        "GET",
        "?cursor=" + _cursor({"t": "2026-11-02T10:00:00+00:00"}),
        {},
        400,
        id="users-cursor-no-id",
    ),
    pytest.param(
        "GET",
        "{u}/relationships?cursor=" + _cursor({"t": "2026-11-02T10:00:00+00:00", "c": 5}),
        {},
        400,
        id="relationships-cursor-forged",
    ),
    # Credentials
    pytest.param(
        "GET", "", {"headers": {"Authorization": "Bearer rpk_" + "x" * 10_000}}, 401, id="huge-key"
    ),
    pytest.param(
        "GET",
        "",
        {"headers": {"Authorization": "Bearer rpk_' OR '1'='1' --"}},
        401,
        id="sql-in-key",
    ),
    pytest.param(
        "GET", "", {"headers": {"Authorization": "Basic YWRtaW46YWRtaW4="}}, 401, id="basic-auth"
    ),
]


def _counts(session) -> dict[str, int]:
    session.expire_all()
    return {
        t.__name__: session.execute(select(func.count()).select_from(t)).scalar_one()
        for t in TABLES
    }


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), CASES)
def test_hostile_request_is_a_clear_problem_and_writes_nothing(
    client, user, session, method, path, kwargs, status
):
    url = "/v1/users" + (
        "/" + path.format(u=user["id"]) if path and not path.startswith("?") else path
    )
    if isinstance(kwargs.get("content"), list):
        kwargs = {
            **kwargs,
            "content": iter(kwargs["content"]),
        }  # no Content-Length: streamed in chunks
    before = _counts(session)
    response = client.request(method, url, **kwargs)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].split(";")[0] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["code"] and body["title"]
    assert isinstance(body["detail"], str) and len(body["detail"].strip()) > 10, body
    assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()
    assert _counts(session) == before, "a refused request wrote something"


def test_tampered_cursors_are_refused(client, user):
    base = f"/v1/users/{user['id']}/events"
    for hour in range(3):
        assert (
            client.post(base, json=_event(occurred_at=f"2026-11-02T1{hour}:00:00Z")).status_code
            == 201
        )
    cursor = client.get(base, params={"limit": 1}).json()["next_cursor"]
    assert client.get(base, params={"limit": 1, "cursor": cursor}).status_code == 200
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    tampered = [
        cursor[:-4],
        cursor + "xyz",
        cursor[1:],
        "=" + cursor,
        _cursor({**decoded, "id": decoded["id"][:-1]}),
        _cursor({**decoded, "t": decoded["t"] + "x"}),
        _cursor({**decoded, "t": decoded["t"][:19]}),
        _cursor({"t": decoded["t"]}),
        _cursor({**decoded, "t": 1764230400}),
    ]
    for bad in tampered:
        response = client.get(base, params={"limit": 1, "cursor": bad})
        assert response.status_code == 400, (bad, response.text)
        assert (
            response.headers["content-type"] == PROBLEM
            and response.json()["code"] == "invalid_cursor"
        )


SQL = "'); DROP TABLE event; --"
HTML = "<script>alert(1)</script>"
STRANGE = [
    SQL,
    HTML,
    "Robert'); DELETE FROM app_user WHERE ('1'='1",
    '" OR ""="',
    "%' OR '%'='",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7}",
    "\\x00 \\u0000 \\",
    "e\u0301 \u202e\u200b 🙂 𝔘",
    "line\nbreak\ttab\r\n",
    "' UNION SELECT key_hash FROM api_key --",
]


@pytest.mark.parametrize("text", STRANGE)
def test_sql_and_html_are_stored_and_answered_verbatim(client, user, session, text):
    base = f"/v1/users/{user['id']}"

    def counts() -> tuple[int, int, int]:
        return tuple(  # type: ignore[return-value]
            session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Event, User, ApiKey)
        )

    # Relative to the start: another test on this worker may have committed rows for real.
    events, users, keys = counts()
    handle = "@" + text.strip()[:150]
    created = client.post(
        f"{base}/events",
        json=_event(kind="reply", text=text, external_id=text[:200], counterpart=handle, url=text),
    )
    assert created.status_code == 201, created.text
    event = created.json()
    assert created.headers["content-type"] == "application/json"
    for answer in (event, client.get(f"{base}/events/{event['id']}").json()):
        assert (
            answer["text"] == text and answer["external_id"] == text[:200] and answer["url"] == text
        )
    # Byte-exact in the JSON text too: the answer holds the string as JSON encodes it, unescaped otherwise.
    assert (
        json.dumps(text, ensure_ascii=False).encode()
        in client.get(f"{base}/events/{event['id']}").content
    )
    listed = client.get(f"{base}/events", params={"counterpart": handle}).json()["items"]
    assert [e["id"] for e in listed] == [event["id"]]
    again = client.post(
        f"{base}/events",
        json=_event(kind="reply", text=text, external_id=text[:200], counterpart=handle, url=text),
    )
    assert again.status_code == 200 and again.json()["id"] == event["id"]
    renamed = client.patch(base, json={"name": text[:200]})
    assert renamed.status_code == 200 and renamed.json()["name"] == text[:200]
    # Nothing was executed: every table is still there and holds what it should.
    assert counts() == (events + 1, users, keys)


def test_html_report_escapes_user_text(client, user):
    base = f"/v1/users/{user['id']}"
    assert client.patch(base, json={"name": HTML}).status_code == 200
    assert (
        client.put(f"{base}/profiles/x", json={"handle": HTML, "bio": SQL + HTML}).status_code
        == 201
    )
    client.post(f"{base}/events", json=_event(kind="reply", counterpart=HTML, text=HTML))
    page = client.get(f"{base}/report", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script>" not in page.text and "onerror" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_other_workspace_ids_are_not_found(client, other_client, user):
    """An id from another workspace answers 404 exactly as a missing one does."""
    event = client.post(f"/v1/users/{user['id']}/events", json=EVENT).json()
    missing = other_client.get(f"/v1/users/{GOOD_ID}")
    for response in (
        other_client.get(f"/v1/users/{user['id']}"),
        other_client.get(f"/v1/users/{user['id']}/events/{event['id']}"),
        other_client.delete(f"/v1/users/{user['id']}/events/{event['id']}"),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["detail"] == missing.json()["detail"]
    assert client.get(f"/v1/users/{user['id']}/events/{event['id']}").status_code == 200


def test_unknown_key_and_revoked_key_are_the_same_401(app, client):
    key = client.post("/v1/api-keys", json={"name": "short-lived"}).json()
    with http(app, key["key"]) as own:
        assert own.get("/v1/me").status_code == 200
    assert client.delete(f"/v1/api-keys/{key['id']}").status_code == 204
    answers = []
    for secret in (key["key"], "rpk_" + "A" * 43, None, "not-a-key"):
        with http(app, secret) as c:
            answers.append(c.get("/v1/me"))
    assert {r.status_code for r in answers} == {401}
    assert {r.headers["www-authenticate"] for r in answers} == {'Bearer realm="rapport"'}
    # The same problem, but for each request's own request_id (§13).
    assert len({json.dumps(same_problem(r.json()), sort_keys=True) for r in answers}) == 1
