"""Contract fuzzing: schemathesis drives every operation of the committed openapi.json
through the live ASGI app on a real, migrated database (SQLite and PostgreSQL).

Each operation is one pytest test; its examples share the test's transaction (the `app`
fixture rolls it back afterwards), seeded with a user, a key, plans, a profile and events,
so generated requests reach real handlers: every {user_id} is the seeded user, every
{event_id} the seeded event. Positive cases follow the runtime rules JSON Schema cannot
state (tests/fuzz/runtime_rules.py); the checks are schemathesis' own.
"""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from app.auth import service as auth_service
from app.auth.models import ApiKey, Workspace
from app.calc.vocabulary import PLATFORMS
from app.events.models import Event, EventIn
from app.events.store import record as store_events
from app.events.store.maintenance import rebuild_counters
from app.idempotency.middleware import parse_key
from app.plans import service as plans_service
from app.plans.models import FollowPlanIn, PostingPlanIn
from app.profiles.models import Profile
from app.users.models import User
from tests.fuzz import runtime_rules

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.json"
SECRET = "rpk_fuzzContractKey0123456789abcdefABCDEF"
USER_ID = uuid.UUID("7f0c1d2e-3a4b-4c5d-8e6f-0a1b2c3d4e5f")
EVENT_ID = uuid.UUID("0e1d2c3b-4a59-4687-9a6b-5c4d3e2f1a0b")

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261127,
        "generation": {
            "mode": "all",
            "max-examples": 100,
            "deterministic": True,
            "database": "none",
        },
        # The coverage phase alone generates ~1650 cases for this API (minutes per backend);
        # positive and negative fuzzing of every operation fits the CI budget.
        "phases": {"coverage": {"enabled": False}},
        "parameters": {"path.user_id": str(USER_ID), "path.event_id": str(EVENT_ID)},
        "auth": {"openapi": {"HTTPBearer": {"bearer": SECRET}}},
    }
)
schema = schemathesis.openapi.from_path(OPENAPI, config=CONFIG)
schema.hook(runtime_rules.map_case)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    ignored_auth,
]


@pytest.fixture
def seeded(session):
    """The data every operation's examples start from, inside the test's transaction."""
    workspace = auth_service.get_or_create_workspace(session, "fuzz")
    auth_service.create_key(session, workspace, "fuzz", SECRET)
    user = User(id=USER_ID, workspace_id=workspace.id, name="Fuzz", timezone="Europe/Berlin")
    session.add(user)
    session.flush()
    for platform in PLATFORMS:
        plans_service.put_follow_plan(session, user, platform, FollowPlanIn(weekly_target=20))
        plans_service.put_posting_plan(session, user, platform, PostingPlanIn())
    session.add(
        Profile(
            user_id=USER_ID, platform="x", handle="fuzz", bio="Helps people build relationships."
        )
    )
    now = datetime.now(UTC)
    events = [
        EventIn(
            platform="x",
            kind=kind,
            direction=direction,
            counterpart=who,
            is_sales=sales,
            occurred_at=now - timedelta(hours=hours),
            external_id=f"seed-{i}",
        )
        for i, (kind, direction, who, sales, hours) in enumerate(
            [
                ("follow", "outbound", "ada", False, 30),
                ("follow", "inbound", "ada", False, 29),
                ("post", "outbound", None, False, 28),
                ("reply", "outbound", "ada", False, 5),
                ("mention", "inbound", "ada", False, 4),
                ("direct_message", "outbound", "bob", True, 3),
                ("comment", "outbound", "bob", False, 2),
                ("like", "outbound", "cy", False, 1),
            ]
        )
    ]
    store_events(session, USER_ID, events)
    session.add(
        Event(
            id=EVENT_ID,
            user_id=USER_ID,
            platform="linkedin",
            kind="share",
            direction="outbound",
            occurred_at=now - timedelta(days=2),
            text="seeded",
        )
    )
    session.flush()
    # Seeded straight into the table (a fixed id): the counters are rebuilt from the events.
    rebuild_counters(session.connection())
    session.commit()


@schema.parametrize()
@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # one transaction per operation, on purpose
def test_contract(case, app, seeded, monkeypatch):
    # Bind this test's app (and its transaction) to the schema, so the requests checks send
    # on their own (ignored_auth's probes) reach the same app.
    case.operation.schema.app = app
    if case.path.startswith("/v1/webhooks"):
        # A URL of a positive case (the schema's example, or generated: any string) names a
        # host that does not resolve here: a loopback URL instead, which this app allows;
        # secrets need a sealing key.
        body, meta = case.body, case.meta
        positive = meta is None or meta.generation.mode.is_positive
        if positive and isinstance(body, dict) and isinstance(body.get("url"), str):
            body["url"] = "http://127.0.0.1:9/hook"
        monkeypatch.setattr(
            app.state,
            "settings",
            app.state.settings.model_copy(
                update={"webhook_allow_loopback": True, "secret_key": "fuzz-only-secret-key"}
            ),
        )
    _without_a_usable_idempotency_key_on_sqlite(case, app)
    case.call_and_validate(app=app, checks=CHECKS)


def _without_a_usable_idempotency_key_on_sqlite(case, app) -> None:
    """The Idempotency-Key middleware claims keys in a write transaction of its own; on
    SQLite this test's open transaction holds the one write lock, so a claim could only
    wait and fail (503). A well-formed key is left out there (the case stays positive or
    negative for its other parts); a malformed one stays (refused with 400 before any
    database work). tests/reliability/test_idempotency.py covers the middleware on
    committed data on both backends."""
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if app.state.db.is_sqlite and key is not None and parse_key(key.encode("latin-1", "replace")):
        headers.pop("Idempotency-Key")


@pytest.fixture(scope="module", autouse=True)
def leaves_nothing_behind(database):
    """After this module's operations (per backend, and per xdist worker: each has its own
    database), the fuzzing's writes were all rolled back."""
    yield
    with database.engine.connect() as conn:
        for table, where in (
            (User.__table__, User.__table__.c.id == USER_ID),
            (Event.__table__, Event.__table__.c.user_id == USER_ID),
            (Workspace.__table__, Workspace.__table__.c.name == "fuzz"),
            (ApiKey.__table__, ApiKey.__table__.c.prefix == SECRET[:12]),
        ):
            assert (
                conn.execute(select(func.count()).select_from(table).where(where)).scalar_one() == 0
            )
