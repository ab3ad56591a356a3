"""A real PgBouncer (the `pgbouncer` binary, Debian's package) in transaction pooling mode in
front of the test PostgreSQL, and the URLs that reach a database through it.

Every database of the server is reachable through it (the `*` entry of `[databases]`), so
the per-test copies of the template work as they are. PgBouncer refuses to run as root: as
root it is started with `-u` as an unprivileged user (the one the server runs as, when it
listens on a socket of its own directory) that owns PgBouncer's directory."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

import psycopg

# what the first line of `pgbouncer --version` says, e.g. "PgBouncer 1.18.0"
_VERSION = re.compile(r"PgBouncer (\d+)\.(\d+)")


@dataclass(frozen=True)
class PgBouncer:
    host: str
    port: int
    version: tuple[int, int]
    user: str  # who may use the admin console (the test server's role)

    def url_for(self, url: str) -> str:
        """`url` (a database of the server behind) through PgBouncer: the same role,
        password and database, PgBouncer's address."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
        query = "&".join(
            f"{key}={quote(value)}"
            for key, values in parse_qs(parts.query).items()
            for value in values
            if key not in ("host", "port", "hostaddr")
        )
        netloc = f"{userinfo}@{self.host}:{self.port}" if userinfo else f"{self.host}:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc, query=query))

    def admin_url(self) -> str:
        return f"postgresql://{quote(self.user)}@{self.host}:{self.port}/pgbouncer"

    def show(self, what: str) -> list[dict[str, object]]:
        """`SHOW <what>` on the admin console (simple protocol, as it requires)."""
        with psycopg.connect(self.admin_url(), autocommit=True, prepare_threshold=None) as conn:
            cursor = conn.cursor()
            cursor.execute(f"SHOW {what}".encode(), prepare=False)
            names = [column.name for column in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def binary() -> str:
    path = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if path is None:
        raise RuntimeError("pgbouncer is not installed (apt-get install -y pgbouncer)")
    return path


def version() -> tuple[int, int]:
    output = subprocess.run([binary(), "--version"], capture_output=True, text=True, check=True)
    match = _VERSION.search(output.stdout)
    if match is None:
        raise RuntimeError(f"unexpected pgbouncer --version: {output.stdout!r}")
    return int(match.group(1)), int(match.group(2))


def _server_of(url: str) -> tuple[str, int, str, str]:
    """Host (or socket directory), port, role and password of the server `url` names."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "localhost"])[0]
    port = int(query.get("port", [str(parts.port or 5432)])[0])
    user = unquote(parts.username or "") or pwd.getpwuid(os.getuid()).pw_name
    return host, port, user, unquote(parts.password or "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as(host: str) -> str | None:
    """The unprivileged user PgBouncer runs as when we are root (it refuses root): the owner
    of the server's socket directory (the embedded server's own user; the directory is its
    data directory, closed to others), else postgres or nobody."""
    if os.geteuid() != 0:
        return None
    if host.startswith("/"):
        owner = os.stat(host).st_uid
        if owner != 0:
            return pwd.getpwuid(owner).pw_name
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("no unprivileged user (postgres or nobody) to run pgbouncer as")


@contextmanager
def running_pgbouncer(
    server_url: str, *, pool_size: int = 20, max_prepared_statements: int | None = None
) -> Iterator[PgBouncer]:
    """PgBouncer in transaction pooling mode in front of the server of `server_url`,
    listening on a free port of 127.0.0.1; stopped on exit."""
    host, port, user, password = _server_of(server_url)
    found = version()
    workdir = Path(tempfile.mkdtemp(prefix="kinetria-pgbouncer-"))
    listen_port = _free_port()
    settings = {
        "listen_addr": "127.0.0.1",
        "listen_port": str(listen_port),
        "unix_socket_dir": "",
        "pool_mode": "transaction",
        "auth_type": "trust",
        "auth_file": str(workdir / "userlist.txt"),
        "admin_users": user,
        "max_client_conn": "1000",
        "default_pool_size": str(pool_size),
        "logfile": str(workdir / "pgbouncer.log"),
        "pidfile": "",
    }
    if max_prepared_statements is not None:
        settings["max_prepared_statements"] = str(max_prepared_statements)
    ini = "[databases]\n"
    ini += f"* = host={host} port={port}\n\n[pgbouncer]\n"
    ini += "".join(f"{key} = {value}\n" for key, value in settings.items())
    (workdir / "pgbouncer.ini").write_text(ini)
    # trust still needs the role listed; its password is what PgBouncer logs in with
    (workdir / "userlist.txt").write_text(f'"{user}" "{password}"\n')
    command = [binary(), str(workdir / "pgbouncer.ini")]
    run_as = _run_as(host)
    if run_as is not None:
        account = pwd.getpwnam(run_as)
        for path in (workdir, *workdir.iterdir()):
            os.chown(path, account.pw_uid, account.pw_gid)
        command[1:1] = ["-u", run_as]
    # PgBouncer logs to its logfile and to stderr too: never to a pipe nobody reads (it
    # would block once the pipe is full)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bouncer = PgBouncer("127.0.0.1", listen_port, found, user)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                log = workdir / "pgbouncer.log"
                text = log.read_text() if log.exists() else ""
                raise RuntimeError(f"pgbouncer exited ({process.returncode}):\n{text}")
            try:
                with socket.create_connection(("127.0.0.1", listen_port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("pgbouncer did not listen within 30 s") from None
                time.sleep(0.05)
        yield bouncer
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)
