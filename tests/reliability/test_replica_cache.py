"""The window cache across processes: each `rapport serve` process keeps whole days of a
user's figures and takes an entry as good when the user's events_version (read with the
key) is the one the entry was kept with. Two writers on two servers (on SQLite, three
processes) post and delete back-dated posts of one user at the same moments, while
readers on both keep every process's cache warm; after each acknowledged write, the
writer reads the day from the *other* server, which must count it exactly (the other
writer's days change the number all the time, so a reader that read the number before a
write and the days after it must not keep a stale answer under a newer one).
"""

import random
import threading
from datetime import UTC, date, datetime, timedelta

AS_OF = datetime(2026, 11, 30, 12, tzinfo=UTC)
FIRST, LAST = date(2026, 9, 2), date(2026, 11, 30)  # a 90-day posting range
ROUNDS = 40


def _days(client, user_id: str) -> dict[str, int]:
    r = client.get(
        f"/v1/users/{user_id}/posting",
        params={
            "platform": "x",
            "from": FIRST.isoformat(),
            "to": LAST.isoformat(),
            "as_of": AS_OF.isoformat(),
        },
    )
    assert r.status_code == 200, r.text
    return {d["date"]: d["posts"] for d in r.json()["platforms"][0]["days"]}


def test_every_process_counts_a_write_of_another_at_once(deployment):
    servers = deployment.servers
    with servers[0].client(timeout=60) as client:
        user_id = client.post("/v1/users", json={"name": "cache", "timezone": "UTC"}).json()["id"]
    stop = threading.Event()
    failures: list[str] = []

    def read(n: int) -> None:
        with servers[n % len(servers)].client(timeout=60) as client:
            while not stop.is_set():
                _days(client, user_id)

    def write(n: int) -> None:
        rng = random.Random(n)
        # Writer n owns the days with day-of-year % 2 == n: its expectations are exact.
        own = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days)]
        own = [d for d in own if d.toordinal() % 2 == n]
        counts: dict[date, list[str]] = {}
        with (
            servers[n % len(servers)].client(timeout=60) as mine,
            servers[(n + 1) % len(servers)].client(timeout=60) as other,
        ):
            for _ in range(ROUNDS):
                day = rng.choice(own)
                ids = counts.setdefault(day, [])
                if ids and rng.random() < 0.3:
                    r = mine.delete(f"/v1/users/{user_id}/events/{ids.pop()}")
                    assert r.status_code == 204, r.text
                else:
                    at = datetime(day.year, day.month, day.day, rng.randrange(24), tzinfo=UTC)
                    body = {"platform": "x", "kind": "post", "occurred_at": at.isoformat()}
                    r = mine.post(f"/v1/users/{user_id}/events", json=body)
                    assert r.status_code == 201, r.text
                    ids.append(r.json()["id"])
                seen = _days(other, user_id).get(day.isoformat(), 0)
                if seen != len(ids):
                    failures.append(f"writer {n}: {day} has {len(ids)} posts, other saw {seen}")

    readers = [threading.Thread(target=read, args=(n,)) for n in range(4)]
    writers = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert not failures, failures[:5]
