"""The process's life around its requests: draining before a stop, and dying with the parent.

`kinetria serve` (app/core/server.py) runs the HTTP server's workers as child processes. On
SIGTERM it creates the drain file, whose path it gives the workers in `KINETRIA_DRAIN_FILE`;
from then on every worker answers readiness with 503 `draining` and closes each connection
after its response, so a load balancer moves the traffic elsewhere while requests still get
served. An app made without the server (tests, other hosts) never drains.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
from collections.abc import AsyncGenerator, Coroutine
from pathlib import Path
from typing import Any

log = logging.getLogger("kinetria.lifecycle")

DRAIN_FILE_ENV = "KINETRIA_DRAIN_FILE"
MAIN_PID_ENV = "KINETRIA_MAIN_PID"
_WATCH_INTERVAL_S = 0.05
_PR_SET_PDEATHSIG = 1


@contextlib.asynccontextmanager
async def in_background(work: Coroutine[Any, Any, None]) -> AsyncGenerator[None]:
    """Run `work` as a task while the block runs; cancel it (and wait for it) on the way out."""
    task = asyncio.create_task(work)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Lifecycle:
    """This process's view of the drain: `draining` turns True once the drain file exists."""

    __slots__ = ("drain_file", "draining")

    def __init__(self, drain_file: Path | None) -> None:
        self.drain_file = drain_file
        self.draining = False

    @classmethod
    def from_env(cls) -> Lifecycle:
        path = os.environ.get(DRAIN_FILE_ENV)
        return cls(Path(path) if path else None)

    def check(self) -> bool:
        """Look at the drain file now (readiness asks this, not the last poll)."""
        if not self.draining and self.drain_file is not None and self.drain_file.exists():
            self.draining = True
        return self.draining

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncGenerator[None]:
        """Poll the drain file in the background while the app runs."""
        if self.drain_file is None:
            yield
            return
        async with in_background(self._watch()):
            yield

    async def _watch(self) -> None:
        # a file another process writes: there is nothing to await but time
        while not self.check():  # noqa: ASYNC110
            await asyncio.sleep(_WATCH_INTERVAL_S)
        log.info("draining: readiness is 503, connections close after their response")


def die_with_parent() -> None:
    """In a server worker: get SIGKILL when the main process dies, however it dies (so no
    orphan keeps serving after `kill -9` of the main process; SIGTERM would not do: a worker
    stopping gracefully keeps serving its keep-alive connections until the main process,
    gone, kills it). Linux only; elsewhere a no-op."""
    main_pid = os.environ.get(MAIN_PID_ENV)
    if not main_pid or os.uname().sysname != "Linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        log.warning("cannot ask to die with the parent", extra={"errno": ctypes.get_errno()})
        return
    if os.getppid() != int(main_pid):  # the parent died before we asked
        os.kill(os.getpid(), signal.SIGKILL)
