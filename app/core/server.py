"""The HTTP server: Granian running the app's workers, with the stop the app needs.

* **Connections are cheap.** Granian's `backpressure` (connections a worker takes at once)
  is `HTTP_MAX_CONNECTIONS`, a guard against running out of file descriptors, not a bound
  on work: concurrency is bounded where the scarce resource is, the database pool
  (`DB_POOL_MAX_SIZE`, `DB_POOL_MAX_WAITING`, `DB_POOL_TIMEOUT`). Idle keep-alive
  connections cost a socket each and block nobody.
* **Slow clients are cut off.** Headers must arrive within `HTTP_HEADER_TIMEOUT_S` (also how
  long an idle keep-alive connection stays open); bodies within `HTTP_BODY_TIMEOUT_S`
  (enforced by the app: 408).
* **SIGTERM drains.** Readiness turns 503 at once (app/core/lifecycle.py) and the server keeps
  accepting and serving for `SHUTDOWN_DRAIN_S`, closing each connection after its response;
  then the workers stop accepting, finish what is in flight (at most `SHUTDOWN_TIMEOUT_S`,
  then they are killed), close the pool, and the process exits 0. A second SIGTERM, or
  SIGINT (Ctrl-C), skips what is left of the drain.
* **Workers die with the main process** (PR_SET_PDEATHSIG, set by each worker).
"""

from __future__ import annotations

import errno
import logging
import math
import os
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.config import Settings
from app.core.lifecycle import DRAIN_FILE_ENV, MAIN_PID_ENV

if TYPE_CHECKING:
    from granian.server.common import AbstractServer

log = logging.getLogger("kinetria.server")


class PortInUse(Exception):
    pass


def http_server(
    target: str, settings: Settings, *, host: str, port: int, workers: int
) -> AbstractServer[Any]:
    """The HTTP server for an ASGI app factory named `module:function` (the benchmark's
    floors run on it too, so they compare like with like)."""
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings

    return Granian(
        target,
        factory=True,
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        backlog=max(1024, settings.http_max_connections),
        # connections a worker holds at once; requests in progress are bounded by the pool
        backpressure=settings.http_max_connections,
        http1_settings=HTTP1Settings(
            header_read_timeout=max(1, round(settings.http_header_timeout_s * 1000)),
            keep_alive=True,
        ),
        workers_kill_timeout=max(1, math.ceil(settings.shutdown_timeout_s)),
        log_dictconfig=granian_logging(settings.log_level),
    )


def granian_logging(level: str) -> dict[str, object]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.core.logs.JsonFormatter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "_granian": {"handlers": ["console"], "level": level, "propagate": False},
            "granian.access": {"handlers": ["console"], "level": level, "propagate": False},
            "psycopg.pool": {"level": "ERROR"},
        },
    }


def check_port(host: str, port: int) -> None:
    """PortInUse when something already listens on host:port. Granian's workers bind with
    SO_REUSEPORT, so a second server would otherwise share the port silently."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(f"cannot listen on {host}:{port}: address already in use") from None
            raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror}") from None


class Drain:
    """The main process's side of the stop: the drain file the workers watch, and the timer
    that ends the drain."""

    def __init__(self, server: AbstractServer[Any], drain_s: float) -> None:
        self.server = server
        self.drain_s = drain_s
        self.directory = Path(tempfile.mkdtemp(prefix="kinetria-"))
        self.file = self.directory / "draining"
        self.stop_server = server.signal_handler_interrupt
        self.stopping = False
        self.lock = threading.Lock()

    def on_signal(self, signum: int, frame: object = None) -> None:
        with self.lock:
            if self.stopping or signum != signal.SIGTERM or self.drain_s <= 0:
                self.stop()
                return
            if self.file.exists():  # a second SIGTERM: stop now
                self.stop()
                return
            self.file.touch()
        log.info("SIGTERM: draining", extra={"drain_s": self.drain_s})
        timer = threading.Timer(self.drain_s, self.end_of_drain)
        timer.daemon = True
        timer.start()

    def end_of_drain(self) -> None:
        with self.lock:
            if self.stopping:
                return
            log.info("drain over: stopping")
            self.stop()

    def stop(self) -> None:
        self.stopping = True
        self.file.touch()
        self.stop_server()

    def remove(self) -> None:
        self.file.unlink(missing_ok=True)
        self.directory.rmdir()


def run(target: str, settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve `target` until SIGTERM (drained) or SIGINT; returns when every worker stopped."""
    check_port(host, port)
    server = http_server(target, settings, host=host, port=port, workers=workers)
    drain = Drain(server, settings.shutdown_drain_s)
    os.environ[DRAIN_FILE_ENV] = str(drain.file)
    os.environ[MAIN_PID_ENV] = str(os.getpid())
    # Granian installs its signal handler when it starts: it finds ours in its place
    server.signal_handler_interrupt = drain.on_signal  # type: ignore[method-assign]
    try:
        server.serve()
    finally:
        drain.remove()
        os.environ.pop(DRAIN_FILE_ENV, None)
        os.environ.pop(MAIN_PID_ENV, None)
    if server.interrupt_children:  # a worker died on its own
        sys.exit(1)
