"""The README's walk-through, run as written: every command of its shell block (sign up,
create a workout, start a session from it, log sets, finish, read it back) is parsed and
sent through the test client, in order, with the shell variables it sets and uses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from tests.api import Client, TokenClient

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = re.compile(r"^## The training API$(.*?)^## ", re.DOTALL | re.MULTILINE)
WALKTHROUGH = re.compile(r"### Walk-through.*?```sh\n(.*?)```", re.DOTALL)
CAPTURE = re.compile(r"^(\w+)=\$\((curl .*) \| jq -r (\S+)\)$", re.DOTALL)
ASSIGN = re.compile(r"^(\w+)=(.*)$", re.DOTALL)
VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)\}")
JQ_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")


def walkthrough_commands() -> list[str]:
    section = SECTION.search(README.read_text())
    assert section, "README.md has no training-api section"
    block = WALKTHROUGH.search(section.group(1))
    assert block, "the training-api section has no walk-through shell block"
    commands: list[str] = []
    pending = ""
    for line in block.group(1).splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        if pending.count("'") % 2:  # a quoted body going on over several lines
            pending += "\n"
            continue
        commands.append(pending.strip())
        pending = ""
    assert not pending
    return commands


def expand(text: str, variables: dict[str, str]) -> str:
    return VARIABLE.sub(lambda m: variables[m.group(1) or m.group(2)], text)


def jq(document: Any, path: str) -> str:
    value = document
    for key, index in JQ_STEP.findall(path):
        value = value[key] if key else value[int(index)]
    return str(value)


def run_curl(client: Client, command: str, variables: dict[str, str]) -> Any:
    words = [expand(word, variables) for word in shlex.split(command)]
    assert words[0] == "curl", command
    method, url, body = None, None, None
    headers: dict[str, str] = {}
    rest = iter(words[1:])
    for word in rest:
        if word == "-s":
            continue
        if word == "-X":
            method = next(rest)
        elif word == "-H":
            name, _, value = next(rest).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "-d":
            body = next(rest)
        else:
            assert word.startswith(variables["API"]), f"unexpected curl argument {word!r}"
            url = word.removeprefix(variables["API"])
    assert url, command
    method = method or ("POST" if body is not None else "GET")
    response = client.request(method, url, content=body, headers=headers)
    assert 200 <= response.status_code < 300, f"{method} {url}: {response.text}"
    return response.json() if response.content else None


def test_the_readme_walkthrough_runs_as_written(client: Client) -> None:
    variables: dict[str, str] = {}
    last: Any = None
    for command in walkthrough_commands():
        if captured := CAPTURE.match(command):
            name, curl, path = captured.groups()
            document = run_curl(client, curl, variables)
            variables[name] = jq(document, shlex.split(path)[0])
        elif command.startswith("curl "):
            last = run_curl(client, command, variables)
        elif assigned := ASSIGN.match(command):
            name, value = assigned.groups()
            words = shlex.split(value)
            assert len(words) == 1, command
            variables[name] = expand(words[0], variables)
        else:
            raise AssertionError(f"cannot run {command!r}")

    assert {"API", "TOKEN", "SQUAT", "BENCH", "WORKOUT", "SESSION", "SET_ID"} <= variables.keys()
    # the last command lists the completed sessions: the one just finished
    assert [s["id"] for s in last["items"]] == [variables["SESSION"]]
    assert last["items"][0]["set_count"] == 4

    reader = TokenClient(client, variables["TOKEN"])
    session = reader.get(f"/v1/sessions/{variables['SESSION']}").json()
    assert session["status"] == "completed"
    assert session["workout_id"] == variables["WORKOUT"]
    assert session["timezone"] == "Europe/Paris"
    assert [e["exercise_name"] for e in session["exercises"]] == [
        "Barbell Back Squat",
        "Barbell Bench Press",
    ]
    assert [
        (s["position"], s["exercise_name"], s["set_type"], s["reps"], s["weight"], s["weight_unit"])
        for s in session["sets"]
    ] == [
        (0, "Barbell Back Squat", "warmup", 8, 60, "kg"),
        (1, "Barbell Back Squat", "normal", 5, 100, "kg"),
        (2, "Barbell Back Squat", "normal", 5, 100, "kg"),
        (3, "Barbell Bench Press", "normal", 5, 175, "lb"),
    ]
    assert session["version"] == 5
    workout = reader.get(f"/v1/workouts/{variables['WORKOUT']}").json()
    assert workout["status"] == "active"
    assert workout["exercises"][0]["target_weight_kg"] == 100
