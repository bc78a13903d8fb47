from tests.contacts.helpers import contacts, post


def test_a_new_handle_gets_a_contact(client, user):
    uid = user["id"]
    post(client, uid, occurred_at="2026-11-01T10:00:00Z", counterpart="@Grace", direction="inbound")
    post(client, uid, occurred_at="2026-11-01T11:00:00Z", counterpart="grace")
    page = contacts(client, uid, as_of="2026-11-02T00:00:00Z")
    assert len(page["items"]) == 1
    c = page["items"][0]
    assert c["handles"] == ["grace"]
    assert c["inbound"] == 1 and c["outbound"] == 1
    assert c["stage"] == "like"
    assert c["median_reply_minutes"] == 60.0
    r = client.get(f"/v1/users/{uid}/contacts/{c['id']}", params={"as_of": "2026-11-01T10:30:00Z"})
    assert r.status_code == 200, r.text
    assert r.json()["outbound"] == 0
