"""§12 endpoints: create (secret once, sealed at rest), list, read, patch, delete,
rotate, the URL rules (https; loopback only with the setting; private, link-local and
loopback addresses refused, also behind a name), and tenancy."""

import base64

import pytest

from app.webhooks.types import SUBSCRIBABLE
from tests.api.helpers import assert_problem
from tests.webhooks.conftest import client_for, create_webhook, rows


def test_create_shows_the_secret_once_and_stores_it_sealed(api, wh):
    created = create_webhook(api, "http://127.0.0.1:9/hook", description="CRM")
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert created["events"] == list(SUBSCRIBABLE) and created["enabled"] is True
    read = api.get(f"/v1/webhooks/{created['id']}").json()
    assert "secret" not in read and read["description"] == "CRM"
    listed = api.get("/v1/webhooks").json()
    assert [w["id"] for w in listed["items"]] == [created["id"]]
    assert all("secret" not in w for w in listed["items"]) and secret not in str(listed)
    # A dump of the row does not hold the secret, nor its base64 part.
    (row,) = rows(wh, "SELECT * FROM webhook_endpoint WHERE url = :u", u="http://127.0.0.1:9/hook")
    dumped = " ".join(str(v) for v in row)
    assert secret not in dumped and secret[6:] not in dumped


def test_list_pages_by_cursor(api):
    ids = [create_webhook(api, f"http://127.0.0.1:9/{i}")["id"] for i in range(3)]
    first = api.get("/v1/webhooks", params={"limit": 2}).json()
    assert [w["id"] for w in first["items"]] == ids[:2] and first["next_cursor"]
    second = api.get("/v1/webhooks", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [w["id"] for w in second["items"]] == ids[2:] and second["next_cursor"] is None


def test_patch_and_delete(api):
    created = create_webhook(api, "http://127.0.0.1:9/a")
    path = f"/v1/webhooks/{created['id']}"
    patched = api.patch(
        path,
        json={"url": "http://127.0.0.1:9/b", "events": ["posting.burst"], "enabled": False},
    ).json()
    assert (patched["url"], patched["events"], patched["enabled"]) == (
        "http://127.0.0.1:9/b",
        ["posting.burst"],
        False,
    )
    assert api.delete(path).status_code == 204
    assert_problem(api.get(path), 404, "not_found")


def test_another_workspace_sees_404(api, wh):
    created = create_webhook(api, "http://127.0.0.1:9/a")
    other = client_for(wh.db, wh.settings)
    for response in (
        other.get(f"/v1/webhooks/{created['id']}"),
        other.patch(f"/v1/webhooks/{created['id']}", json={"enabled": False}),
        other.delete(f"/v1/webhooks/{created['id']}"),
        other.post(f"/v1/webhooks/{created['id']}:rotate-secret"),
        other.get(f"/v1/webhooks/{created['id']}/deliveries"),
    ):
        assert_problem(response, 404, "not_found")
    assert other.get("/v1/webhooks").json()["items"] == []


def test_rotate_secret_gives_a_new_one_and_an_overlap(api):
    created = create_webhook(api, "http://127.0.0.1:9/a")
    rotated = api.post(f"/v1/webhooks/{created['id']}:rotate-secret").json()
    assert rotated["secret"] != created["secret"] and rotated["secret"].startswith("whsec_")
    assert rotated["previous_secret_expires_at"] is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://192.168.1.10/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "http://localhost:8080/hook",  # http, without the setting
        "https://localhost/hook",  # a name that resolves to 127.0.0.1
        "https://127.0.0.1/hook",
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
        "not a url",
    ],
)
def test_urls_refused_without_loopback(wh, url):
    strict = client_for(wh.db, wh.settings.model_copy(update={"webhook_allow_loopback": False}))
    body = assert_problem(
        strict.post("/v1/webhooks", json={"url": url}), 422, "invalid_webhook_url"
    )
    assert body["errors"][0]["pointer"] == "#/url"


def test_a_name_resolving_to_loopback_is_named_in_the_refusal(wh):
    strict = client_for(wh.db, wh.settings.model_copy(update={"webhook_allow_loopback": False}))
    body = assert_problem(strict.post("/v1/webhooks", json={"url": "https://localhost/hook"}), 422)
    assert (
        "localhost resolves to 127.0.0.1" in body["detail"] or "resolves to ::1" in body["detail"]
    )


def test_loopback_allowed_with_the_setting_but_not_private(api):
    assert api.post("/v1/webhooks", json={"url": "http://localhost:9/hook"}).status_code == 201
    assert_problem(api.post("/v1/webhooks", json={"url": "http://10.0.0.1/hook"}), 422)
    assert_problem(api.post("/v1/webhooks", json={"url": "https://169.254.169.254/"}), 422)


def test_patch_checks_the_url_too(wh):
    strict = client_for(wh.db, wh.settings.model_copy(update={"webhook_allow_loopback": False}))
    created = create_webhook(strict, "https://8.8.8.8/hook")
    response = strict.patch(f"/v1/webhooks/{created['id']}", json={"url": "https://10.0.0.1/"})
    assert_problem(response, 422, "invalid_webhook_url")


def test_unknown_event_type_is_a_422(api):
    assert_problem(
        api.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/", "events": ["nope"]}), 422
    )


def test_without_a_secret_key_creation_says_what_to_set(wh):
    bare = client_for(wh.db, wh.settings.model_copy(update={"secret_key": None}))
    body = assert_problem(
        bare.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/"}),
        503,
        "webhooks_not_configured",
    )
    assert "RAPPORT_SECRET_KEY" in body["detail"]
