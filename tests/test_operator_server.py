"""The operator listener of the real server: metrics summed over workers, checked by promtool,
detailed health, worker restarts, and what the access log says (and never says)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from app.core.config import Environment
from tests.api import PASSWORD
from tests.test_server import free_port, running_server


def stop(process: subprocess.Popen[str], timeout: float = 30) -> list[dict[str, object]]:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


READY = "/health/ready"


def metric_values(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def total(text: str, name: str, **labels: str) -> float:
    return sum(v for found, v in metric_values(text, name) if labels.items() <= found.items())


def wait_for(url: str) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, timeout=30)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is needed: apt-get install prometheus (.ci/run installs it)"
    return found


def test_two_workers_are_summed_and_promtool_accepts_the_output(
    db_url: str, tmp_path: Path
) -> None:
    metrics_port = free_port()
    directory = tmp_path / "metrics"
    env = {
        "DATABASE_URL": db_url,
        "METRICS_PORT": str(metrics_port),
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "GIT_REVISION": "0123456789ab",
    }
    operator = f"http://127.0.0.1:{metrics_port}"
    with running_server(env, "--workers", "2") as (base, process):
        wait_for(f"{operator}/metrics")
        with ThreadPoolExecutor(8) as pool:
            statuses = list(
                pool.map(lambda _: httpx.get(f"{base}{READY}", timeout=60).status_code, range(100))
            )
        assert statuses == [200] * 100
        time.sleep(1.5)  # the pool gauges refresh every second
        text = httpx.get(f"{operator}/metrics").text
        detail = httpx.get(f"{operator}/health/detail")
        # what each worker counted, from its own files: both served, and /metrics is the sum
        per_worker: dict[str, float] = {}
        for path in directory.glob("histogram_*.db"):
            for family in MultiProcessCollector.merge([str(path)]):
                if family.name == "kinetria_http_request_duration_seconds":
                    per_worker[path.name] = sum(
                        s.value
                        for s in family.samples
                        if s.name.endswith("_count") and s.labels.get("route") == READY
                    )
        # a SIGHUP makes the server replace both workers: two restarts
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        restarted = ""
        while time.monotonic() < deadline:
            restarted = httpx.get(f"{operator}/metrics").text
            if (
                total(restarted, "kinetria_worker_restarts_total") == 2
                and total(restarted, "kinetria_workers") == 2
            ):
                break
            time.sleep(0.5)
        lines = stop(process, timeout=120)  # a loaded machine drains slowly after a respawn
    count = "kinetria_http_request_duration_seconds_count"
    assert total(text, count, route=READY, method="GET", status_class="2xx") == 100
    assert len(per_worker) == 2, per_worker
    assert all(n > 0 for n in per_worker.values()), per_worker
    assert sum(per_worker.values()) == 100
    assert total(text, "kinetria_worker_starts_total") == 2
    assert total(text, "kinetria_workers") == 2
    assert total(text, "kinetria_db_pool_max_connections") == 20  # 10 for each worker
    assert len(metric_values(text, "kinetria_worker_cpu_seconds_total")) == 2
    assert all(v > 0 for _, v in metric_values(text, "kinetria_worker_resident_memory_bytes"))
    assert metric_values(text, "kinetria_build_info") == [
        ({"version": "0.1.0", "revision": "0123456789ab"}, 1.0)
    ]
    assert total(text, "kinetria_database_up") == 1
    assert total(text, "kinetria_ready") == 1
    assert total(text, "kinetria_migrations_pending") == 0
    assert total(text, "process_resident_memory_bytes") > 0  # the main process's own
    checked = subprocess.run(
        [promtool(), "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # detailed health
    assert detail.status_code == 200
    body = detail.json()
    assert body["status"] == "ok"
    assert body["revision"] == "0123456789ab"
    assert body["uptime_s"] > 0
    assert body["database"]["status"] == "ok"
    assert body["database"]["latency_ms"] > 0
    assert body["database"]["applied_migrations"] == body["database"]["shipped_migrations"] > 0
    assert body["database"]["pending_migrations"] == []
    assert body["pool"]["max"] == 20
    assert body["pool"]["connections"] >= 2
    assert len(body["workers"]) == 2
    # after the SIGHUP
    assert total(restarted, "kinetria_worker_restarts_total") == 2
    assert total(restarted, "kinetria_workers") == 2
    assert total(restarted, "kinetria_worker_starts_total") == 4
    assert any(line.get("event") == "worker exited" for line in lines)


def test_the_api_port_does_not_serve_metrics(db_url: str) -> None:
    metrics_port = free_port()
    env = {"DATABASE_URL": db_url, "METRICS_PORT": str(metrics_port)}
    with running_server(env) as (base, _process):
        assert httpx.get(f"{base}/metrics").status_code == 404
        assert httpx.get(f"{base}/health/detail").status_code in (401, 404)
        assert wait_for(f"http://127.0.0.1:{metrics_port}/metrics").status_code == 200
        missing = httpx.get(f"http://127.0.0.1:{metrics_port}/nope")
        assert missing.status_code == 404
        assert missing.json()["error_code"] == "not_found"


def test_detailed_health_says_when_the_database_is_down(tmp_path: Path) -> None:
    """The listener's probe of a database that is not there (the API would not start)."""
    from app.core.operator import DatabaseProbe, OperatorCollector
    from tests.conftest import make_settings

    url = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    collector = OperatorCollector(str(tmp_path), DatabaseProbe(make_settings(url), url))
    detail = collector.detail()
    families = {m.name: m for m in collector.collect()}
    assert detail["status"] == "unavailable"
    assert detail["database"]["status"] == "unavailable"
    assert families["kinetria_database_up"].samples[0].value == 0
    assert families["kinetria_ready"].samples[0].value == 0


def test_access_lines_carry_who_and_how_much_and_no_secret(db_url: str) -> None:
    env = {"DATABASE_URL": db_url, "METRICS_PORT": "0", "TRUSTED_PROXIES": "10.0.0.0/8"}
    with running_server(env) as (base, process):
        email = "secret-keeper@example.com"
        registered = httpx.post(
            f"{base}/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "Keeper"},
            headers={"User-Agent": "Kinetria-iOS/3.1"},
        ).json()
        access, refresh = registered["access_token"], registered["refresh_token"]
        user_id = registered["user"]["id"]
        listed = httpx.get(
            f"{base}/v1/workouts?limit=5",
            headers={
                "Authorization": f"Bearer {access}",
                "User-Agent": "Kinetria-iOS/3.1",
                "X-Request-ID": "who-asked",
                # the peer is 127.0.0.1, not a trusted proxy: this is not believed
                "X-Forwarded-For": "203.0.113.9",
                "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            },
        )
        httpx.post(f"{base}/v1/auth/refresh", json={"refresh_token": refresh})
        lines = stop(process)
    assert listed.status_code == 200
    access_lines = [line for line in lines if line.get("event") == "request"]
    line = next(line for line in access_lines if line["request_id"] == "who-asked")
    assert line["client"] == "127.0.0.1"
    assert line["user_agent"] == "Kinetria-iOS/3.1"
    assert line["user_id"] == user_id
    assert line["response_bytes"] == len(listed.content)
    assert line["queued_ms"] >= 0
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["span_id"] != "b7ad6b7169203331"
    assert listed.headers["traceparent"] == f"00-{line['trace_id']}-{line['span_id']}-01"
    everything = json.dumps(lines)
    for secret in (PASSWORD, access, refresh, email):
        assert secret not in everything


def test_the_listener_in_process_and_a_taken_port(db_url: str) -> None:
    """The listener as `serve` opens it (here with no workers yet); a port already taken is
    logged outside production and stops the server in production."""
    import socket

    from prometheus_client import values

    from app.core.operator import operator_listener
    from tests.conftest import make_settings

    port = free_port()
    settings = make_settings(db_url, metrics_port=port)
    with operator_listener(settings, db_url) as base:
        assert base == f"http://127.0.0.1:{port}"
        directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
        text = httpx.get(f"{base}/metrics", timeout=30).text
        detail = httpx.get(f"{base}/health/detail?verbose=1", timeout=30)
        missing = httpx.get(f"{base}/nope", timeout=30)
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            busy = make_settings(db_url, metrics_port=taken.getsockname()[1])
            with operator_listener(busy, db_url) as nothing:
                assert nothing is None
            production = make_settings(
                db_url, metrics_port=taken.getsockname()[1], env=Environment.PRODUCTION
            )
            with pytest.raises(SystemExit, match="metrics listener"):  # noqa: SIM117
                with operator_listener(production, db_url):
                    pass
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    assert not Path(directory).exists()  # removed at exit
    assert values.ValueClass is values.MutexValue  # this process's metrics are its own again
    assert total(text, "kinetria_ready") == 1
    assert total(text, "kinetria_workers") == 0
    assert detail.status_code == 200
    assert detail.json()["database"]["status"] == "ok"
    assert missing.status_code == 404
    with operator_listener(make_settings(db_url, metrics_port=0), db_url) as off:
        assert off is None
