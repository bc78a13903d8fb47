"""GET /users/{id}/report?week= at the edges of the calendar (issue 10, finding 5).

The accepted weeks are the ISO weeks that hold a day of the accepted instants (1970-01-01
to 2099-12-31): 1970-W01 (Monday 1969-12-29) to 2099-W53 (Sunday 2100-01-03). Anything
outside is a 422 problem that names the range; 9999-W52 used to overflow Python's dates
(a 500 that dropped the connection).
"""

import pytest

from tests.knowledge.helpers import make_user, problem


def _report(client, uid, **params):
    return client.get(f"/v1/users/{uid}/report", params=params)


@pytest.mark.parametrize(
    "week",
    [
        "9999-W52",
        "9999-W51",
        "9999-W53",
        "2100-W01",
        "0001-W01",
        "1969-W52",
        "0000-W01",
        "2199-W10",
    ],
)
def test_weeks_outside_the_range_are_a_422_that_names_it(client, week):
    uid = make_user(client)
    body = problem(_report(client, uid, week=week), 422, "invalid_week")
    assert "1970-W01" in body["detail"] and "2099-W53" in body["detail"], body
    assert body["errors"] == [{"parameter": "week", "in": "query", "detail": body["detail"]}]


@pytest.mark.parametrize("timezone", ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_the_first_and_last_weeks_answer(client, timezone):
    uid = make_user(client, timezone=timezone)
    r = _report(client, uid, week="1970-W01", as_of="2026-12-01T00:00:00Z")
    assert r.status_code == 200, r.text
    assert (r.json()["first_day"], r.json()["last_day"]) == ("1969-12-29", "1970-01-04")
    # 2099-W53 exists (2099 starts on a Thursday): it answers once it has begun.
    r = _report(client, uid, week="2099-W53", as_of="2099-12-31T23:59:59Z")
    assert r.status_code == 200, r.text
    assert (r.json()["first_day"], r.json()["last_day"]) == ("2099-12-28", "2100-01-03")
    body = problem(
        _report(client, uid, week="2099-W53", as_of="2099-12-27T00:00:00Z"), 422, "week_not_started"
    )
    assert "2099-12-28" in body["detail"]


def test_2026_has_53_weeks(client):
    # 28 Dec 2026 is a Monday in ISO week 53: 2026-W53 runs to Sunday 2027-01-03.
    uid = make_user(client)
    r = _report(client, uid, week="2026-W53", as_of="2027-01-10T00:00:00Z")
    assert r.status_code == 200, r.text
    assert (r.json()["week"], r.json()["last_day"], r.json()["complete"]) == (
        "2026-W53",
        "2027-01-03",
        True,
    )
    body = problem(_report(client, uid, week="2025-W53"), 422, "invalid_week")
    assert "ISO year 2025 has weeks 01 to 52" in body["detail"]
