"""openapi.json at the repository root is what the app serves; `make openapi` rewrites it."""

import json
from pathlib import Path

from app.main import create_app

COMMITTED = Path(__file__).resolve().parent.parent / "openapi.json"


def test_committed_openapi_matches_app():
    served = json.loads(json.dumps(create_app().openapi()))
    committed = json.loads(COMMITTED.read_text())
    assert committed == served, (
        "openapi.json drifted from the app: run `make openapi` and commit it"
    )
