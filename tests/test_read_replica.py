"""DATABASE_REPLICA_URL: the statistics read from a real streaming replica of the embedded
PostgreSQL (pg_basebackup -R from the wheel's tools), everything else from the primary.

The proof a user sees: what was logged on the primary shows in the statistics once the
replica has replayed it, and with the primary stopped, the statistics still answer (from the
replica) while a session read answers 503."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient
from psycopg.conninfo import conninfo_to_dict

from app.core.embedded import EmbeddedPostgres, bin_dir
from app.core.migrate import run_dbmate
from app.main import create_app
from tests.api import register, signed_in
from tests.catalogue import BACK_SQUAT
from tests.conftest import make_settings


@dataclass
class Pair:
    primary: EmbeddedPostgres
    primary_url: str
    replica_url: str
    replica_data: Path
    user: str | None  # the system user the servers run as (when we are root)

    def pg(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        tools = bin_dir()
        assert tools is not None
        result = subprocess.run(
            [str(tools / tool), *args],
            user=self.user,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if result.returncode != 0:
            log = self.replica_data / "log"
            pytest.fail(
                f"{tool} failed: {result.stderr}\n{log.read_text() if log.exists() else ''}"
            )
        return result

    def wait_for_replay(self) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary_url, autocommit=True) as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        assert row is not None
        target = row[0]
        deadline = time.monotonic() + 60
        with psycopg.connect(self.replica_url, autocommit=True) as conn:
            while True:
                caught_up = conn.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
                ).fetchone()
                if caught_up and caught_up[0]:
                    return
                if time.monotonic() > deadline:
                    pytest.fail("the replica did not replay the primary's WAL within 60 s")
                time.sleep(0.05)


# the pair of servers is started once for the module, so its tests run in one worker process
pytestmark = pytest.mark.xdist_group("read_replica_pair")


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """A migrated embedded primary and a streaming replica of it, each on its own socket;
    one pair for the module's tests, each with a user of its own."""
    root = Path(tempfile.mkdtemp(prefix="kinetria-repl-"))
    primary = EmbeddedPostgres(root / "primary")
    owner = os.stat(primary.pgdata).st_uid
    user = pwd.getpwuid(owner).pw_name if os.geteuid() == 0 and owner != 0 else None
    run_dbmate(primary.url, "up", capture=True)
    replica_home = root / "replica"
    replica_home.mkdir()
    replica_data = replica_home / "pgdata"
    if user is not None:
        os.chown(replica_home, owner, -1)
    pair = Pair(primary, primary.url, "", replica_data, user)
    primary_at = conninfo_to_dict(primary.admin_url)
    socket_dir, port = primary_at["host"], primary_at["port"]
    try:
        pair.pg(
            "pg_basebackup",
            "--pgdata",
            str(replica_data),
            "--write-recovery-conf",  # standby.signal and primary_conninfo
            "--wal-method=stream",
            "--checkpoint=fast",
            "--dbname",
            f"host={socket_dir} port={port} user=postgres",
        )
        # the primary keeps its socket and server log in its data directory: not the replica's
        for copied in (*replica_data.glob(".s.PGSQL.*"), replica_data / "log"):
            copied.unlink(missing_ok=True)
        pair.pg(
            "pg_ctl",
            "--pgdata",
            str(replica_data),
            "-w",
            "-o",
            f"-h '' -k {replica_data} -p {port}",
            "-l",
            str(replica_data / "log"),
            "start",
        )
        pair.replica_url = f"postgresql://postgres@/kinetria?host={replica_data}&port={port}"
        with psycopg.connect(pair.replica_url, autocommit=True) as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        yield pair
    finally:
        if (replica_data / "postmaster.pid").exists():
            pair.pg("pg_ctl", "--pgdata", str(replica_data), "-w", "-m", "immediate", "stop")
        if (primary.pgdata / "postmaster.pid").exists():
            primary.stop()
        shutil.rmtree(root, ignore_errors=True)


def backends(url: str) -> int:
    """Connections of the app (application_name kinetria) to the server of `url`."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kinetria'"
        ).fetchone()
    return int(row[0]) if row else 0


def test_statistics_are_read_from_the_replica(pair: Pair) -> None:
    settings = make_settings(
        pair.primary_url, database_replica_url=pair.replica_url, pool_timeout_s=2
    )
    with TestClient(create_app(settings)) as client:
        ann = signed_in(client, register(client, "ann@example.com"))
        session = ann.post("/v1/sessions", json={"name": "Legs"}).json()["id"]
        logged = ann.post(
            f"/v1/sessions/{session}/sets",
            json=[{"exercise_id": str(BACK_SQUAT), "reps": 5, "weight": 120}],
        )
        assert logged.status_code == 201, logged.text  # writes go to the primary
        assert ann.post(f"/v1/sessions/{session}/finish").status_code == 200
        assert backends(pair.replica_url) >= 1  # the replica pool is open

        pair.wait_for_replay()
        summary: dict[str, Any] = ann.get("/v1/stats/summary").json()
        assert (summary["sessions"], summary["sets"], summary["volume_kg"]) == (1, 1, 600.0)
        [record] = ann.get("/v1/stats/records").json()["items"]
        assert record["heaviest_weight"]["weight_kg"] == 120.0

        # the replica stops replaying: a set logged now is on the primary (the session
        # document shows it) but not in the statistics, which the replica answers
        with psycopg.connect(pair.replica_url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
        second = ann.post("/v1/sessions", json={"name": "Legs again"}).json()["id"]
        more = ann.post(
            f"/v1/sessions/{second}/sets",
            json=[{"exercise_id": str(BACK_SQUAT), "reps": 3, "weight": 130}],
        )
        assert more.status_code == 201, more.text
        assert len(ann.get(f"/v1/sessions/{second}").json()["sets"]) == 1
        assert ann.get("/v1/stats/summary").json() == summary
        history = ann.get(f"/v1/exercises/{BACK_SQUAT}/history")
        assert history.status_code == 200, history.text
        assert [item["sets"] for item in history.json()["items"]] == [1]
        # replay resumes: the statistics catch up
        with psycopg.connect(pair.replica_url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
        pair.wait_for_replay()
        [record] = ann.get("/v1/stats/records").json()["items"]
        assert record["heaviest_weight"]["weight_kg"] == 130.0


def test_without_a_replica_url_statistics_read_the_primary(pair: Pair) -> None:
    with TestClient(create_app(make_settings(pair.primary_url))) as client:
        ann = signed_in(client, register(client, "bob@example.com"))
        assert ann.get("/v1/stats/summary").status_code == 200
        assert backends(pair.replica_url) == 0
