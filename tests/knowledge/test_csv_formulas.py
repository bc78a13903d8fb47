"""SPEC §13 "CSV" (issue 10, finding 4): exported text cells that a spreadsheet would run as
a formula (starting with =, +, -, @, tab or CR) are neutralised by one leading "'", and the
import removes exactly that prefix, so a round trip is the identity.

The rule: a text cell (counterpart, url, text, external_id) gets one "'" when it matches
'* followed by a trigger (so "'=x" becomes "''=x"); the import removes one "'" from a cell
matching '+ followed by a trigger. Other columns (ids, vocabulary names, booleans and
timestamps, which start with a year) never start with a trigger and are written as they are.
"""

import csv
import io

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.events.csv_io import FORMULA_TRIGGERS, neutralise, restore
from tests.knowledge.helpers import make_user

TEXT_COLUMNS = ("counterpart", "url", "text", "external_id")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("''-1", "'''-1"),  # quotes before a trigger: one more
        ("'x", "'x"),
        ("'", "'"),
        ("''", "''"),
        ("x=1", "x=1"),
        ("", ""),
        (" =x", " =x"),
    ],
)
def test_the_rule(value, cell):
    assert neutralise(value) == cell
    assert restore(cell) == value


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_neutralise_is_undone_by_restore_and_never_leaves_a_trigger(value):
    cell = neutralise(value)
    assert restore(cell) == value
    assert not cell.startswith(FORMULA_TRIGGERS)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _stored(client, uid) -> list[tuple]:
    items = client.get(f"/v1/users/{uid}/events", params={"limit": 500}).json()["items"]
    return sorted(tuple(e[k] for k in ("occurred_at", *TEXT_COLUMNS)) for e in items)


# Arbitrary text without NUL (the API refuses it) and non-empty (an empty cell is null).
_TEXT = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=40,
)
_TRIGGERY = st.builds(
    lambda q, t, rest: q + t + rest,
    st.sampled_from(["", "'", "''"]),
    st.sampled_from(FORMULA_TRIGGERS),
    _TEXT,
)
_VALUE = st.one_of(_TEXT, _TRIGGERY)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(_VALUE, _VALUE, _VALUE, _VALUE), min_size=1, max_size=4))
@example([("@@bob", '=HYPERLINK("http://evil")', "'=1+1", "-2"), ("'@x", "+", "\r=x", "@")])
def test_http_round_trip_of_arbitrary_text(client, values):
    a, b = make_user(client, "A"), make_user(client, "B")
    events = [
        {
            "platform": "x",
            "kind": "reply",
            "occurred_at": f"2026-11-02T10:00:0{i}Z",
            "counterpart": c[:200],
            "url": u,
            "text": t,
            "external_id": f"{i}{e}",
        }
        for i, (c, u, t, e) in enumerate(values)
    ]
    r = client.post(f"/v1/users/{a}/events:batch", json={"events": events})
    if r.status_code != 200:  # e.g. a counterpart of whitespace only is null: still fine
        assert r.status_code == 422, r.text
        return
    exported = client.get(f"/v1/users/{a}/events", headers={"Accept": "text/csv"}).text
    for row in _rows(exported):
        for column in TEXT_COLUMNS:
            assert not row[column].startswith(FORMULA_TRIGGERS), (column, row[column])
    r = client.post(
        f"/v1/users/{b}/events:import",
        content=exported.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert _stored(client, b) == _stored(client, a)
    again = client.get(f"/v1/users/{b}/events", headers={"Accept": "text/csv"}).text

    def drop_id(rows):
        return sorted(str({k: v for k, v in row.items() if k != "id"}) for row in rows)

    assert drop_id(_rows(again)) == drop_id(_rows(exported))
