"""Loading the seed: one transaction in which the indexes and keys of the two big tables are
dropped, every table is filled with COPY while the next chunk of rows is generated in a
thread, and the indexes and keys are rebuilt; then VACUUM (ANALYZE). The SQL is in
queries/seed/."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from queue import Full, Queue
from typing import Any, Final, TypeVar
from uuid import UUID

import msgspec
import psycopg
from psycopg.rows import dict_row
from tqdm import tqdm

from app.core.db import Queries, load_queries
from app.seed.catalogue import CATEGORY_LIFTS, EXTRA_PLANS, LIFTS, PROGRAMS
from app.seed.generate import generate
from app.seed.model import (
    TABLE_NAMES,
    Catalogue,
    Exercise,
    SeedError,
    SeedOptions,
    SeedReport,
    plans,
)

# Tables whose indexes, primary and unique keys and outgoing foreign keys are dropped during
# the load and rebuilt afterwards; they are loaded with COPY FREEZE (truncate_rebuilt.sql).
REBUILT_TABLES: Final = ("session_exercises", "set_records")
# The COPY statement of each table, in TABLE_NAMES order.
COPY_QUERIES: Final = (
    "seed/copy_users",
    "seed/copy_exercises",
    "seed/copy_workouts",
    "seed/copy_workout_exercises",
    "seed/copy_sessions",
    "seed/copy_session_exercises",
    "seed/copy_set_records",
    "seed/copy_audit_log",
)

T = TypeVar("T")


class SystemExercise(msgspec.Struct):
    id: UUID
    name: str
    category: str


class RebuiltObject(msgspec.Struct):
    """An index or constraint the seed drops and creates again."""

    drop_statement: str
    create_statement: str  # with its COMMENT, if it has one


def seed_database(url: str, options: SeedOptions, *, progress: bool = True) -> SeedReport:
    """Fill the (migrated, empty) database at `url`: one transaction, then VACUUM (ANALYZE)."""
    end_date = options.end_date or datetime.now(UTC).date()
    report = SeedReport(seed=options.seed, end_date=end_date)
    queries = load_queries()
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        if conn.execute(queries["seed/has_users"].sql).fetchone() == (True,):
            raise SeedError(
                "the database already has users; seed fills an empty database"
                " (use a new database, or a new KINETRIA_HOME for the embedded one)"
            )
        catalogue = load_catalogue(conn, queries)
        conn.execute(queries["seed/settings"].sql)
        rebuilt = _rebuilt_objects(conn, queries)
        for obj in reversed(rebuilt):
            conn.execute(obj.drop_statement.encode())
        conn.execute(queries["seed/truncate_rebuilt"].sql)
        _copy_rows(conn, queries, options, catalogue, end_date, report, progress)
        report.generate_load_s = time.perf_counter() - started

        mark = time.perf_counter()
        _say(progress, "rebuilding indexes, foreign keys and personal bests ...")
        for obj in rebuilt:
            conn.execute(obj.create_statement.encode())
        conn.execute(queries["seed/personal_bests"].sql)
        report.rebuild_s = time.perf_counter() - mark

    mark = time.perf_counter()
    _say(progress, "vacuuming and analyzing ...")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(queries["seed/vacuum_analyze"].sql)
    report.analyze_s = time.perf_counter() - mark
    report.total_s = time.perf_counter() - started
    return report


def load_catalogue(conn: psycopg.Connection[Any], queries: Queries) -> Catalogue:
    """The system exercises of the database, and the plans built from them."""
    rows = _many(conn, queries, "seed/system_exercises", SystemExercise)
    if not rows:
        raise SeedError("the system exercise catalogue is empty: are the migrations applied?")
    exercises = {
        row.name: Exercise(
            row.id.hex, row.name, LIFTS.get(row.name) or CATEGORY_LIFTS[row.category]
        )
        for row in rows
    }
    return Catalogue(
        exercises=exercises,
        programs=tuple(plans(spec, exercises) for _, spec in PROGRAMS),
        program_weights=tuple(weight for weight, _ in PROGRAMS),
        extras=plans(EXTRA_PLANS, exercises),
    )


def _rebuilt_objects(conn: psycopg.Connection[Any], queries: Queries) -> list[RebuiltObject]:
    """The indexes and keys of REBUILT_TABLES, in the order to create them (drop them in
    reverse). The statements come from the catalogue, so they match the migrated schema."""
    tables = list(REBUILT_TABLES)
    return [
        *_many(conn, queries, "seed/rebuilt_indexes", RebuiltObject, tables=tables),
        *_many(conn, queries, "seed/rebuilt_constraints", RebuiltObject, tables=tables),
    ]


def _copy_rows(
    conn: psycopg.Connection[Any],
    queries: Queries,
    options: SeedOptions,
    catalogue: Catalogue,
    end_date: date,
    report: SeedReport,
    progress: bool,
) -> None:
    """Generate the rows (in a thread, a chunk ahead) and COPY them in, counting them in
    `report`, with a progress bar on stderr."""
    bar = tqdm(
        total=options.users,
        unit="user",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
        smoothing=0.05,
    )
    with bar, conn.cursor() as cur:
        for lines, users in _in_background(generate(options, catalogue, end_date)):
            for table, query, table_lines in zip(TABLE_NAMES, COPY_QUERIES, lines, strict=True):
                if table_lines:
                    with cur.copy(queries[query].sql) as copy:
                        copy.write("".join(table_lines).encode())
                    report.rows[table] += len(table_lines)
            bar.set_postfix(sets=f"{report.rows['set_records']:,}", refresh=False)
            bar.update(users)


def _many(
    conn: psycopg.Connection[Any], queries: Queries, name: str, type_: type[T], **params: Any
) -> list[T]:
    """The rows of query `name` as `type_`."""
    cursor = conn.cursor(row_factory=dict_row)
    return msgspec.convert(cursor.execute(queries[name].sql, params).fetchall(), list[type_])


def _say(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def _in_background(chunks: Iterator[T], ahead: int = 2) -> Iterator[T]:
    """`chunks`, produced by a thread at most `ahead` items ahead of the consumer: the next
    chunk is generated while PostgreSQL loads the previous one."""
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=ahead)
    stop = threading.Event()  # the consumer is gone: stop producing

    def offer(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not offer((True, chunk)):
                    return
            offer((False, None))
        except BaseException as exc:  # handed to the consumer, raised there
            offer((False, exc))

    thread = threading.Thread(target=produce, name="seed-generator", daemon=True)
    thread.start()
    try:
        while True:
            more, item = queue.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        thread.join()
