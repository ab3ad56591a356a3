"""The command line as a developer uses it: configuration errors, help, `db url`, `db`
commands next to a running server, the startup retry and start-up failures."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from app.cli import DB_ACTIONS, db_command, main, one_line, parser
from app.core.config import load_settings
from app.core.embedded import PORT_FILE, EmbeddedPostgres
from tests.test_server import free_port, running_server

BAD_VALUES = {
    "KINETRIA_ENV": "staging",
    "DATABASE_URL": "mysql://root@localhost/kinetria",
    "DATABASE_LISTEN_URL": "not a url",
    "PORT": "0",
    "WORKERS": "many",
    "LOG_LEVEL": "LOUD",
    "DB_POOL_MIN_SIZE": "0",
    "DB_POOL_MAX_SIZE": "-1",
    "DB_POOL_TIMEOUT": "-3",
    "DB_CONNECT_TIMEOUT": "soon",
    "DB_STARTUP_TIMEOUT": "-1",
    "DB_STATEMENT_TIMEOUT_MS": "1.5",
    "SLOW_QUERY_MS": "slow",
    "MAX_BODY_BYTES": "1",
    "ACCESS_TOKEN_TTL_S": "3600",
    "REFRESH_TOKEN_IDLE_DAYS": "0",
    "LOGIN_MAX_FAILURES": "-5",
    "LOGIN_WINDOW_S": "forever",
    "SYNC_RETENTION_DAYS": "0",
}


def kinetria(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**os.environ, "LOG_LEVEL": "INFO", **env},
        stdin=subprocess.PIPE,  # never closed: a command waiting for input would hang
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [*BAD_VALUES, "JWT_SECRET", "KINETRIA_HOME"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env


def exit_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    out, err = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 1), out, err


@pytest.mark.parametrize(("name", "value"), BAD_VALUES.items())
@pytest.mark.usefixtures("clean_env")
def test_each_invalid_value_gives_the_one_message_and_exit_2(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(name, value)
    code, out, err = exit_of(["db", "status"], capsys)
    assert code == 2
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("kinetria: invalid configuration: ")
    assert f"{name}:" in line


@pytest.mark.usefixtures("clean_env")
def test_all_invalid_values_at_once_are_named_in_one_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in BAD_VALUES.items():
        monkeypatch.setenv(name, value)
    code, _, err = exit_of(["serve"], capsys)
    assert code == 2
    [line] = err.splitlines()
    for name in BAD_VALUES:
        assert f"{name}:" in line, name


@pytest.mark.usefixtures("clean_env")
def test_every_command_has_help_with_defaults_and_environment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = exit_of(["--help"], capsys)
    assert code == 0
    for text in ("serve", "db", "DATABASE_URL", "KINETRIA_HOME", "--version"):
        assert text in out
    code, out, _ = exit_of(["serve", "--help"], capsys)
    assert code == 0
    for text in ("env HOST, default 127.0.0.1", "env PORT, default 8000", "env WORKERS, default 1"):
        assert text in " ".join(out.split()), text
    assert "DB_STARTUP_TIMEOUT" in out
    code, out, _ = exit_of(["db", "--help"], capsys)
    assert code == 0
    for action in DB_ACTIONS:
        assert action in out
    for action, summary in DB_ACTIONS.items():
        code, out, _ = exit_of(["db", action, "--help"], capsys)
        assert code == 0
        assert " ".join(summary.split()[1:4]) in " ".join(out.split()), action
        assert "DATABASE_URL" in out
    code, out, _ = exit_of(["db", "url", "--help"], capsys)
    assert "--tcp" in out
    assert "default" in out
    code, out, _ = exit_of(["db", "seed", "--help"], capsys)
    assert "(default 1000)" in " ".join(out.split())


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from app.health import VERSION

    code, out, _ = exit_of(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"kinetria {VERSION}"


def embedded_running(home: Path) -> bool:
    pid_file = home / "pgdata" / "postmaster.pid"
    return pid_file.exists()


def test_db_url_prints_and_exits_and_the_database_stays_up_until_db_stop(
    pg_home: Path,
) -> None:
    env = {"KINETRIA_HOME": str(pg_home), "DATABASE_URL": ""}
    socket_url = kinetria("db", "url", env=env)
    assert socket_url.returncode == 0, socket_url.stderr
    [url] = socket_url.stdout.splitlines()
    tcp = kinetria("db", "url", "--tcp", env=env)
    assert tcp.returncode == 0, tcp.stderr
    [tcp_url] = tcp.stdout.splitlines()
    port = int((pg_home / PORT_FILE).read_text())
    assert tcp_url == f"postgresql://postgres@127.0.0.1:{port}/kinetria?sslmode=disable"
    for each in (url, tcp_url):  # both commands have exited: the database is still up
        with psycopg.connect(each) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("kinetria",)
    # scriptable: DATABASE_URL=$(kinetria db url) for another command
    status = kinetria("db", "status", env={**env, "DATABASE_URL": url})
    assert status.returncode == 0, status.stderr
    assert "Pending:" in status.stdout
    stopped = kinetria("db", "stop", env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped" in stopped.stdout
    assert not embedded_running(pg_home)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(tcp_url, connect_timeout=2)


@pytest.mark.xdist_group("db_schema_file")  # rewrites or reads db/schema.sql: one process
def test_db_commands_next_to_serve_use_its_database_and_leave_it_running(
    pg_home: Path,
) -> None:
    home = pg_home
    env = {"KINETRIA_HOME": str(home), "DATABASE_URL": "", "KINETRIA_ENV": "development"}
    with running_server(env) as (base, process):
        for action in ("status", "migrate", "status", "dump"):
            result = kinetria("db", action, env=env)
            assert result.returncode == 0, (action, result.stderr)
            assert embedded_running(home)
            ready = httpx.get(f"{base}/health/ready", timeout=10)
            assert ready.status_code == 200, (action, ready.text)
        stop = kinetria("db", "stop", env=env)  # refuses to take the database from serve
        assert stop.returncode == 0
        assert "left running" in stop.stdout
        assert httpx.get(f"{base}/health/ready", timeout=10).status_code == 200
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
    # the server started the database and was its last user: it stopped it
    assert not embedded_running(home)


def test_serve_next_to_db_url_leaves_the_database_up_for_the_url(pg_home: Path) -> None:
    home = pg_home
    env = {"KINETRIA_HOME": str(home), "DATABASE_URL": ""}
    url = kinetria("db", "url", "--tcp", env=env).stdout.strip()
    with running_server(env) as (base, _):
        assert httpx.get(f"{base}/health/ready", timeout=10).status_code == 200
    with psycopg.connect(url) as conn:  # still up: `db url` asked to keep it
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert kinetria("db", "stop", env=env).returncode == 0
    assert not embedded_running(home)


@pytest.fixture
def late_database(pg_home: Path) -> Iterator[tuple[str, threading.Thread]]:
    """A PostgreSQL that starts three seconds from now at a known port."""
    home = pg_home
    port = free_port()
    (home / PORT_FILE).write_text(f"{port}\n")
    started: list[EmbeddedPostgres] = []

    def start() -> None:
        time.sleep(3)
        started.append(EmbeddedPostgres(home))

    thread = threading.Thread(target=start)
    thread.start()
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/kinetria?sslmode=disable", thread
    finally:
        thread.join()
        for server in started:
            server.stop(force=True)


def test_development_serve_with_database_url_waits_for_the_database_then_migrates(
    late_database: tuple[str, threading.Thread],
) -> None:
    url, _ = late_database
    env = {"DATABASE_URL": url, "KINETRIA_ENV": "development", "DB_STARTUP_TIMEOUT": "60"}
    with running_server(env) as (base, process):
        ready = httpx.get(f"{base}/health/ready", timeout=10)
        assert ready.status_code == 200, ready.text  # and so migrated
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert "database not ready, retrying" in output
    assert output.index("database not ready, retrying") < output.index("migrations applied")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        (
            {"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{closed_port()}/kinetria"},
            "kinetria: database not reachable after 1 attempts",
        ),
        (
            {"DATABASE_URL": "", "KINETRIA_HOME": "/proc/kinetria-home"},
            "kinetria: the embedded database did not start: ",
        ),
    ],
    ids=["database-unreachable", "home-not-writable"],
)
def test_a_start_up_failure_is_one_line_and_a_nonzero_exit(
    env: dict[str, str], reason: str
) -> None:
    result = kinetria(
        "serve", "--port", str(free_port()), env={"DB_STARTUP_TIMEOUT": "0", **env}, timeout=60
    )
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(reason), line
    assert "Traceback" not in result.stderr


def run_db(argv: list[str]) -> None:
    """A `kinetria db …` command in this process (its output captured by pytest)."""
    args = parser().parse_args(["db", *argv])
    db_command(load_settings(read_dotenv=False), args)


@pytest.mark.xdist_group("db_schema_file")  # rewrites or reads db/schema.sql: one process
def test_db_commands_in_one_process(
    pg_home: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KINETRIA_HOME", str(pg_home))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    run_db(["url"])
    url = capfd.readouterr().out.strip()
    run_db(["url", "--tcp"])
    tcp_url = capfd.readouterr().out.strip()
    assert tcp_url.startswith("postgresql://postgres@127.0.0.1:")
    for each in (url, tcp_url):
        with psycopg.connect(each) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    run_db(["migrate"])
    run_db(["status"])
    assert "Pending: 0" in capfd.readouterr().out
    run_db(["stop"])
    assert capfd.readouterr().out.strip() == "embedded database stopped"
    assert not embedded_running(pg_home)
    # with DATABASE_URL, `db url` prints it and `db stop` has nothing to stop
    monkeypatch.setenv("DATABASE_URL", url)
    run_db(["url"])
    assert capfd.readouterr().out.strip() == url
    with pytest.raises(SystemExit) as refused:
        run_db(["stop"])
    assert refused.value.code == 2
    with pytest.raises(SystemExit) as refused:
        run_db(["seed"])
    assert refused.value.code == 2
    assert "--users" in capfd.readouterr().err


def test_a_failed_tool_is_told_in_one_line() -> None:
    failed = subprocess.CalledProcessError(
        1, ["/usr/bin/dbmate", "up"], stderr="Error: first\nsecond\n\nthird\nfourth\n"
    )
    assert one_line(failed) == "dbmate failed: Error: first; second; third"
    assert one_line(RuntimeError("")) == "RuntimeError"
