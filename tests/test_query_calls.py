"""The SQL headers are the contract the code is checked against, the way sqlc and aiosql
check theirs. Every call in app/ that runs a SQL file (`db.one/many/scalar/execute`, read
with `ast`, so this runs against whatever app/ holds) must:

- name the file by a string literal, `"<resource>/<name>"`, of a file that exists;
- pass exactly the file's `%(name)s` parameters, as plain keywords (no `**params`: a
  reader and this test must see which names go in);
- use the method the header names: `one X` -> `.one(name, X, ...)`, `many X` ->
  `.many(name, X, ...)`, `scalar` -> `.scalar`, `none` -> `.execute`. `.execute` runs
  only `none` files: a statement run for its row count says so by returning no columns
  (a RETURNING whose rows nobody reads would be fetched for nothing).

And every file under queries/ must be run by at least one such call, or be listed in
RUN_ELSEWHERE with the module that runs it another way.

What counts as a call that runs a SQL file: a call of one of the four methods whose first
argument is a string literal shaped like a query name (a psycopg connection's
`conn.execute("SELECT ...")` is not), and any call of them on a receiver named `db`
(`db.one(...)`, `self.db.one(...)`), whatever its first argument: a name built at run
time is refused.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from app.core.db import PROJECT_ROOT, Query, load_queries, parse_query

APP_DIR = PROJECT_ROOT / "app"

# each Db method and the `-- returns:` word of the files it runs
METHOD_RETURNS = {"one": "one", "many": "many", "scalar": "scalar", "execute": "none"}
# how many positional arguments each method takes: the query name, then the Struct
POSITIONAL = {"one": 2, "many": 2, "scalar": 1, "execute": 1}
QUERY_NAME = re.compile(r"[a-z][a-z0-9_]*(?:/[a-z][a-z0-9_]*)+")

# Files under queries/ that app/ runs other than through a Db call (the seed loader's
# synchronous connection, say): query name -> the module (relative to the project) that
# runs it; that module must mention the name as a string literal.
RUN_ELSEWHERE: dict[str, str] = {
    "backup/target": "app/core/backup.py",
    "seed/copy_audit_log": "app/seed/load.py",
    "seed/copy_exercises": "app/seed/load.py",
    "seed/copy_session_exercises": "app/seed/load.py",
    "seed/copy_sessions": "app/seed/load.py",
    "seed/copy_set_records": "app/seed/load.py",
    "seed/copy_users": "app/seed/load.py",
    "seed/copy_workout_exercises": "app/seed/load.py",
    "seed/copy_workouts": "app/seed/load.py",
    "seed/has_users": "app/seed/load.py",
    "seed/personal_bests": "app/seed/load.py",
    "seed/rebuilt_constraints": "app/seed/load.py",
    "seed/rebuilt_indexes": "app/seed/load.py",
    "seed/settings": "app/seed/load.py",
    "seed/system_exercises": "app/seed/load.py",
    "seed/truncate_rebuilt": "app/seed/load.py",
    "seed/vacuum_analyze": "app/seed/load.py",
}


class Call(NamedTuple):
    where: str  # "app/x.py:12"
    method: str
    query: str | None  # None: the first argument is not a query name literal
    struct: str | None  # the second positional argument, when it is a plain name
    positional: int
    keywords: frozenset[str]
    spread: bool  # a **mapping or *args was passed


def _on_db(receiver: ast.expr) -> bool:
    return (isinstance(receiver, ast.Name) and receiver.id == "db") or (
        isinstance(receiver, ast.Attribute) and receiver.attr == "db"
    )


def _name_of(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def find_calls(source: str, filename: str) -> Iterator[Call]:
    """The calls in `source` that run a SQL file, as the module docstring defines them."""
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in METHOD_RETURNS
        ):
            continue
        first = node.args[0] if node.args else None
        query = (
            first.value
            if isinstance(first, ast.Constant)
            and isinstance(first.value, str)
            and QUERY_NAME.fullmatch(first.value)
            else None
        )
        if query is None and not _on_db(node.func.value):
            continue  # not a Db: e.g. a psycopg connection running a literal statement
        yield Call(
            where=f"{filename}:{node.lineno}",
            method=node.func.attr,
            query=query,
            struct=_name_of(node.args[1]) if len(node.args) > 1 else None,
            positional=len(node.args),
            keywords=frozenset(k.arg for k in node.keywords if k.arg is not None),
            spread=any(k.arg is None for k in node.keywords)
            or any(isinstance(a, ast.Starred) for a in node.args),
        )


def app_calls() -> list[Call]:
    calls: list[Call] = []
    for path in sorted(APP_DIR.rglob("*.py")):
        relative = path.relative_to(PROJECT_ROOT).as_posix()
        calls.extend(find_calls(path.read_text(), relative))
    return calls


def call_problems(call: Call, queries: Mapping[str, Query]) -> list[str]:
    """What is wrong with one call, against the headers of `queries` (empty: nothing)."""
    if call.query is None:
        return [f"{call.where}: .{call.method}() must name its SQL file by a string literal"]
    query = queries.get(call.query)
    if query is None:
        return [f"{call.where}: no file queries/{call.query}.sql"]
    problems: list[str] = []
    expected = METHOD_RETURNS[call.method]
    if query.returns != expected:
        method = next(m for m, word in METHOD_RETURNS.items() if word == query.returns)
        problems.append(
            f"{call.where}: {call.query} returns {query.returns} (its header), "
            f"so run it with .{method}(), not .{call.method}()"
        )
    elif query.struct is not None and call.struct != query.struct:
        problems.append(
            f"{call.where}: {call.query} returns {query.returns} {query.struct} (its header), "
            f"but the call maps its rows to {call.struct or 'something other than a Struct name'}"
        )
    if call.spread:
        problems.append(f"{call.where}: pass the parameters of {call.query} as plain keywords")
    elif call.positional != POSITIONAL[call.method] and query.returns == expected:
        problems.append(
            f"{call.where}: .{call.method}() takes {POSITIONAL[call.method]} positional "
            f"argument(s), got {call.positional}"
        )
    if not call.spread and call.keywords != query.params:
        missing = sorted(query.params - call.keywords)
        unexpected = sorted(call.keywords - query.params)
        problems.append(
            f"{call.where}: {call.query} takes {sorted(query.params)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; not in the file {unexpected}" if unexpected else "")
        )
    return problems


QUERIES = load_queries()
CALLS = app_calls()


def test_the_checker_sees_the_calls_in_app() -> None:
    assert len(CALLS) >= len(QUERIES) - len(RUN_ELSEWHERE)
    assert {call.method for call in CALLS} == set(METHOD_RETURNS)


def test_every_call_names_an_existing_file_and_passes_exactly_its_parameters() -> None:
    problems = [problem for call in CALLS for problem in call_problems(call, QUERIES)]
    assert not problems, "\n".join(problems)


def test_every_query_file_is_run_by_some_call_in_app() -> None:
    used = {call.query for call in CALLS}
    unused = sorted(set(QUERIES) - used - set(RUN_ELSEWHERE))
    assert not unused, f"no call in app/ runs {unused}: delete them, or list them in RUN_ELSEWHERE"


def test_the_files_run_elsewhere_exist_and_are_named_where_they_run() -> None:
    for name, module in RUN_ELSEWHERE.items():
        assert name in QUERIES, f"RUN_ELSEWHERE lists {name}, which is no file"
        source = (PROJECT_ROOT / module).read_text()
        literals = {
            node.value
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        assert name in literals, f"{module} does not name {name}"


# --- the checker itself finds what it should ------------------------------------------------

SAMPLE_QUERIES = {
    name: parse_query(name, sql)
    for name, sql in {
        "things/get": b"-- One.\n-- returns: one Thing\nSELECT 1 WHERE %(id)s AND %(user_id)s",
        "things/list": b"-- All.\n-- returns: many Thing\nSELECT 1 WHERE %(user_id)s",
        "things/count": b"-- How many.\n-- returns: scalar\nSELECT 1 WHERE %(user_id)s",
        "things/delete": b"-- Gone.\n-- returns: none\nDELETE FROM t WHERE %(id)s",
    }.items()
}

SAMPLE = """
async def f(db, conn, name, params):
    await db.one("things/get", Thing, id=1, user_id=2)            # 3: right
    await db.many("things/list", Thing, user_id=2)                # 4: right
    await db.scalar("things/count", user_id=2)                    # 5: right
    await db.execute("things/delete", id=1)                       # 6: right
    await conn.execute("SELECT 1")                                # 7: not a Db call
    await db.one("things/get", Thing, id=1)                       # 8: missing user_id
    await db.one("things/get", Thing, id=1, user_id=2, x=3)       # 9: x is no parameter
    await db.one("things/get", Other, id=1, user_id=2)            # 10: wrong Struct
    await db.many("things/get", Thing, id=1, user_id=2)           # 11: one file, .many
    await db.execute("things/count", user_id=2)                   # 12: scalar file, .execute
    await db.one("things/get", Thing, **params)                   # 13: spread
    await db.one(name, Thing, id=1)                               # 14: not a literal
    await db.scalar("things/gone", id=1)                          # 15: no such file
    await self.db.scalar("things/count", 2)                       # 16: positional parameter
"""


def test_the_checker_reports_each_kind_of_mistake() -> None:
    calls = list(find_calls(SAMPLE, "x.py"))
    assert [call.where for call in calls] == [f"x.py:{n}" for n in range(3, 17) if n != 7]
    found = {
        call.where: " | ".join(call_problems(call, SAMPLE_QUERIES))
        for call in sorted(calls, key=lambda c: int(c.where.split(":")[1]))
    }
    assert [found[f"x.py:{n}"] for n in (3, 4, 5, 6)] == ["", "", "", ""]
    assert "missing ['user_id']" in found["x.py:8"]
    assert "not in the file ['x']" in found["x.py:9"]
    assert "maps its rows to Other" in found["x.py:10"]
    assert "run it with .one(), not .many()" in found["x.py:11"]
    assert "run it with .scalar(), not .execute()" in found["x.py:12"]
    assert "as plain keywords" in found["x.py:13"]
    assert "by a string literal" in found["x.py:14"]
    assert "no file queries/things/gone.sql" in found["x.py:15"]
    assert "takes 1 positional argument(s), got 2" in found["x.py:16"]
