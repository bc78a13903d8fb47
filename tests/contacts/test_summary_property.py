"""Property: after random inserts, deletes, merges, splits and changes of time zone and
sales ratio, every kept summary row (handle and contact) equals a recount from the events."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.auth import service as auth_service
from app.calc import contacts as calc
from app.calc.vocabulary import CONTACTS, KINDS
from app.contacts import merging
from app.contacts.models import CONTACT_TABLE, HANDLE_TABLE
from app.events import store
from app.events.models import EventIn
from app.users import service as users
from app.users.models import UserCreate, UserSettings, UserUpdate

HANDLES = ["ann", "bo", "cy", "di"]
ZONES = ["UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati", "Pacific/Pago_Pago"]
START = datetime(2026, 3, 7, 0, 0, tzinfo=UTC)

insert = st.tuples(
    st.just("insert"),
    st.sampled_from(HANDLES),
    st.sampled_from(KINDS),
    st.sampled_from(["inbound", "outbound"]),
    st.integers(0, 4 * 24 * 4),  # quarter hours over 4 days around the DST change
    st.booleans(),
)
operation = st.one_of(
    insert,
    insert,
    insert,
    st.tuples(st.just("delete"), st.integers(0, 1000)),
    st.tuples(st.just("merge"), st.sampled_from(HANDLES), st.sampled_from(HANDLES)),
    st.tuples(st.just("split"), st.sampled_from(HANDLES)),
    st.tuples(st.just("zone"), st.sampled_from(ZONES)),
    st.tuples(st.just("ratio"), st.sampled_from([1.0, 2.0, 3.0])),
    st.tuples(st.just("cadence"), st.integers(1, 60)),
)


def _contact_of(session, user_id, handle):
    H = HANDLE_TABLE.c
    return session.execute(
        select(H.contact_id).where(H.user_id == user_id, H.handle == handle)
    ).scalar_one_or_none()


def _run(session, user, ops):
    events = []
    for op in ops:
        if op[0] == "insert":
            _, handle, kind, direction, quarter, sales = op
            item = EventIn(
                platform="x",
                kind=kind,
                direction=direction,
                occurred_at=START + timedelta(minutes=15 * quarter),
                counterpart=handle,
                is_sales=sales and kind in CONTACTS,
            )
            events.append(store.record(session, user.id, [item])[0].id)
        elif op[0] == "delete" and events:
            store.delete(session, user.id, events.pop(op[1] % len(events)))
        elif op[0] == "merge":
            into, other = _contact_of(session, user.id, op[1]), _contact_of(session, user.id, op[2])
            if into is not None and other is not None:
                merging.merge(session, user, into, [other], START)
        elif op[0] == "split":
            cid = _contact_of(session, user.id, op[1])
            if cid is not None:
                merging.split(session, user, cid, op[1], START)
        elif op[0] == "zone":
            users.update_user(session, user, UserUpdate(timezone=op[1]))
        elif op[0] == "ratio":
            users.update_user(session, user, UserUpdate(settings={"sales_ratio": op[1]}))
        elif op[0] == "cadence":
            users.update_user(session, user, UserUpdate(settings={"keep_in_touch_days": op[1]}))
        session.flush()


def _stage(user, f):
    return calc.stage(
        f.inbound,
        f.non_sales,
        user.sales_ratio,
        calc.local_day(f.first_inbound_at, user.zone),
        calc.local_day(f.last_inbound_at, user.zone),
        any_event=f.last_contact_at is not None,
    )


def _check(session, user):
    counted = store.handle_figures(session, user.id)
    fields = store.HandleFigures._fields
    by_contact = {}
    for row in session.execute(select(HANDLE_TABLE).where(HANDLE_TABLE.c.user_id == user.id)):
        expected = counted.get(row.handle, store.HandleFigures())
        kept = store.HandleFigures(**{f: getattr(row, f) for f in fields})
        assert kept == expected, row.handle
        assert row.stage == _stage(user, expected), row.handle
        by_contact.setdefault(row.contact_id, []).append(expected)
    kept_handles = set(
        session.execute(
            select(HANDLE_TABLE.c.handle).where(HANDLE_TABLE.c.user_id == user.id)
        ).scalars()
    )
    assert set(counted) <= kept_handles  # every handle of the events has its row
    contacts = session.execute(select(CONTACT_TABLE).where(CONTACT_TABLE.c.user_id == user.id))
    seen = set()
    for row in contacts:
        seen.add(row.id)
        total = store.HandleFigures()
        for part in by_contact.get(row.id, []):
            total = total.plus(part)
        kept = store.HandleFigures(**{f: getattr(row, f) for f in fields})
        assert kept == total, row.id
        assert row.stage == _stage(user, total)
        k = row.keep_in_touch_days or user.keep_in_touch_days
        assert row.due_at == calc.due_at(total.last_contact_at, k)
    assert set(by_contact) <= seen  # every handle's contact exists


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=30))
def test_every_summary_row_equals_a_recount(session, ops):
    ws = auth_service.get_or_create_workspace(session, "property")
    user = users.create_user(
        session, ws.id, UserCreate(name="P", timezone="America/New_York", settings=UserSettings())
    )
    _run(session, user, ops)
    _check(session, user)
