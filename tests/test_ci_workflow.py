"""The GitHub Actions workflow (.github/workflows/ci.yml): valid against the workflow schema
(check-jsonschema's vendored copy), clean under actionlint (with shellcheck on its `run:`
scripts), and doing what the README says: .ci/run, the image built and scanned, the lock
audited, and a release that pushes the image tagged by git revision."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy_tools import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
BIN = Path(sys.executable).parent  # the environment's scripts: check-jsonschema, actionlint


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is missing: uv sync installs it (dev group)"
    return found


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("actionlint"), "-no-color", "-shellcheck", tool("shellcheck"), str(path)],
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    return workflow["jobs"][job]["steps"]


def uses(workflow: dict[Any, Any], job: str) -> dict[str, dict[str, Any]]:
    return {s["uses"].split("@")[0]: s for s in steps(workflow, job) if "uses" in s}


def runs(workflow: dict[Any, Any], job: str) -> str:
    return "\n".join(s.get("run", "") for s in steps(workflow, job))


def test_workflow_matches_the_github_schema() -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_passes_actionlint_and_shellcheck() -> None:
    result = lint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_a_broken_workflow(tmp_path: Path) -> None:
    broken = WORKFLOW.read_text().replace(
        "run: bash .ci/run", 'run: echo ${{ github.no_such_thing }} && cd $(dirname "$0") ; ls $X'
    )
    path = tmp_path / "ci.yml"
    path.write_text(broken)
    result = lint(path)
    assert result.returncode == 1
    assert "no_such_thing" in result.stdout
    assert "shellcheck reported issue" in result.stdout  # the unquoted $X


def test_runs_on_push_and_pull_request(workflow: dict[Any, Any]) -> None:
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read"}


def test_checks_run_the_one_ci_script(workflow: dict[Any, Any]) -> None:
    assert "bash .ci/run" in runs(workflow, "checks").splitlines()


def test_dependencies_are_audited_from_the_lock(workflow: dict[Any, Any]) -> None:
    script = runs(workflow, "dependencies")
    assert "pip-audit" in script
    assert "--require-hashes" in script
    assert "-r requirements.lock" in script


def test_image_is_built_and_its_packages_scanned(workflow: dict[Any, Any]) -> None:
    actions = uses(workflow, "image")
    build = actions["docker/build-push-action"]["with"]
    assert build["push"] is False
    assert build["load"] is True
    scan = actions["aquasecurity/trivy-action"]["with"]
    assert scan["image-ref"] == build["tags"]
    assert "os" in scan["vuln-type"]
    assert scan["exit-code"] == "1"


def test_release_pushes_the_image_tagged_by_git_revision(workflow: dict[Any, Any]) -> None:
    release = workflow["jobs"]["release"]
    assert set(release["needs"]) == {"checks", "dependencies", "image"}
    assert "refs/heads/main" in release["if"]
    assert "refs/tags/v" in release["if"]
    assert release["permissions"] == {"contents": "read", "packages": "write"}
    actions = uses(workflow, "release")
    assert actions["docker/login-action"]["with"]["registry"] == "ghcr.io"
    meta = actions["docker/metadata-action"]["with"]
    assert meta["images"] == "ghcr.io/${{ github.repository }}"
    assert "type=sha,format=long" in meta["tags"]
    assert "latest=false" in meta["flavor"]
    push = actions["docker/build-push-action"]["with"]
    assert push["push"] is True
    assert push["tags"] == "${{ steps.meta.outputs.tags }}"
    # no other job may write packages
    for name, job in workflow["jobs"].items():
        if name != "release":
            assert "permissions" not in job
