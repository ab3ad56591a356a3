"""The docs page renders in a real headless browser (Debian's chromium) against the real
server with the network off: every name resolves to nothing and every connection but to
127.0.0.1 goes to a proxy that does not exist, so anything the page loaded from elsewhere
would be missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_server import running_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OFFLINE = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",  # nothing listens there
    "--proxy-bypass-list=127.0.0.1",  # only the server under test is reached directly
]


def _browser_flags(cwd: Path) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",  # tests run as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        f"--user-data-dir={cwd / 'profile'}",
        *OFFLINE,
    ]


def chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM, "chromium is needed (apt-get install -y chromium; .ci/run installs it)"
    return subprocess.run(
        [CHROMIUM, *_browser_flags(cwd), "--virtual-time-budget=20000", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


# the module's server is started once, so its tests run in one worker process
pytestmark = pytest.mark.xdist_group("docs_page_server")


@pytest.fixture(scope="module")
def base(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server, started once for the module's tests."""
    log = tmp_path_factory.mktemp("docs-page-server") / "serve.log"
    with running_server({"DATABASE_URL": module_db_url}, log=log) as (url, _):
        yield url


def test_the_docs_page_renders_the_operations_offline(base: str, tmp_path: Path) -> None:
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


class DevTools:
    """Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
    JSON messages ended by NUL on file descriptors 3 and 4), with nothing but the stdlib."""

    def __init__(self, cwd: Path) -> None:
        assert CHROMIUM, "chromium is needed (apt-get install -y chromium; .ci/run installs it)"
        to_browser, self._commands = os.pipe()
        self._events, from_browser = os.pipe()
        self.process = subprocess.Popen(
            [
                "bash",
                "-c",
                f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser}',
                CHROMIUM,
                "--remote-debugging-pipe",
                *_browser_flags(cwd),
                "about:blank",
            ],
            pass_fds=(to_browser, from_browser),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._next_id = 0
        self._buffer = b""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._events, 1 << 16)
                assert chunk, "chromium closed the DevTools pipe"
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self._next_id:
                assert "error" not in answer, answer["error"]
                return answer["result"]

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            self.session,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"never true: {expression}")

    def close(self) -> None:
        try:
            self.call("Browser.close")
        finally:
            self.process.wait(timeout=30)
            os.close(self._commands)
            os.close(self._events)


# Swagger UI is React: set an input's value through the native setter, then tell React.
_TYPE_TOKEN = """(() => {
  const input = document.querySelector('.auth-container input');
  const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  set.call(input, %s);
  input.dispatchEvent(new Event('input', {bubbles: true}));
  return true;
})()"""


def test_the_authorize_button_sends_the_token_from_the_docs_page(base: str, tmp_path: Path) -> None:
    registered = httpx.post(
        f"{base}/v1/auth/register",
        json={
            "email": "docs@example.com",
            "password": "a long docs password",
            "display_name": "Docs",
        },
    )
    assert registered.status_code == 201, registered.text
    token = registered.json()["access_token"]
    browser = DevTools(tmp_path)
    try:
        browser.call("Page.enable", browser.session)
        browser.call("Page.navigate", browser.session, url=f"{base}/schema")
        browser.wait_for("!!document.querySelector('.btn.authorize')")
        browser.evaluate("document.querySelector('.btn.authorize').click()")
        browser.wait_for("!!document.querySelector('.auth-container input')")
        browser.evaluate(_TYPE_TOKEN % json.dumps(token))
        browser.evaluate(
            "document.querySelector('.auth-container .btn.modal-btn.auth.authorize').click()"
        )
        browser.wait_for("!!document.querySelector('.auth-container .btn-done')")
        browser.evaluate("document.querySelector('.auth-container .btn-done').click()")
        browser.evaluate(
            "document.querySelector('#operations-me-getMe .opblock-summary-control').click()"
        )
        browser.wait_for("!!document.querySelector('#operations-me-getMe .try-out__btn')")
        browser.evaluate("document.querySelector('#operations-me-getMe .try-out__btn').click()")
        browser.wait_for("!!document.querySelector('#operations-me-getMe .execute')")
        browser.evaluate("document.querySelector('#operations-me-getMe .execute').click()")
        status = browser.wait_for(
            "document.querySelector('#operations-me-getMe .live-responses-table"
            " tr.response .response-col_status')?.innerText"
        )
        curl = browser.evaluate("document.querySelector('#operations-me-getMe .curl')?.innerText")
    finally:
        browser.close()
    assert status.strip().startswith("200"), status
    assert f"Authorization: Bearer {token}" in curl, curl
