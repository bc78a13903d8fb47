"""The CSV import's memory does not grow with the file (issue 17): the peak of Python
allocations (tracemalloc) while importing 4,000 and 20,000 rows, in-process.

What still grows with the rows is the answer (an id per row, 16 bytes kept and 39 bytes of
JSON) and the line number of each row (8 bytes): about 0.1 KB a row, at most 1.6 MB here,
below the peak of validating a chunk (measured: 7.6 → 7.5 MiB). Before issue 17 the
buffered body, the staged rows (pickled, in memory), the external_ids seen and the ids as
objects grew with the file: 9.3 → 17.2 MiB for these two files (this test failed there).
"""

import gc
import tracemalloc

from tests.knowledge.helpers import make_user

SMALL, LARGE = 4_000, 20_000


def _file(rows: int, salt: str) -> bytes:
    lines = ["platform,kind,occurred_at,counterpart,text,external_id"]
    lines += [
        f"x,post,2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z,p{i % 97},"
        f"{'note ' * 30}{i},{salt}-{i:07d}"
        for i in range(rows)
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def _peak_import(client, rows: int) -> int:
    uid = make_user(client, f"memory {rows}")
    body = _file(rows, uid[:8])
    gc.collect()
    tracemalloc.start()
    try:
        r = client.post(
            f"/v1/users/{uid}/events:import", content=body, headers={"Content-Type": "text/csv"}
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 200 and r.json()["created"] == rows, r.text[:300]
    return peak


def test_the_peak_memory_of_an_import_barely_grows_with_the_file(client):
    small = _peak_import(client, SMALL)
    large = _peak_import(client, LARGE)
    growth = large - small
    # 16,000 more rows, ~3.4 MB more body: the answer and the line numbers (~1.6 MB), and
    # a generous margin; the buffering code grew by 8 MiB.
    assert growth < 5 << 20, f"peak {small / 2**20:.1f} → {large / 2**20:.1f} MiB"
