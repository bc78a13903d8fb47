"""A Python client generated from the committed openapi.json by openapi-python-client (a
tool nobody here wrote) drives the real app: clients/python_example.py, the README's
example, creates a user, a plan and events (JSON and CSV) and reads the insights."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import http

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("client") / "rapport_client"
    result = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(ROOT / "openapi.json"),
            "--config",
            str(ROOT / "clients/openapi-python-client.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(out),
        ],
        capture_output=True,
        text=True,
        env={"PATH": f"{BIN}:/usr/bin:/bin"},  # its post-hooks run ruff
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "will not be generated" not in output, output
    sys.path.insert(0, str(out.parent))
    yield out
    sys.path.remove(str(out.parent))
    for name in [
        m for m in sys.modules if m == "rapport_client" or m.startswith("rapport_client.")
    ]:
        del sys.modules[name]


def test_the_generated_client_has_one_module_per_operation_and_enum(generated):
    api = {p.stem for p in (generated / "api").rglob("*.py")} - {"__init__"}
    assert {"create_user", "record_event", "record_events", "import_events", "get_pacing"} <= api
    models = {p.stem for p in (generated / "models").glob("*.py")}
    assert "platform" in models and not [m for m in models if m.endswith("_platform")]


def test_the_readme_example_runs_against_the_app(generated, app, api_key):
    from rapport_client import AuthenticatedClient
    from rapport_client.models import CsvImportResult, PacingOut, ProblemDetails, ReportOut

    spec = importlib.util.spec_from_file_location(
        "python_example", ROOT / "clients/python_example.py"
    )
    assert spec and spec.loader
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)

    client = AuthenticatedClient(base_url="http://rapport.test", token=api_key)
    # The app in process: the generated client's requests go through a TestClient (an
    # httpx.Client); its own Authorization header is the one checked.
    with http(app, None) as transport:
        transport.headers["Authorization"] = f"{client.prefix} {client.token}"
        client.set_httpx_client(transport)
        got = example.coach(client)

    imported = got["imported"]
    assert isinstance(imported, CsvImportResult), imported
    assert imported.created == 2 and imported.ignored_columns == ["Contact ID"]
    pacing = got["pacing"]
    assert isinstance(pacing, PacingOut), pacing
    assert pacing.platform == "x" and pacing.follows_today == 1
    ratio = got["sales_ratio"]
    assert ratio.sales == 1 and ratio.non_sales == 3, ratio  # post, share and the LinkedIn post
    report = got["report"]
    assert isinstance(report, ReportOut) and report.week == "2026-W48"
    # Errors come back typed: a problem with its stable code and the existing id.
    duplicate = got["duplicate"]
    assert isinstance(duplicate, ProblemDetails)
    assert duplicate.code == "external_id_conflict" and duplicate.existing_id == str(got["user"].id)
