"""What the metrics of one app show after requests a user makes (in-process, one registry per
app): route templates only, bounded series, business counters, errors, queries, tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from litestar import Litestar
from litestar.testing import TestClient
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.core.metrics import Metrics
from app.main import create_app
from tests.api import Client, UserWithToken, login, register
from tests.catalogue import BENCH_PRESS
from tests.conftest import make_settings


def samples(app: Litestar) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    metrics: Metrics = app.state.metrics
    metrics.flush()  # what requests counted (the app does it every second)
    text = generate_latest(metrics.registry).decode()
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(app: Litestar, name: str, **labels: str) -> float:
    return samples(app).get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_thousand_ids_add_no_series(
    app: Litestar, client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    assert ann.get(f"/v1/workouts/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/v1/nowhere/{uuid.uuid4()}").status_code == 404
    before = set(samples(app))
    for _ in range(1000):
        ann.get(f"/v1/workouts/{uuid.uuid4()}")
        client.get(f"/v1/nowhere/{uuid.uuid4()}")
    after = samples(app)
    assert set(after) == before  # not one new series
    count = "kinetria_http_request_duration_seconds_count"
    labels = (("method", "GET"), ("route", "/v1/workouts/{workout_id}"), ("status_class", "4xx"))
    assert after[(count, labels)] == 1001
    unmatched = (("method", "GET"), ("route", "unmatched"), ("status_class", "4xx"))
    assert after[(count, unmatched)] == 1001
    assert not any(str(label).count("-") >= 4 for key in after for label in key[1])  # no ids


def test_requests_by_route_method_and_status_class(
    app: Litestar, client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    workout = ann.post("/v1/workouts", json={"name": "Push A"}).json()
    ann.get(f"/v1/workouts/{workout['id']}")
    client.get("/health")
    count = "kinetria_http_request_duration_seconds_count"
    route = "/v1/workouts/{workout_id}"
    assert value(app, count, route=route, method="GET", status_class="2xx") == 1
    assert value(app, count, route="/v1/workouts", method="POST", status_class="2xx") == 1
    assert value(app, count, route="/health", method="GET", status_class="2xx") == 1
    # the 2 ms buckets are there to resolve a median that small
    bucket = "kinetria_http_request_duration_seconds_bucket"
    les = {dict(k[1]).get("le") for k in samples(app) if k[0] == bucket}
    assert {"0.001", "0.0015", "0.002", "0.0025", "0.003"} <= les
    assert value(app, "kinetria_http_requests_in_flight") == 0


def test_errors_are_counted_by_error_code(
    app: Litestar, client: Client, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    ann.get(f"/v1/workouts/{uuid.uuid4()}")
    client.get("/v1/workouts")
    client.get("/v1/workouts", headers={"Authorization": "Bearer forged"})
    errors = "kinetria_http_errors_total"
    assert value(app, errors, error_code="workout_not_found", status="404") == 1
    assert value(app, errors, error_code="missing_token", status="401") == 1
    assert value(app, errors, error_code="invalid_token", status="401") == 1


def test_queries_are_timed_by_file_name(
    app: Litestar, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    workout = ann.post("/v1/workouts", json={"name": "Push A"}).json()
    for _ in range(3):
        ann.get(f"/v1/workouts/{workout['id']}")
    names = {
        dict(labels)["query"]
        for name, labels in samples(app)
        if name == "kinetria_db_query_duration_seconds_count"
    }
    assert "workouts/get" in names
    assert all("SELECT" not in n.upper() and " " not in n for n in names)
    count = value(app, "kinetria_db_query_duration_seconds_count", query="workouts/get")
    assert count >= 3


def test_slow_queries_are_counted(db_url: str, make_user: Callable[..., UserWithToken]) -> None:
    app = create_app(make_settings(db_url, slow_query_ms=0))
    with TestClient(app) as client:
        register(client)
    assert value(app, "kinetria_db_slow_queries_total", query="users/insert") == 1


def test_token_cache_hits_and_misses(
    app: Litestar, make_user: Callable[..., UserWithToken]
) -> None:
    ann = make_user()
    for _ in range(4):
        ann.get("/v1/workouts")
    assert value(app, "kinetria_token_cache_lookups_total", result="miss") == 1
    assert value(app, "kinetria_token_cache_lookups_total", result="hit") == 3


def test_business_counters(app: Litestar, client: Client) -> None:
    for name in ("started", "completed", "abandoned"):  # charted from zero
        assert ("kinetria_training_sessions_total", (("event", name),)) in samples(app)
    tokens = register(client)
    ann = UserWithToken(client, uuid.UUID(tokens["user"]["id"]), "", tokens["access_token"])
    first = ann.post("/v1/sessions", json={}).json()
    ann.post(f"/v1/sessions/{first['id']}/sets", json=[{"exercise_id": BENCH_PRESS, "reps": 5}] * 3)
    ann.post(f"/v1/sessions/{first['id']}/finish", json={})
    ann.post(f"/v1/sessions/{first['id']}/finish", json={})  # a retry counts once
    replay = {"id": str(uuid.uuid4())}
    second = ann.post("/v1/sessions", json=replay).json()
    ann.post("/v1/sessions", json=replay)  # a replayed start counts once
    ann.post(f"/v1/sessions/{second['id']}/abandon")
    assert value(app, "kinetria_registrations_total") == 1
    assert value(app, "kinetria_training_sessions_total", event="started") == 2
    assert value(app, "kinetria_training_sessions_total", event="completed") == 1
    assert value(app, "kinetria_training_sessions_total", event="abandoned") == 1
    assert value(app, "kinetria_sets_logged_total") == 3


def test_login_failures_and_throttle_refusals(db_url: str) -> None:
    app = create_app(make_settings(db_url, login_max_failures=2, login_window_s=600))
    with TestClient(app) as client:
        register(client, "ann@example.com")
        login(client, "nobody@example.com", "wrong password!")
        for _ in range(2):
            login(client, "ann@example.com", "wrong password!")
        assert login(client, "ann@example.com").status_code == 429
        assert login(client, "ann@example.com").status_code == 429
    failures = "kinetria_login_failures_total"
    assert value(app, failures, reason="wrong_password") == 2
    assert value(app, failures, reason="unknown_email") == 1
    assert value(app, failures, reason="locked") == 1
    assert value(app, "kinetria_rate_limit_refusals_total", limit="login") == 2


def test_pool_gauges_follow_the_pool(app: Litestar, client: Client) -> None:
    import time

    client.get("/health/ready")
    deadline = time.monotonic() + 5
    while value(app, "kinetria_db_pool_max_connections") == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert value(app, "kinetria_db_pool_max_connections") == 4
    assert value(app, "kinetria_db_pool_connections") >= 1
    assert value(app, "kinetria_db_pool_in_use_connections") >= 0
