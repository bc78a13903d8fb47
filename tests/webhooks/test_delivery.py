"""§12 delivery: every request a real receiver gets is verified with the official
standardwebhooks library; rotation overlap; retries on the schedule with the same
webhook-id (the worker's clock is injected: no sleeping); disabled after 5 days of
failures; the address is checked again at delivery."""

import uuid

import pytest
from sqlalchemy import update
from standardwebhooks import Webhook, WebhookVerificationError

from app.calc.webhooks import RETRY_DELAYS
from app.webhooks.models import ENDPOINT_TABLE
from app.webhooks.worker import Worker
from tests.webhooks.conftest import Receiver, create_webhook


def _test(api, webhook: dict) -> dict:
    response = api.post(f"/v1/webhooks/{webhook['id']}:test")
    assert response.status_code == 202, response.text
    return response.json()


def _deliveries(api, webhook: dict) -> list[dict]:
    return api.get(f"/v1/webhooks/{webhook['id']}/deliveries").json()["items"]


def test_test_delivery_is_signed_per_standard_webhooks(api, receiver, worker):
    hook = create_webhook(api, receiver.url)
    queued = _test(api, hook)
    assert queued["status"] == "pending" and queued["event_type"] == "webhook.test"
    assert worker.run_once() == 1
    (got,) = receiver.received
    payload = Webhook(hook["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "webhook.test"
    assert payload["data"] == {"webhook_endpoint_id": hook["id"]}
    assert payload["timestamp"].endswith("Z")
    assert got.headers["webhook-id"] == queued["webhook_id"]
    (delivery,) = _deliveries(api, hook)
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "succeeded",
        1,
        200,
    )
    assert delivery["next_attempt_at"] is None
    # A wrong secret does not verify (the check above is not vacuous).
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(got.body, got.headers)


def test_rotation_signs_with_both_secrets_for_24_hours(api, receiver, worker, clock):
    hook = create_webhook(api, receiver.url)
    old = hook["secret"]
    new = api.post(f"/v1/webhooks/{hook['id']}:rotate-secret").json()["secret"]
    _test(api, hook)
    worker.run_once()
    got = receiver.received[-1]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(got.body, got.headers)
    Webhook(new).verify(got.body, got.headers)
    # After the overlap only the new secret signs.
    clock.advance(hours=24, seconds=1)
    _test(api, hook)  # due at the API's real now, before the worker's moved clock
    worker.run_once()
    got = receiver.received[-1]
    assert len(got.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(got.body, got.headers)


def test_500_twice_then_200_is_three_attempts_with_one_webhook_id(api, worker, clock):
    receiver = Receiver(script=[500, 500])
    try:
        hook = create_webhook(api, receiver.url)
        _test(api, hook)
        assert worker.run_once() == 1
        (delivery,) = _deliveries(api, hook)
        assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
            "pending",
            1,
            500,
        )
        assert delivery["last_error"] == "HTTP 500"
        assert worker.run_once() == 0  # not due before its retry time
        clock.advance(seconds=RETRY_DELAYS[0].total_seconds() * 1.1 + 0.01)
        assert worker.run_once() == 1
        assert worker.run_once() == 0
        clock.advance(seconds=RETRY_DELAYS[1].total_seconds() * 1.1 + 0.01)
        assert worker.run_once() == 1
        (delivery,) = _deliveries(api, hook)
        assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
            "succeeded",
            3,
            200,
        )
        assert len(receiver.received) == 3
        assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
        for r in receiver.received:
            Webhook(hook["secret"]).verify(r.body, r.headers)
    finally:
        receiver.close()


def test_a_hanging_receiver_times_out_and_is_retried(api, wh, clock, monkeypatch):
    monkeypatch.setattr("app.webhooks.delivery.TIMEOUT_S", 0.5)
    receiver = Receiver(script=[0], hang_s=2.0)
    w = Worker(wh.db, wh.settings, clock=clock)
    try:
        hook = create_webhook(api, receiver.url)
        _test(api, hook)
        w.run_once()
        (delivery,) = _deliveries(api, hook)
        assert delivery["status"] == "pending" and delivery["last_error"].startswith("timeout")
        clock.advance(seconds=6)
        w.run_once()
        (delivery,) = _deliveries(api, hook)
        assert (delivery["status"], delivery["attempts"]) == ("succeeded", 2)
    finally:
        w.close()
        receiver.close()


def test_fails_after_the_last_retry(api, worker, clock):
    receiver = Receiver(script=[500] * 20)
    try:
        hook = create_webhook(api, receiver.url)
        _test(api, hook)
        worker.run_once()
        for delay in RETRY_DELAYS:
            clock.advance(seconds=delay.total_seconds() * 1.1 + 0.01)
            assert worker.run_once() == 1
        (delivery,) = _deliveries(api, hook)
        assert (delivery["status"], delivery["attempts"]) == ("failed", 8)
        assert len(receiver.received) == 8
        clock.advance(days=2)
        assert worker.run_once() == 0
    finally:
        receiver.close()


def test_disabled_after_5_days_of_failures_and_enabled_again(api, worker, clock):
    receiver = Receiver(script=[500] * 100)
    try:
        hook = create_webhook(api, receiver.url)
        for _day in range(5):
            _test(api, hook)
            worker.run_once()
            assert api.get(f"/v1/webhooks/{hook['id']}").json()["enabled"] is True
            clock.advance(days=1)
        _test(api, hook)
        worker.run_once()
        read = api.get(f"/v1/webhooks/{hook['id']}").json()
        assert read["enabled"] is False and "5 days" in read["disabled_reason"]
        # Nothing new is queued for a disabled endpoint; enabling clears the reason.
        again = api.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": True}).json()
        assert again["enabled"] is True and again["disabled_reason"] is None
    finally:
        receiver.close()


def test_the_address_is_checked_again_at_delivery(api, wh, receiver, clock):
    hook = create_webhook(api, receiver.url)  # allowed: loopback with the setting
    strict = wh.settings.model_copy(update={"webhook_allow_loopback": False})
    w = Worker(wh.db, strict, clock=clock)
    try:
        _test(api, hook)
        w.run_once()
        assert receiver.received == []
        (delivery,) = _deliveries(api, hook)
        assert delivery["last_error"].startswith("refused:") and delivery["status"] == "pending"
    finally:
        w.close()


def test_dns_rebinding_a_name_resolving_to_loopback_at_delivery_is_refused(
    api, wh, receiver, clock
):
    """The endpoint's host is a name that resolves to 127.0.0.1 when the delivery is made
    (whatever it resolved to at creation): nothing is sent."""
    hook = create_webhook(api, receiver.url)
    port = receiver.server.server_address[1]
    with wh.db.session(write=True) as session:  # as if created while the name was public
        session.execute(
            update(ENDPOINT_TABLE)
            .where(ENDPOINT_TABLE.c.id == uuid.UUID(hook["id"]))
            .values(url=f"https://rebind.test:{port}/hook")
        )
        session.commit()
    strict = wh.settings.model_copy(update={"webhook_allow_loopback": False})
    w = Worker(wh.db, strict, clock=clock, resolver=lambda host, port: ["127.0.0.1"])
    try:
        _test(api, hook)
        w.run_once()
        assert receiver.received == []
        (delivery,) = _deliveries(api, hook)
        assert "rebind.test resolves to 127.0.0.1" in delivery["last_error"]
    finally:
        w.close()


def test_retry_endpoint_queues_a_finished_delivery_again(api, receiver, worker):
    hook = create_webhook(api, receiver.url)
    queued = _test(api, hook)
    path = f"/v1/webhooks/{hook['id']}/deliveries/{queued['id']}:retry"
    assert api.post(path).status_code == 409  # still pending
    worker.run_once()
    again = api.post(path)
    assert again.status_code == 202 and again.json()["status"] == "pending"
    worker.run_once()
    assert len(receiver.received) == 2
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
