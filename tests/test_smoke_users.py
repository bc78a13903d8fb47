def test_create_and_read_user(client, user):
    r = client.get(f"/v1/users/{user['id']}")
    assert r.status_code == 200
    assert r.json()["name"] == "Ada"
