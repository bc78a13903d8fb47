"""CSV import of files as CRMs and spreadsheets write them (issue 17): other header names,
extra columns, delimiters, charsets, media types, aliases and timestamp shapes."""

import csv
import io

from app.events import csv_import, csv_read
from tests.knowledge.helpers import make_user, problem


def post(client, uid, body: bytes | str, content_type="text/csv", **params):
    data = body.encode() if isinstance(body, str) else body
    return client.post(
        f"/v1/users/{uid}/events:import",
        content=data,
        params=params,
        headers={"Content-Type": content_type},
    )


def events(client, uid) -> list[dict]:
    r = client.get(f"/v1/users/{uid}/events", params={"limit": 500})
    assert r.status_code == 200, r.text
    return sorted(r.json()["items"], key=lambda e: (e["occurred_at"], e["kind"]))


def exported(client, uid) -> list[dict[str, str]]:
    r = client.get(f"/v1/users/{uid}/events", headers={"Accept": "text/csv"})
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.content.decode(), newline="")))
    for row in rows:
        del row["id"]
    return rows


HUBSPOT = (
    "Record ID;Activity Date;Activity Type;Channel;Contact ID;Deal Stage;Activity Owner;Body\r\n"
    "101;26/11/2026 09:30;Retweet;Twitter;9001;Qualified;Zoë;Café ☕ thread\r\n"
    "102;27/11/2026 18:05;Post;LinkedIn;9002;Closed Won;Zoë;\r\n"
    "103;01/11/2026 01:30;Comment;X;9003;;Zoë;Nice\r\n"
)
HUBSPOT_COLUMNS = (
    "Activity Date:occurred_at,Activity Type:kind,Channel:platform,Body:text,Record ID:external_id"
)


def test_a_hubspot_like_export_with_a_mapping(client):
    uid = make_user(client)
    body = HUBSPOT.replace("☕ ", "").encode("windows-1252")
    r = post(
        client,
        uid,
        body,
        "application/vnd.ms-excel; charset=windows-1252",
        columns=HUBSPOT_COLUMNS,
        unknown_columns="ignore",
        date_format="dmy",
        timezone="Europe/Berlin",
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["created"] == 3
    assert answer["ignored_columns"] == ["Contact ID", "Deal Stage", "Activity Owner"]
    got = [(e["platform"], e["kind"], e["occurred_at"], e["text"]) for e in events(client, uid)]
    assert got == [
        ("x", "comment", "2026-11-01T00:30:00Z", "Nice"),
        ("x", "share", "2026-11-26T08:30:00Z", "Café thread"),
        ("linkedin", "post", "2026-11-27T17:05:00Z", None),
    ]
    # Idempotent by external_id: the same file again changes nothing.
    again = post(
        client,
        uid,
        body,
        "application/vnd.ms-excel; charset=windows-1252",
        columns=HUBSPOT_COLUMNS,
        unknown_columns="ignore",
        date_format="dmy",
        timezone="Europe/Berlin",
    ).json()
    assert (again["created"], again["duplicates"]) == (0, 3)


SALESFORCE = (
    "Platform\tKind\tOccurred At\tIs Sales\tExternal_ID\tDirection\tCounterpart\r\n"
    "X\tDM\t2026-11-26 09:30:00+01:00\tYes\tsf-1\tOutgoing\t@Bob\r\n"
    "Twitter\tReply\t2026-11-26T08:40:00Z\tNo\tsf-2\t\tbob\r\n"
    "LinkedIn\tFriend Request\t11/26/2026 9:30 AM\t\tsf-3\tinbound\t\r\n"
    "linkedin\tlike\t11/26/2026 9:45 PM\tFALSE\tsf-4\tOUTBOUND\t\r\n"
)


def test_a_salesforce_like_utf16_tab_file_with_aliases(client):
    uid = make_user(client)
    body = SALESFORCE.encode("utf-16")  # with a byte-order mark
    r = post(client, uid, body, "text/plain", date_format="mdy", timezone="America/New_York")
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 4 and r.json()["ignored_columns"] == []
    got = [
        (
            e["platform"],
            e["kind"],
            e["occurred_at"],
            e["is_sales"],
            e["direction"],
            e["counterpart"],
        )
        for e in events(client, uid)
    ]
    assert got == [
        ("x", "direct_message", "2026-11-26T08:30:00Z", True, "outbound", "bob"),
        ("x", "reply", "2026-11-26T08:40:00Z", False, "outbound", "bob"),
        ("linkedin", "follow", "2026-11-26T14:30:00Z", False, "inbound", None),
        ("linkedin", "like", "2026-11-27T02:45:00Z", False, "outbound", None),
    ]


def test_media_types_charsets_and_byte_order_marks(client):
    uid = make_user(client)
    row = "platform,kind,occurred_at,text,external_id\r\nx,post,2026-11-02T10:00:00Z,naïve,{}\r\n"
    for i, (body, media) in enumerate(
        [
            (row.format(1).encode(), "application/csv"),
            (b"\xef\xbb\xbf" + row.format(2).encode(), "text/csv; charset=utf-8"),
            (row.format(3).encode("utf-16-le"), "text/csv; charset=UTF-16LE"),
            (row.format(4).encode("latin-1"), 'text/csv; charset="ISO-8859-1"'),
        ]
    ):
        r = post(client, uid, body, media)
        assert r.status_code == 200, (i, r.text)
    assert {e["text"] for e in events(client, uid)} == {"naïve"}
    problem(post(client, uid, row.format(5), "text/csv; charset=klingon"), 415)
    problem(post(client, uid, row.format(5), "application/json"), 415)
    bad = problem(post(client, uid, row.format(6).encode("latin-1")), 422, "invalid_csv")
    assert "charset=windows-1252" in bad["detail"]
    semicolons = "platform;kind;occurred_at\nx;post;2026-11-02T10:00:00Z\n"
    assert post(client, uid, semicolons).json()["created"] == 1


def test_unknown_columns_are_rejected_by_default_and_named(client):
    uid = make_user(client)
    body = "Platform,Kind,Occurred At,contact id,deal stage\nx,post,2026-11-02T10:00:00Z,1,won\n"
    bad = problem(post(client, uid, body), 422, "invalid_csv_header")
    assert {e["column"] for e in bad["errors"]} == {"contact id", "deal stage"}
    assert "unknown_columns=ignore" in bad["detail"]
    r = post(client, uid, body, unknown_columns="ignore")
    assert r.json()["ignored_columns"] == ["contact id", "deal stage"]
    mapping = problem(
        post(client, uid, body, columns="Channel:platform"), 422, "invalid_csv_header"
    )
    assert any(e["detail"] == "?columns= names a missing column" for e in mapping["errors"])
    wrong = problem(post(client, uid, body, columns="Channel:network"), 422, "validation_error")
    assert wrong["errors"][0]["parameter"] == "columns" and "'Channel:network'" in wrong["detail"]
    twice = "platform,Channel,kind,occurred_at\nx,x,post,2026-11-02T10:00:00Z\n"
    problem(post(client, uid, twice, columns="Channel:platform"), 422, "invalid_csv_header")


def test_timestamps_without_offset_or_day_order_name_the_parameter(client):
    uid = make_user(client)
    head = "platform,kind,occurred_at\n"
    slashed = problem(post(client, uid, head + "x,post,26/11/2026 09:30\n"), 422, "invalid_csv")
    (item,) = slashed["errors"]
    assert item["value"] == "26/11/2026 09:30" and "date_format=dmy" in item["detail"]
    assert "'26/11/2026 09:30'" in item["detail"]
    naive = problem(post(client, uid, head + "x,post,2026-11-26 09:30\n"), 422, "invalid_csv")
    assert "UTC offset" in naive["errors"][0]["detail"]
    assert "?timezone=" in naive["errors"][0]["detail"]
    # Day-first read as month-first is a date that does not exist.
    problem(post(client, uid, head + "x,post,26/11/2026 09:30\n", date_format="mdy"), 422)
    problem(post(client, uid, head + "x,post,2026-11-26 09:30\n", timezone="Mars/Base"), 422)


def test_naive_times_on_dst_days(client):
    uid = make_user(client)
    head = "platform,kind,occurred_at\n"
    gap = problem(
        post(client, uid, head + "x,post,2026-03-08 02:30\n", timezone="America/New_York"), 422
    )
    assert "skip" in gap["errors"][0]["detail"]
    r = post(
        client,
        uid,
        head + "x,post,2026-03-08 03:30\nx,post,2026-11-01 01:30\nx,post,2026-11-01 02:30\n",
        timezone="America/New_York",
    )
    assert r.status_code == 200, r.text
    assert [e["occurred_at"] for e in events(client, uid)] == [
        "2026-03-08T07:30:00Z",  # EDT
        "2026-11-01T05:30:00Z",  # the first 01:30 (EDT) of the hour that happens twice
        "2026-11-01T07:30:00Z",  # EST
    ]


def test_bad_rows_list_the_first_hundred_errors_with_the_value_and_a_count(client):
    uid = make_user(client)
    body = "platform,kind,occurred_at\n" + "myspace,post,2026-11-02T10:00:00Z\n" * 5000
    r = post(client, uid, body)
    bad = problem(r, 422, "invalid_csv")
    assert len(r.content) < 64 * 1024, len(r.content)
    assert len(bad["errors"]) == csv_import.MAX_LISTED and bad["error_count"] == 5000
    first = bad["errors"][0]
    assert (first["row"], first["line"], first["column"], first["value"]) == (
        1,
        2,
        "platform",
        "myspace",
    )
    assert "'myspace' is not a platform" in first["detail"]
    assert "5000 row(s) are invalid" in bad["detail"]
    assert events(client, uid) == []


def test_the_export_of_the_most_rows_imports_back_unchanged(client):
    """100,000 events (the row limit): export, import into another user, same export."""
    rows = csv_read.MAX_IMPORT_ROWS
    kinds = ("post", "reply", "like", "share", "follow")
    lines = ["platform,kind,occurred_at,counterpart,text,external_id"]
    for i in range(rows):
        day, second = divmod(i, 86_400)
        lines.append(
            f"x,{kinds[i % 5]},2026-{9 + day // 30:02d}-{1 + day % 30:02d}T"
            f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z,"
            f"p{i % 97},=cell {i},e{i}"
        )
    source, copy = make_user(client, "Source"), make_user(client, "Copy")
    r = post(client, source, "\r\n".join(lines) + "\r\n")
    assert r.status_code == 200 and r.json()["created"] == rows, r.text[:500]
    export = client.get(f"/v1/users/{source}/events", headers={"Accept": "text/csv"}).content
    assert len(export) > 1 << 20  # more than the JSON body limit
    r = post(client, copy, export)
    assert r.status_code == 200 and r.json()["created"] == rows, r.text[:500]
    first = exported(client, source)
    assert len(first) == rows and first == exported(client, copy)
