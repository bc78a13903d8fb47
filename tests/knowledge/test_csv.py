"""Events as CSV: GET …/events with Accept: text/csv, POST …/events:import."""

import csv
import io
import uuid
from datetime import datetime

from tests.knowledge.helpers import add_events, ev, make_user, problem, put

HEADER = "id,platform,kind,direction,occurred_at,counterpart,is_sales,url,text,external_id"
AS_OF = "2026-11-08T20:00:00Z"
TRICKY = [
    'She said "hi", then left',
    "line one\nline two\r\nline three",
    "naïve café, Zoë — 東京 🎉",
    ',,,""",',
    "=SUM(A1:A2) stays text",
]


def export(client, uid, **params) -> str:
    r = client.get(f"/v1/users/{uid}/events", params=params, headers={"Accept": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    return r.content.decode("utf-8")


def import_csv(client, uid, body: str | bytes, content_type: str = "text/csv"):
    data = body.encode() if isinstance(body, str) else body
    return client.post(
        f"/v1/users/{uid}/events:import", content=data, headers={"Content-Type": content_type}
    )


def records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _seed(client, uid):
    events = [
        ev(
            "linkedin",
            "post",
            f"2026-11-0{d}T09:00:00.123456Z",
            text=TRICKY[d % 5],
            external_id=f"post-{d}",
        )
        for d in range(2, 9)
    ]
    events += [
        ev("x", "follow", f"2026-11-0{d}T1{h}:00:00Z", f"p{d}{h}")
        for d in range(2, 8)
        for h in range(3)
    ]
    events += [
        ev(
            "x",
            "reply",
            "2026-11-03T10:00:00+01:00",
            "@Émile",
            text=TRICKY[1],
            url="https://x.com/a?b=1,2",
        ),
        ev("x", "direct_message", "2026-11-04T10:00:00Z", "erin", is_sales=True, text=TRICKY[0]),
        ev("x", "mention", "2026-11-05T10:00:00Z", "erin", direction="inbound"),
        ev("x", "follow", "2026-11-05T11:00:00Z", "gus", direction="inbound"),
        ev("facebook", "share", "2026-11-06T10:00:00Z", text=TRICKY[2], external_id='ext,"quoted"'),
        ev("instagram", "like", "2026-11-07T10:00:00Z", "fay"),
        ev("x", "comment", "2026-11-09T10:00:00Z", "late"),  # after AS_OF
    ]
    add_events(client, uid, events)
    put(client, uid, "/follow-plans/x", {"weekly_target": 14, "starts_on": "2026-10-01"})
    put(client, uid, "/posting-plans/linkedin", {"max_posts_per_day": 1})


INSIGHTS = [
    ("/pacing", {"platform": "x", "as_of": AS_OF}),
    ("/posting", {"as_of": AS_OF, "from": "2026-11-02", "to": "2026-11-08"}),
    ("/sales-ratio", {"as_of": AS_OF, "window_days": 30}),
    ("/engagement", {"as_of": AS_OF, "window_days": 7}),
    ("/relationships", {"as_of": AS_OF, "limit": 500}),
]


def _insights(client, uid):
    answers = []
    for path, params in INSIGHTS:
        r = client.get(f"/v1/users/{uid}{path}", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        body.pop("plan", None)  # its created_at differs between the two users
        answers.append(body)
    return answers


def test_round_trip_between_users(client):
    a = make_user(client, "A", "Europe/Berlin")
    b = make_user(client, "B", "Europe/Berlin")
    _seed(client, a)
    text = export(client, a)
    assert text.startswith(HEADER + "\r\n")
    rows = records(text)
    assert len(rows) == 32
    instants = [datetime.fromisoformat(r["occurred_at"]) for r in rows]
    assert instants == sorted(instants, reverse=True)
    assert {r["text"] for r in rows if r["text"]} == set(TRICKY)
    reply = next(r for r in rows if r["kind"] == "reply")
    assert reply["occurred_at"] == "2026-11-03T09:00:00Z" and reply["counterpart"] == "émile"
    assert reply["url"] == "https://x.com/a?b=1,2" and reply["is_sales"] == "false"

    r = import_csv(client, b, text)
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["duplicates"], len(r.json()["ids"])) == (32, 0, 32)
    put(client, b, "/follow-plans/x", {"weekly_target": 14, "starts_on": "2026-10-01"})
    put(client, b, "/posting-plans/linkedin", {"max_posts_per_day": 1})

    again = records(export(client, b))
    drop_id = lambda rs: [{k: v for k, v in r.items() if k != "id"} for r in rs]
    assert sorted(map(str, drop_id(again))) == sorted(map(str, drop_id(rows)))
    assert _insights(client, a) == _insights(client, b)

    # Importing again: rows with an external_id are duplicates; the others are new events.
    r = import_csv(client, b, text)
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["duplicates"]) == (32 - 8, 8)


def test_export_streams_every_page_with_filters(client):
    uid = make_user(client)
    add_events(
        client,
        uid,
        [
            ev("x", "follow", f"2026-10-{1 + i // 100:02d}T{i % 24:02d}:{i % 60:02d}:00Z", f"c{i}")
            for i in range(1010)
        ],
    )
    add_events(client, uid, [ev("linkedin", "post", "2026-10-05T10:00:00Z")])
    rows = records(export(client, uid, platform="x", limit=5))
    assert len(rows) == 1010 and len({r["id"] for r in rows}) == 1010
    keys = [(datetime.fromisoformat(r["occurred_at"]), uuid.UUID(r["id"])) for r in rows]
    assert keys == sorted(keys, reverse=True)
    assert records(export(client, uid, platform="linkedin"))[0]["kind"] == "post"
    assert export(client, uid, platform="facebook") == HEADER + "\r\n"
    # JSON stays the default, and wins a tie.
    r = client.get(f"/v1/users/{uid}/events", headers={"Accept": "text/csv, application/json"})
    assert r.headers["content-type"] == "application/json" and len(r.json()["items"]) == 50


def test_missing_and_unknown_columns_are_named(client):
    uid = make_user(client)
    body = problem(
        import_csv(client, uid, "platform,occurred_at,colour\nx,2026-11-02T10:00:00Z,red\n"),
        422,
        "invalid_csv_header",
    )
    assert "kind" in body["detail"] and "colour" in body["detail"]
    assert {(e["column"], e["detail"]) for e in body["errors"]} == {
        ("kind", "required column is missing"),
        ("colour", "unknown column"),
    }
    problem(import_csv(client, uid, ""), 422, "invalid_csv_header")
    assert records(export(client, uid)) == []


def test_bad_rows_are_listed_and_nothing_is_written(client):
    uid = make_user(client)
    good = "x,post,2026-11-02T10:00:00Z,,{i}"
    lines = ["platform,kind,occurred_at,is_sales,external_id"] + [
        good.format(i=i) for i in range(1, 11)
    ]
    lines[3] = "x,post,2026-11-02T10:00:00Z,maybe,3"  # data row 3: not a boolean
    lines[7] = "x,post,2026-11-02 10:00,,7"  # data row 7: not a timestamp
    lines[9] = "x,like,2026-11-02T10:00:00Z,true,9"  # data row 9: is_sales on a like
    lines[10] = "x,post,2026-11-02T10:00:00,,10"  # data row 10: no offset
    body = problem(import_csv(client, uid, "\r\n".join(lines) + "\r\n"), 422, "invalid_csv")
    errors = {(e["row"], e["column"]) for e in body["errors"]}
    assert errors == {(3, "is_sales"), (7, "occurred_at"), (9, "is_sales"), (10, "occurred_at")}
    naive = next(e for e in body["errors"] if e["row"] == 10)
    assert "UTC offset" in naive["detail"] and naive["line"] == 11
    assert "row 7" in body["detail"] and "nothing was imported" in body["detail"]
    assert records(export(client, uid)) == []
    r = client.get(f"/v1/users/{uid}/events")
    assert r.json()["items"] == []


def test_repeated_external_ids_and_conflicts_name_the_row(client):
    uid = make_user(client)
    head = "platform,kind,occurred_at,text,external_id\n"
    body = problem(
        import_csv(
            client,
            uid,
            head + "x,post,2026-11-02T10:00:00Z,a,e1\nx,post,2026-11-02T10:00:00Z,b,e1\n",
        ),
        422,
    )
    assert [(e["row"], e["line"], e["column"]) for e in body["errors"]] == [(2, 3, "external_id")]
    assert (
        import_csv(client, uid, head + "x,post,2026-11-02T10:00:00Z,a,e1\n").json()["created"] == 1
    )
    conflict = problem(
        import_csv(
            client,
            uid,
            head + "x,post,2026-11-03T10:00:00Z,,e2\nx,post,2026-11-02T10:00:00Z,changed,e1\n",
        ),
        409,
    )
    assert [(e["row"], e["column"]) for e in conflict["errors"]] == [(2, "external_id")]
    assert len(records(export(client, uid))) == 1


def test_malformed_csv_and_wrong_media_type(client):
    uid = make_user(client)
    problem(
        import_csv(client, uid, 'platform,kind,occurred_at\nx,post,"2026"x\n'), 422, "invalid_csv"
    )
    problem(import_csv(client, uid, b"platform,kind,occurred_at\n\xff\n"), 422, "invalid_csv")
    problem(import_csv(client, uid, "platform,kind,occurred_at\nx,post\n"), 422, "invalid_csv")
    # A record spanning lines is reported at the line it starts on.
    body = problem(
        import_csv(
            client,
            uid,
            'platform,kind,occurred_at,text\nx,post,2026-11-02T10:00:00Z,"a\nb"\n'
            "x,nope,2026-11-02T10:00:00Z,c\n",
        ),
        422,
        "invalid_csv",
    )
    assert [(e["row"], e["line"], e["column"]) for e in body["errors"]] == [(2, 4, "kind")]
    problem(client.post(f"/v1/users/{uid}/events:import", json={"events": []}), 415)
    # A UTF-8 byte-order mark and blank lines are tolerated.
    r = import_csv(
        client, uid, "\ufeffplatform,kind,occurred_at\r\n\r\nx,post,2026-11-02T10:00:00Z\r\n"
    )
    assert r.status_code == 200 and r.json()["created"] == 1, r.text


def test_other_workspace_gets_404(client, other_client):
    uid = make_user(client)
    problem(
        other_client.get(f"/v1/users/{uid}/events", headers={"Accept": "text/csv"}),
        404,
        "not_found",
    )
    problem(
        import_csv(other_client, uid, "platform,kind,occurred_at\nx,post,2026-11-02T10:00:00Z\n"),
        404,
        "not_found",
    )
    assert records(export(client, uid)) == []
