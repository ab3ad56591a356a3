"""The docs page renders in a real headless browser (Debian's chromium) against the real
server with the network off: every name resolves to nothing and every connection but to
127.0.0.1 goes to a proxy that does not exist, so anything the page loaded from elsewhere
would be missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx

from tests.test_server import running_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OFFLINE = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",  # nothing listens there
    "--proxy-bypass-list=127.0.0.1",  # only the server under test is reached directly
]


def chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM, "chromium is needed (apt-get install -y chromium; .ci/run installs it)"
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # tests run as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            f"--user-data-dir={cwd / 'profile'}",
            *OFFLINE,
            "--virtual-time-budget=20000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


def test_the_docs_page_renders_the_operations_offline(db_url: str, tmp_path: Path) -> None:
    with running_server({"DATABASE_URL": db_url}) as (base, _):
        # the browser really is offline: a page elsewhere does not load
        elsewhere = chromium("--dump-dom", "https://example.com/", cwd=tmp_path)
        assert "Example Domain" not in elsewhere.stdout

        page = chromium("--dump-dom", f"{base}/schema", cwd=tmp_path)
        shot = chromium(
            "--window-size=1280,2400",
            f"--screenshot={tmp_path / 'docs.png'}",
            f"{base}/schema",
            cwd=tmp_path,
        )
        document = httpx.get(f"{base}/schema/openapi.json").json()
    dom = page.stdout
    assert 'class="swagger-ui' in dom, page.stderr[-2000:]
    assert "Kinetria API" in dom
    # the operation list: every operation is there, with its path and summary
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert len(operations) > 30
    assert dom.count('class="opblock ') >= len(operations), page.stderr[-2000:]
    for summary in ("List workouts", "Log sets", "Start a session", "Register"):
        assert summary in dom, summary
    assert "/v1/sessions/{session_id}/sets" in dom
    # the Authorize button of the bearer scheme
    assert "btn authorize" in dom
    assert "Failed to load API definition" not in dom
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert (tmp_path / "docs.png").stat().st_size > 10_000
