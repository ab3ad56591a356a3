"""What build this is: the package version and, when known, the source revision.

The revision comes from `GIT_REVISION` (set by the image build: `--build-arg
GIT_REVISION=$(git rev-parse HEAD)`), else from `git rev-parse` once, when running from a
checkout, else "unknown". Read once per process, never per request.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from functools import cache
from importlib.metadata import version
from pathlib import Path

import msgspec

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class BuildInfo(msgspec.Struct, frozen=True):
    version: str
    revision: str


@cache
def build_info() -> BuildInfo:
    return BuildInfo(version=version("kinetria"), revision=_revision())


def _revision() -> str:
    given = os.environ.get("GIT_REVISION", "").strip()
    if given:
        return given[:40]
    git = shutil.which("git")
    if git is None or not (PROJECT_ROOT / ".git").exists():
        return "unknown"
    try:
        done = subprocess.run(  # noqa: S603 (git, found on PATH, fixed arguments)
            [git, "rev-parse", "--short=12", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


STARTED_AT = time.time()  # when this process imported the module: uptime counts from here
