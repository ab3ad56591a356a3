"""The Grafana dashboard against a real Prometheus (Debian's binary) scraping a real running
Kinetria every second under a little load: every panel's query returns data, and the alert
rules load."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api import PASSWORD
from tests.catalogue import BENCH_PRESS
from tests.test_server import free_port, running_server

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "deploy" / "grafana" / "kinetria-dashboard.json"
RULES = ROOT / "deploy" / "prometheus" / "kinetria-alerts.yml"


def panel_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        if panel["type"] != "row"
        for target in panel["targets"]
    ]


def test_every_panel_has_a_query_and_a_prometheus_datasource() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 20
    for panel in panels:
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["type"] == "prometheus"
    titles = {title for title, _ in panel_queries()}
    for needed in ("Requests per second by route", "Latency p99 by route", "Pool connections"):
        assert needed in titles


def some_load(base: str) -> None:
    """What a few users do: sign up, plan, train, read; some mistakes and a wrong password."""
    with httpx.Client(base_url=base, timeout=30) as http:
        email = f"load-{uuid.uuid4().hex[:8]}@example.com"
        tokens = http.post(
            "/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "Load"},
        ).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        http.post("/v1/auth/login", json={"email": email, "password": "not the password"})
        workout = http.post("/v1/workouts", json={"name": "Push A"}, headers=auth).json()
        for _ in range(20):
            http.get(f"/v1/workouts/{workout['id']}", headers=auth)
            http.get(f"/v1/workouts/{uuid.uuid4()}", headers=auth)
        done = http.post("/v1/sessions", json={}, headers=auth).json()
        http.post(
            f"/v1/sessions/{done['id']}/sets",
            json=[{"exercise_id": BENCH_PRESS, "reps": 5, "weight": 80}] * 3,
            headers=auth,
        )
        http.post(f"/v1/sessions/{done['id']}/finish", json={}, headers=auth)
        left = http.post("/v1/sessions", json={}, headers=auth).json()
        http.post(f"/v1/sessions/{left['id']}/abandon", headers=auth)
        http.get("/v1/workouts", headers=auth)
        http.get("/health/ready")


def query(prometheus: str, expr: str) -> dict[str, Any]:
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=30)
    assert response.status_code == 200, f"{expr}: {response.text}"
    return response.json()["data"]


@pytest.fixture
def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    assert found, "prometheus is needed: apt-get install prometheus (.ci/run installs it)"
    return found


def test_every_panel_returns_data_from_a_real_prometheus(
    db_url: str, tmp_path: Path, prometheus_binary: str
) -> None:
    metrics_port = free_port()
    # WARNING: nobody reads the server's output until it stops, and a full pipe would block it
    env = {"DATABASE_URL": db_url, "METRICS_PORT": str(metrics_port), "LOG_LEVEL": "WARNING"}
    with running_server(env, "--workers", "2") as (base, _process):
        shutil.copy(RULES, tmp_path / "rules.yml")
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "rule_files: [rules.yml]\n"
            "scrape_configs:\n  - job_name: kinetria\n    static_configs:\n"
            f"      - targets: ['127.0.0.1:{metrics_port}']\n"
        )
        web_port = free_port()
        prometheus = f"http://127.0.0.1:{web_port}"
        server = subprocess.Popen(
            [
                prometheus_binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{web_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{prometheus}/-/ready", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "Prometheus did not become ready"
                time.sleep(0.2)
            # load across several scrapes, so every rate has two samples with a change
            for _ in range(4):
                some_load(base)
                time.sleep(1.5)
            deadline = time.monotonic() + 60
            while True:
                scrapes = query(prometheus, 'count_over_time(up{job="kinetria"}[1m])')
                if scrapes["result"] and float(scrapes["result"][0]["value"][1]) >= 8:
                    break
                assert time.monotonic() < deadline, f"too few scrapes: {scrapes}"
                time.sleep(0.5)
            assert query(prometheus, 'up{job="kinetria"}')["result"][0]["value"][1] == "1"
            empty: list[str] = []
            for title, expr in panel_queries():
                data = query(prometheus, expr.replace("$__rate_interval", "1m"))
                if not data["result"]:
                    empty.append(f"{title}: {expr}")
            rules = httpx.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert empty == [], "panels without data:\n" + "\n".join(empty)
    loaded = [rule for group in rules for rule in group["rules"]]
    assert len(loaded) == 10
    assert all(rule["health"] == "ok" for rule in loaded), loaded
    firing = [rule["name"] for rule in loaded if rule["state"] == "firing"]
    assert firing == []  # a healthy server under light load raises no alert
