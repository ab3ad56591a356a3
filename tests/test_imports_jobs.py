"""Imports of files above IMPORT_SYNC_MAX_BYTES, as a user sees them: 202 with the import's
URL, which shows it queued, then (after the worker's job, run here on procrastinate as a
worker runs it) succeeded with the same result a small file gets at once, or failed with
the error naming the line and column and nothing of the file written. The same file twice
creates nothing the second time; another user's import is 404."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import procrastinate
import psycopg
import pytest

from app.core.config import Settings
from app.imports.jobs import run_queued
from tests.api import UserWithToken, all_pages, assert_error
from tests.conftest import change_events, make_settings, open_db

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
URL = "/v1/imports"
SYNC_MAX = 1024  # the fixtures are larger: they go to the background


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url, import_sync_max_bytes=SYNC_MAX)


def run_jobs(db_url: str, settings: Settings) -> None:
    """What a worker does: every import job waiting, until the queue is empty."""
    from app.worker import app as jobs_app

    async def main() -> None:
        connector = procrastinate.PsycopgConnector(conninfo=db_url)
        with jobs_app.replace_connector(connector) as worker_app:
            async with worker_app.open_async():
                await worker_app.run_worker_async(
                    queues=["imports"],
                    wait=False,
                    install_signal_handlers=False,
                    additional_context={"settings": settings},
                )

    asyncio.run(main())


def send(user: UserWithToken, body: bytes, file_format: str = "hevy_csv", **params: Any) -> Any:
    return user.post(URL, params={"format": file_format, **params}, content=body)


def hevy() -> bytes:
    return (FIXTURES / "hevy.csv").read_bytes()


def queued(user: UserWithToken, body: bytes, file_format: str = "hevy_csv", **params: Any) -> Any:
    response = send(user, body, file_format, **params)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/imports/{job['id']}"
    assert response.headers["etag"] == f'"{job["version"]}"'
    return job


def shown(user: UserWithToken, job: dict[str, Any]) -> dict[str, Any]:
    response = user.get(f"{URL}/{job['id']}")
    assert response.status_code == 200, response.text
    return response.json()


def count(db_url: str, sql: str, *params: Any) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
        assert row is not None
        return row[0]


def files_of(db_url: str, user_id: str) -> int:
    return count(db_url, "SELECT count(*) FROM import_files WHERE user_id = %s", user_id)


def test_a_large_file_is_queued_then_imported_by_the_worker_with_the_same_result(
    make_user: Callable[..., UserWithToken], db_url: str, settings: Settings, client: Any
) -> None:
    ann, bob = make_user(), make_user()
    job = queued(ann, hevy(), timezone="Europe/Berlin")
    assert (job["status"], job["format"], job["size_bytes"]) == ("queued", "hevy_csv", len(hevy()))
    assert (job["sessions_done"], job["sessions_total"], job["result"], job["error"]) == (
        0,
        None,
        None,
        None,
    )
    assert shown(ann, job) == job
    assert files_of(db_url, ann.id) == 1
    assert all_pages(ann, "/v1/sessions?limit=100") == []

    run_jobs(db_url, settings)
    done = shown(ann, job)
    assert done["status"] == "succeeded", done
    assert done["version"] > job["version"]
    assert done["started_at"]
    assert done["finished_at"]
    assert done["sessions_done"] == done["sessions_total"] == 2
    assert files_of(db_url, ann.id) == 0  # the file is deleted once imported
    # what a small file gets at once: Bob's, with a limit the fixture is under
    with_limit = make_settings(db_url, import_sync_max_bytes=len(hevy()))
    from litestar.testing import TestClient

    from app.main import create_app

    with TestClient(create_app(with_limit)) as small:
        at_once = bob.on(small).post(
            URL, params={"format": "hevy_csv", "timezone": "Europe/Berlin"}, content=hevy()
        )
    assert at_once.status_code == 201, at_once.text
    expected = at_once.json()
    result = done["result"]
    assert [e["name"] for e in result["exercises_created"]] == [
        e["name"] for e in expected["exercises_created"]
    ]
    del result["exercises_created"], expected["exercises_created"]  # ids derive from the user
    assert result == expected
    sessions = all_pages(ann, "/v1/sessions?limit=100")
    assert len(sessions) == 2
    # with its change events, which carry the POST's request id
    (event,) = change_events(db_url, entity_id=sessions[0]["id"])
    assert event["event_type"] == "session.created"
    # a conditional GET of the ended import
    again = ann.get(f"{URL}/{job['id']}", headers={"If-None-Match": f'"{done["version"]}"'})
    assert again.status_code == 304


def test_the_same_file_twice_creates_nothing_the_second_time(
    make_user: Callable[..., UserWithToken], db_url: str, settings: Settings
) -> None:
    ann = make_user()
    first = queued(ann, hevy())
    second = queued(ann, hevy())
    assert first["id"] != second["id"]
    run_jobs(db_url, settings)  # one user's imports run one at a time, in order
    first, second = shown(ann, first), shown(ann, second)
    assert (first["status"], second["status"]) == ("succeeded", "succeeded")
    assert (first["result"]["sessions_created"], first["result"]["sets_created"]) == (2, 11)
    assert (second["result"]["sessions_created"], second["result"]["sets_created"]) == (0, 0)
    assert second["result"]["exercises_created"] == []
    assert len(all_pages(ann, "/v1/sessions?limit=100")) == 2


def test_a_create_with_an_id_replays_and_the_same_id_with_another_file_is_409(
    make_user: Callable[..., UserWithToken], db_url: str, settings: Settings
) -> None:
    ann, bob = make_user(), make_user()
    import_id = str(uuid.uuid4())
    job = queued(ann, hevy(), id=import_id)
    assert job["id"] == import_id
    replay = queued(ann, hevy(), id=import_id)
    assert replay == job
    assert (
        count(db_url, "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = 'imports'") == 1
    )
    other = hevy().replace(b"Upper", b"Lower")
    assert_error(send(ann, other, id=import_id), 409, "id_conflict")
    assert_error(send(ann, hevy(), id=import_id, dry_run="true"), 409, "id_conflict")
    assert_error(send(bob, hevy(), id=import_id), 409, "id_conflict")  # taken, not shown
    run_jobs(db_url, settings)
    assert shown(ann, job)["status"] == "succeeded"
    assert queued(ann, hevy(), id=import_id)["status"] == "succeeded"  # a late replay


def test_a_file_that_cannot_be_read_fails_with_the_line_and_column_and_writes_nothing(
    make_user: Callable[..., UserWithToken], db_url: str, settings: Settings
) -> None:
    ann = make_user()
    rows = [
        b'A,"5 Jan 2024, 18:02","5 Jan 2024, 19:00",Sled Drag,%d,normal,100,5\n' % i
        for i in range(40)
    ]
    body = (
        b"title,start_time,end_time,exercise_title,set_index,set_type,weight_kg,reps\n"
        + b"".join(rows)
        + b'A,"5 Jan 2024, 18:02","5 Jan 2024, 19:00",Squat,40,normal,heavy,5\n'
    )
    assert len(body) > SYNC_MAX
    job = queued(ann, body)
    run_jobs(db_url, settings)
    failed = shown(ann, job)
    assert failed["status"] == "failed", failed
    assert failed["result"] is None
    error = failed["error"]
    assert (error["status_code"], error["error_code"]) == (422, "invalid_file")
    assert (error["details"][0]["line"], error["details"][0]["column"]) == (42, "weight_kg")
    assert "line 42, column weight_kg" in error["message"]
    assert failed["sessions_done"] == 0
    assert files_of(db_url, ann.id) == 0
    assert all_pages(ann, "/v1/sessions?limit=100") == []


def test_a_failure_while_writing_leaves_nothing_half_written(
    make_user: Callable[..., UserWithToken], db_url: str, settings: Settings
) -> None:
    """A Kinetria export whose last session is in progress, imported by a user who has one
    in progress already: refused by the database after the custom exercise and the first
    session are written, which are rolled back with it."""
    ann, fresh = make_user(), make_user()
    first = queued(ann, hevy(), timezone="Europe/Berlin")
    run_jobs(db_url, settings)
    assert shown(ann, first)["status"] == "succeeded"
    document = ann.get("/v1/me/export").json()
    assert len(document["sessions"]) == 2

    document["sessions"][-1]["timezone"] = "Mars/Olympus"
    job = queued(fresh, json.dumps(document).encode(), "kinetria_json")
    run_jobs(db_url, settings)
    error = shown(fresh, job)["error"]
    assert (error["error_code"], error["details"][0]["column"]) == (
        "invalid_file",
        "$.sessions[1].timezone",
    )

    document["sessions"][-1].update(timezone="UTC", status="in_progress", ended_at=None)
    running = fresh.post("/v1/sessions", json={"timezone": "UTC"})
    assert running.status_code == 201, running.text
    job = queued(fresh, json.dumps(document).encode(), "kinetria_json")
    run_jobs(db_url, settings)
    failed = shown(fresh, job)
    assert failed["status"] == "failed", failed
    assert (failed["error"]["status_code"], failed["error"]["error_code"]) == (
        422,
        "session_in_progress",
    )
    assert [s["id"] for s in all_pages(fresh, "/v1/sessions?limit=100")] == [running.json()["id"]]
    assert count(db_url, "SELECT count(*) FROM exercises WHERE user_id = %s", fresh.id) == 0
    # only the event of the session started through the API
    assert count(db_url, "SELECT count(*) FROM change_events WHERE user_id = %s", fresh.id) == 1


def test_a_dry_run_in_the_background_answers_the_counts_and_writes_nothing(
    make_user: Callable[..., UserWithToken], db_url: str, settings: Settings
) -> None:
    ann = make_user()
    job = queued(ann, hevy(), dry_run="true")
    assert job["dry_run"] is True
    run_jobs(db_url, settings)
    done = shown(ann, job)
    assert done["status"] == "succeeded"
    assert done["result"]["dry_run"] is True
    assert (done["result"]["sessions_created"], done["result"]["sets_created"]) == (2, 11)
    assert all_pages(ann, "/v1/sessions?limit=100") == []
    assert files_of(db_url, ann.id) == 0


def test_a_job_run_again_after_its_import_ended_does_nothing(
    make_user: Callable[..., UserWithToken], db_url: str, settings: Settings
) -> None:
    ann = make_user()
    job = queued(ann, hevy())
    run_jobs(db_url, settings)
    done = shown(ann, job)

    async def again() -> Any:
        async with open_db(db_url) as db, open_db(db_url) as side:
            return await run_queued(
                db, side, import_id=uuid.UUID(job["id"]), user_id=uuid.UUID(str(ann.id))
            )

    assert asyncio.run(again()) is None
    assert shown(ann, job) == done


def test_bad_parameters_are_refused_before_anything_is_queued(
    make_user: Callable[..., UserWithToken], db_url: str
) -> None:
    ann = make_user()
    assert_error(send(ann, hevy(), timezone="Mars/Olympus"), 422, "invalid_timezone")
    assert send(ann, hevy(), id="not-a-uuid").status_code == 400
    assert count(db_url, "SELECT count(*) FROM imports WHERE user_id = %s", ann.id) == 0


def test_the_list_pages_through_the_callers_imports_only(
    make_user: Callable[..., UserWithToken],
) -> None:
    ann, bob = make_user(), make_user()
    mine = [queued(ann, hevy(), dry_run="true")["id"] for _ in range(3)]
    theirs = queued(bob, hevy())
    first = ann.get(URL, params={"limit": 2}).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    listed = [i["id"] for i in all_pages(ann, f"{URL}?limit=2")]
    assert listed == list(reversed(mine))  # newest first
    assert theirs["id"] not in ann.get(URL).text
    assert_error(ann.get(f"{URL}/{theirs['id']}"), 404, "import_not_found")
    assert_error(ann.get(URL, params={"cursor": "bm90LWEta2V5"}), 400, "invalid_cursor")
    assert ann.get(URL, params={"limit": 0}).status_code == 400
