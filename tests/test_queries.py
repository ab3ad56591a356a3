"""Every SQL file is prepared against the migrated schema, and its output columns are checked
against the Struct its header names, the way sqlc checks queries: a typo in SQL fails here."""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

import msgspec
import psycopg
import pytest

import app
from app.core.db import QUERIES_DIR, load_queries

HEADER = re.compile(r"^-- returns: (?:(one|many) (\w+)|(nothing|value))\s*$", re.MULTILINE)
PARAM = re.compile(rb"%\((\w+)\)s")


def app_structs() -> dict[str, type[msgspec.Struct]]:
    structs: dict[str, type[msgspec.Struct]] = {}
    # every module, those of packages too (app.core, app.seed)
    for module_info in pkgutil.walk_packages(app.__path__, "app."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, msgspec.Struct)
                and value.__module__ == module.__name__
            ):
                structs[value.__name__] = value
    return structs


def to_positional(sql: bytes) -> bytes:
    """Rewrite psycopg's `%(name)s` to PostgreSQL's `$n`, one number per distinct name."""
    numbers: dict[bytes, int] = {}

    def number(match: re.Match[bytes]) -> bytes:
        return b"$%d" % numbers.setdefault(match.group(1), len(numbers) + 1)

    return PARAM.sub(number, sql).replace(b"%%", b"%")


QUERIES = load_queries()


def test_there_are_queries() -> None:
    assert "audit/insert" in QUERIES


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_prepares_and_matches_its_struct(name: str, db_url: str) -> None:
    sql = QUERIES[name]
    text = sql.decode()
    header = HEADER.search(text)
    assert header, f"{QUERIES_DIR / name}.sql needs a '-- returns: one|many <Struct>' header"
    assert text.startswith("-- "), "start with a comment saying what the query does"
    with psycopg.connect(db_url, autocommit=True) as conn:
        pgconn: Any = conn.pgconn
        result = pgconn.prepare(b"check", to_positional(sql))
        assert result.status == psycopg.pq.ExecStatus.COMMAND_OK, result.error_message.decode()
        description = pgconn.describe_prepared(b"check")
        columns = [description.fname(i).decode() for i in range(description.nfields)]
    kind, struct_name, other = header.groups()
    if other == "nothing":
        assert columns == [], f"{name} returns columns but its header says nothing"
    elif other == "value":
        assert len(columns) == 1, f"{name} should return exactly one column"
    else:
        struct = app_structs().get(struct_name)
        assert struct is not None, f"{name}: no Struct named {struct_name} in app/"
        assert len(columns) == len(set(columns)), f"{name}: duplicate column names"
        assert set(columns) == set(struct.__struct_fields__), (
            f"{name}: columns {sorted(columns)} != {struct_name} fields "
            f"{sorted(struct.__struct_fields__)}"
        )
        assert kind in ("one", "many")
