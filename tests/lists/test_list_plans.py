"""Every list pages by an index range (issue 19): at a cursor half way down each list, with
every filter, the plan reads one index from the cursor on and stops after about a page.

SQLite (EXPLAIN QUERY PLAN): a SEARCH of the list's index, no SCAN of a table and no temp
b-tree for the whole ORDER BY (one for its "right part", the ties of the leading column
read in index order, is a per-group sort that stops with the page). PostgreSQL (EXPLAIN
ANALYZE): no Seq Scan or Bitmap Heap Scan, no full Sort (an Incremental Sort of the ties is
fine), and the rows the scans read, kept or removed by a filter, stay far below the rows
after the cursor. Sequential scans are priced out (the tables here are small enough for a
scan to win); sorts are not.
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from app.auth import service as auth_service
from app.contacts import summaries
from app.contacts.models import CONTACT_TABLE, HANDLE_TABLE, TAG_TABLE
from app.core.pagination import encode_cursor
from app.events import csv_io, service
from app.events.models import EVENT_TABLE
from app.relationships import kept
from app.users import service as users
from app.users.models import USER_TABLE, User
from tests.support.plans import Plan, explain

EVENTS = 4000
USERS = 1000
CONTACTS = 1000
LIMIT = 10
READ_BOUND = 200  # rows a page may read; every cursor here has ≥ 1,000 rows after it
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PLATFORMS = ("x", "linkedin", "instagram", "facebook")
KINDS = (("comment", "outbound"), ("reply", "outbound"), ("reply", "inbound"), ("like", "inbound"))
E, U, C, H = EVENT_TABLE.c, USER_TABLE.c, CONTACT_TABLE.c, HANDLE_TABLE.c


def _analyze(session: Session) -> None:
    session.execute(text("ANALYZE"))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))


@pytest.fixture
def lister(session) -> Iterator[User]:
    workspace = auth_service.get_or_create_workspace(session, "plans")
    user = User(workspace_id=workspace.id, name="Lister")
    session.add(user)
    session.flush()
    session.execute(
        EVENT_TABLE.insert(),
        [
            {
                "id": uuid.uuid4(),
                "user_id": user.id,
                "platform": PLATFORMS[i % 4],
                "kind": KINDS[(i // 4) % 4][0],
                "direction": KINDS[(i // 4) % 4][1],
                "occurred_at": T0 + timedelta(minutes=i),
                "counterpart": f"p{i % 40}",
                "is_sales": i % 3 == 0,
                "created_at": T0,
            }
            for i in range(EVENTS)
        ],
    )
    session.execute(
        USER_TABLE.insert(),
        [
            {
                "id": uuid.uuid4(),
                "workspace_id": workspace.id,
                "name": f"user {i}",
                "timezone": "UTC",
                "sales_ratio": 10.0,
                "interaction_share_target": 0.5,
                "keep_in_touch_days": 30,
                "created_at": T0 + timedelta(seconds=i),
                "updated_at": T0,
            }
            for i in range(USERS)
        ],
    )
    contacts = [
        {
            "id": uuid.uuid4(),
            "user_id": user.id,
            "name": f"contact {i}",
            "tags": [],
            "created_at": T0,
            "last_contact_at": T0 + timedelta(hours=i),
            "due_at": T0 + timedelta(hours=i, days=30),
            "stage": ("know", "like")[i % 2],
        }
        for i in range(CONTACTS)
    ]
    session.execute(CONTACT_TABLE.insert(), contacts)
    session.execute(
        HANDLE_TABLE.insert(),
        [
            {
                "user_id": user.id,
                "handle": f"h{i:04d}",
                "contact_id": c["id"],
                "last_contact_at": c["last_contact_at"],
                "stage": c["stage"],
            }
            for i, c in enumerate(contacts)
        ],
    )
    session.execute(
        TAG_TABLE.insert(),
        [{"user_id": user.id, "tag": "vip", "contact_id": c["id"]} for c in contacts[::2]],
    )
    _analyze(session)
    yield user


def assert_index_range(
    plan: Plan,
    index: str | tuple[str, ...],
    unique_lookup: bool = False,
    exact: bool = False,
    list_only: bool = False,
    merged: bool = False,
) -> None:
    """``merged``: the page merges bounded index ranges (contacts: one range per cadence,
    each cut at a page, or a rare tag's or q's set of ids), so a sort of their few rows is
    allowed, never a scan of the table. ``unique_lookup``: the condition names at most one row (a sort of it is no cost).
    ``exact``: the index ends with the list's sort key, so the row-value bound is the index
    condition itself and nothing is sorted, not even the ties. ``list_only``: check the
    list's own scan, not a subquery's (the handles a substring search hashes once a page)."""
    names = (index,) if isinstance(index, str) else index
    shown = plan.text()
    assert any(f"INDEX {n}" in shown or f"Scan {n}" in shown for n in names), shown  # prefix
    if plan.dialect == "sqlite":
        scans = [line for line in plan.lines if line.startswith("SCAN ")]
        if merged:  # the co-routines' merged rows, not a table
            scans = [line for line in scans if not line.startswith("SCAN anon_")]
        assert not scans, shown
        assert merged or "USE TEMP B-TREE FOR ORDER BY" not in shown, shown
        if exact:
            assert "TEMP B-TREE" not in shown, shown
            assert ")<(?,?)" in shown or ")>(?,?)" in shown, shown
        return
    nodes = [n for n in plan.nodes if not (list_only and n["in_subplan"])]
    kinds = [n["Node Type"] for n in nodes]
    assert "Seq Scan" not in kinds, shown
    # A rare tag's or q's ids (at most summaries.NARROW_CAP) may be read by a bitmap.
    assert merged or "Bitmap Heap Scan" not in kinds, shown
    assert unique_lookup or merged or "Sort" not in kinds, shown
    if exact:
        assert "Incremental Sort" not in kinds, shown
        assert not any("ROW(" in str(n.get("Filter", "")) for n in plan.nodes), shown
    read = sum(
        (int(n.get("Actual Rows", 0)) + int(n.get("Rows Removed by Filter", 0)))
        * int(n.get("Actual Loops", 1))
        for n in nodes
        if "Scan" in n["Node Type"]
    )
    bound = READ_BOUND + (2 * summaries.NARROW_CAP if merged else 0)
    assert read <= bound, f"{read} rows read for a page of {LIMIT}\n{shown}"


def _half_way(session: Session, keys: Any, where: list[Any], order: list[Any]) -> Any:
    n = session.execute(
        select(func.count()).select_from(keys.get_final_froms()[0]).where(*where)
    ).scalar_one()
    return session.execute(keys.where(*where).order_by(*order).offset(n // 2).limit(1)).one()


F = service.EventFilters
# Filters served by the covering window index (user_id, platform, kind, occurred_at, …),
# which has no id: the bound is a range of occurred_at, the ties are sorted as they come.
NOT_EXACT = frozenset({"platform+kind", "platform+kind+direction"})
EVENT_CASES = {
    "none": F(),
    "platform": F(platform="x"),
    "kind": F(kind="reply"),
    "direction": F(direction="inbound"),
    "counterpart": F(counterpart="p1"),
    "is_sales": F(is_sales=True),
    "from": F(occurred_from=T0 + timedelta(minutes=100)),
    "to": F(occurred_to=T0 + timedelta(minutes=3900)),
    "platform+kind": F(platform="x", kind="reply"),
    "platform+kind+direction": F(platform="x", kind="reply", direction="inbound"),
    "counterpart+platform": F(counterpart="p1", platform="linkedin"),
}


@pytest.mark.parametrize("case", EVENT_CASES)
def test_events_page_at_a_deep_cursor_is_an_index_range(session, lister, case):
    f = EVENT_CASES[case]
    at, id_ = _half_way(
        session,
        select(E.occurred_at, E.id),
        [E.user_id == lister.id, *f.conditions()],
        service.KEYSET.order_by(),
    )
    plan = explain(session, service.page_query(lister.id, f, LIMIT, encode_cursor(at, id_)))
    assert_index_range(
        plan,
        ("ix_event_user_time", "ix_event_user_counterpart", "ix_event_window"),
        exact=case not in NOT_EXACT,
    )


def test_csv_export_page_at_a_deep_cursor_is_an_index_range(session, lister):
    at, id_ = _half_way(
        session, select(E.occurred_at, E.id), [E.user_id == lister.id], service.KEYSET.order_by()
    )
    page = csv_io._export_page(lister.id, F(), (at, id_)).limit(LIMIT)
    assert_index_range(explain(session, page), "ix_event_user_time", exact=True)


@pytest.mark.parametrize("external_id", [None, "nobody"])
def test_users_page_at_a_deep_cursor_is_an_index_range(session, lister, external_id):
    where = [U.workspace_id == lister.workspace_id]
    at, id_ = _half_way(session, select(U.created_at, U.id), where, users.USERS_KEYSET.order_by())
    stmt = users.list_query(lister.workspace_id, LIMIT, encode_cursor(at, id_), external_id)
    # With external_id, the unique constraint's index (SQLite names it sqlite_autoindex_…).
    unique = ("uq_user_workspace_external", "sqlite_autoindex_app_user")
    plan = explain(session, stmt)
    assert_index_range(
        plan,
        ("ix_app_user_workspace_created", *unique),
        unique_lookup=external_id is not None,
        exact=external_id is None,
    )


CF = summaries.Filters
CONTACT_CASES = {
    "none": CF(),
    "stage": CF(stage="like"),
    "stale": CF(stale=False),
    "due_before": CF(due_before=T0 + timedelta(days=3000)),
    "tag": CF(tag="vip"),
    # A substring: a filter over the sort's index range, read until a page matches (a
    # rare one reads on to the end: no B-tree finds substrings); here every name matches.
    "q": CF(q="contact"),
    "q handle": CF(q="h0"),
}


@pytest.mark.parametrize("sort", ["last_contact", "due"])
@pytest.mark.parametrize("case", CONTACT_CASES)
def test_contacts_page_at_a_deep_cursor_is_an_index_range(session, lister, sort, case):
    column, descending, _ = summaries.SORTS[sort]
    order = [column.desc(), C.id.desc()] if descending else [column.asc(), C.id.asc()]
    at, id_ = _half_way(session, select(column, C.id), [C.user_id == lister.id], order)
    as_of = T0 + timedelta(days=40)
    stmt, params = summaries.page_query(
        session, lister, as_of, CONTACT_CASES[case], sort, (at, id_), LIMIT
    )
    assert_index_range(
        explain(session, stmt, params),
        # pk_contact: a rare tag's or q's ids are read by the primary key
        (*(str(i.name) for i in CONTACT_TABLE.indexes), "pk_contact"),
        list_only=case.startswith("q"),
        merged=True,
    )


@pytest.mark.parametrize("stage", [None, "like"])
@pytest.mark.parametrize("stale", [None, False])
def test_relationships_page_at_a_deep_cursor_is_an_index_range(session, lister, stage, stale):
    order = [H.last_contact_at.desc(), H.handle.asc()]
    at, handle = _half_way(
        session, select(H.last_contact_at, H.handle), [H.user_id == lister.id], order
    )
    cutoff = T0 - timedelta(days=1)
    stmt = kept.page(lister.id, stage, cutoff, stale, (at, handle), LIMIT)
    assert_index_range(explain(session, stmt), tuple(i.name for i in HANDLE_TABLE.indexes))
