"""TypeScript types generated from the committed openapi.json by openapi-typescript (a
tool nobody here wrote, default options) type-check the README's own request bodies and
its TypeScript example under `tsc --strict`.

The tools are pinned in clients/typescript/package-lock.json and installed with `npm ci`.
Without Node and npm the test is skipped, except under CI (CI=true), where it fails.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "clients/typescript"

# Which request body each README curl call sends, by the end of its URL.
BODIES = (
    (r"/users$", "UserCreate"),
    (r"/follow-plans/\w+$", "FollowPlanIn"),
    (r"/events$", "EventIn"),
    (r"/events:batch$", "EventBatchIn"),
    (r"/checks$", "CheckIn"),
)


def _tools() -> Path:
    if not (shutil.which("node") and shutil.which("npm")):
        if os.environ.get("CI"):
            pytest.fail("node and npm are missing; CI must run the TypeScript client check")
        pytest.skip("node and npm are not installed (CI runs this check)")
    bin_dir = TOOLS / "node_modules/.bin"
    if not (bin_dir / "tsc").exists() or not (bin_dir / "openapi-typescript").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=TOOLS,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return bin_dir


def readme_bodies() -> list[tuple[str, str]]:
    """(schema name, JSON body) of every `--json '…'` call in the README's curl session."""
    readme = (ROOT / "README.md").read_text()
    found = []
    for body, url in re.findall(r"--json '(.*?)'\s*\\?\s*(\S*\$API\S*)", readme, re.DOTALL):
        path = url.split("?")[0]
        name = next(n for pattern, n in BODIES if re.search(pattern, path))
        found.append((name, json.dumps(json.loads(body))))
    return found


def readme_typescript() -> list[str]:
    return re.findall(r"```ts\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)


def test_the_readme_has_request_bodies_and_a_typescript_example():
    names = {n for n, _ in readme_bodies()}
    assert {"UserCreate", "EventIn", "EventBatchIn"} <= names
    assert readme_typescript()


def test_generated_types_compile_the_readme_examples(tmp_path):
    bin_dir = _tools()
    generated = subprocess.run(
        [str(bin_dir / "openapi-typescript"), str(ROOT / "openapi.json"), "-o", "rapport.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    lines = ['import type { components } from "./rapport";', 'type S = components["schemas"];']
    for i, (name, body) in enumerate(readme_bodies()):
        lines.append(f'export const body{i}: S["{name}"] = {body};')
    (tmp_path / "curl.ts").write_text("\n".join(lines) + "\n")
    files = ["curl.ts"]
    for i, snippet in enumerate(readme_typescript()):
        (tmp_path / f"readme{i}.ts").write_text(snippet)
        files.append(f"readme{i}.ts")
    # A body the types must refuse, so the check is known to bite.
    (tmp_path / "wrong.ts").write_text(
        'import type { components } from "./rapport";\n'
        'export const e: components["schemas"]["EventIn"] = '
        '{ platform: "myspace", kind: "post", occurred_at: "2026-11-26T09:30:00Z" };\n'
    )
    tsc = [str(bin_dir / "tsc"), "--strict", "--noEmit"]
    ok = subprocess.run([*tsc, *files], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    wrong = subprocess.run(
        [*tsc, "wrong.ts"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert wrong.returncode != 0 and "myspace" in wrong.stdout, wrong.stdout
