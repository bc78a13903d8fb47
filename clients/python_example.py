"""Rapport from Python, with the client openapi-python-client generates from openapi.json
(README: "Using Rapport from your code"; tests/clients/test_python_client.py runs it).

    openapi-python-client generate --path openapi.json \
        --config clients/openapi-python-client.yaml --meta none --output-path rapport_client
"""

from datetime import UTC, datetime, timedelta, timezone
from io import BytesIO

from rapport_client import AuthenticatedClient
from rapport_client.api.events import import_events, record_event, record_events
from rapport_client.api.insights import get_pacing, get_sales_ratio
from rapport_client.api.plans import put_follow_plan
from rapport_client.api.reports import get_report
from rapport_client.api.users import create_user
from rapport_client.models import (
    EventBatchIn,
    EventIn,
    FollowPlanIn,
    ProblemDetails,
    UserCreate,
    UserPublic,
)
from rapport_client.types import File

NEW_YORK = timezone(timedelta(hours=-5))
CSV = b"""Platform;Kind;Occurred At;Contact ID
Twitter;Retweet;2026-11-26 13:00:00-05:00;9001
LinkedIn;Post;2026-11-26 14:00:00-05:00;9002
"""


def coach(client: AuthenticatedClient) -> dict[str, object]:
    """A user, a plan, events (JSON and CSV), then pacing, sales ratio and the report."""
    user = create_user.sync(
        client=client,
        body=UserCreate(name="Ada", timezone="America/New_York", external_id="crm-42"),
    )
    if isinstance(user, ProblemDetails):  # every refusal: a problem with a stable code
        raise RuntimeError(f"{user.code}: {user.detail}")
    assert isinstance(user, UserPublic)
    put_follow_plan.sync(user.id, "x", client=client, body=FollowPlanIn(weekly_target=50))
    record_event.sync(
        user.id,
        client=client,
        body=EventIn(
            platform="x",
            kind="follow",
            counterpart="@Grace",
            occurred_at=datetime(2026, 11, 26, 9, 30, tzinfo=NEW_YORK),
            external_id="x-f-1",
        ),
    )
    record_events.sync(
        user.id,
        client=client,
        body=EventBatchIn(
            events=[
                EventIn(
                    platform="x",
                    kind="post",
                    occurred_at=datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
                ),
                EventIn(
                    platform="x",
                    kind="direct_message",
                    counterpart="grace",
                    is_sales=True,
                    occurred_at=datetime(2026, 11, 26, 17, 0, tzinfo=UTC),
                ),
            ]
        ),
    )
    imported = import_events.sync(
        user.id,
        client=client,
        body=File(payload=BytesIO(CSV), file_name="crm.csv", mime_type="text/csv"),
        unknown_columns="ignore",
    )
    as_of = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
    pacing = get_pacing.sync(user.id, client=client, platform="x", as_of=as_of)
    ratio = get_sales_ratio.sync(user.id, client=client, as_of=as_of)
    report = get_report.sync(user.id, client=client, week="2026-W48", as_of=as_of)
    duplicate = create_user.sync(
        client=client, body=UserCreate(name="Ada again", external_id="crm-42")
    )
    return {
        "user": user,
        "imported": imported,
        "pacing": pacing,
        "sales_ratio": ratio,
        "report": report,
        "duplicate": duplicate,
    }
