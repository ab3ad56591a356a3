"""The worker `kinetria serve` runs beside the server, as a child process that ends with it."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

PARENT_ENV = "KINETRIA_WORKER_PARENT"  # the pid of the server that started this worker


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent ends (Linux)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_worker_child() -> subprocess.Popen[bytes]:
    env = {**os.environ, PARENT_ENV: str(os.getpid())}
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        env=env,
        preexec_fn=_die_with_parent,
    )


def stop_worker_child(child: subprocess.Popen[bytes], *, timeout_s: float) -> None:
    """SIGTERM, then wait for its graceful stop; SIGKILL past `timeout_s` (its running jobs
    are then handed back by the next worker's stalled-job check)."""
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def watch_parent() -> None:
    """Started by a server (PARENT_ENV set): stop like on SIGTERM once that server is gone,
    where the parent-death signal is not available."""
    parent = os.environ.get(PARENT_ENV)
    if not parent or not parent.isdigit():
        return
    parent_pid = int(parent)
    if os.getppid() != parent_pid:  # already gone before we got here
        os.kill(os.getpid(), signal.SIGTERM)
        return

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
