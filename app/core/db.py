"""Database access: SQL files read once, a pool opened with retries, and small helpers that
run one named SQL file and map its rows to msgspec Structs."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncGenerator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import msgspec
import psycopg
from opentelemetry.trace import SpanKind, Status, StatusCode
from psycopg.rows import dict_row
from psycopg.types.json import set_json_loads
from psycopg.types.string import StrDumperUnknown
from psycopg_pool import AsyncConnectionPool

from app.core.config import Settings
from app.core.lifecycle import in_background
from app.core.metrics import Metrics
from app.core.tracing import current_request

PROJECT_ROOT = Path(__file__).resolve().parents[2]
QUERIES_DIR = PROJECT_ROOT / "queries"
MIGRATIONS_DIR = PROJECT_ROOT / "db" / "migrations"

log = logging.getLogger("kinetria.db")

T = TypeVar("T")

Returns = Literal["one", "many", "scalar", "none"]

# `-- returns: one Workout` (the first row, as that Struct, or None), `many Workout` (every
# row), `scalar` (the first column of the first row) or `none` (no columns: run for its
# effect). The word is the name of the Db method that runs the file (`none`: execute).
_RETURNS = re.compile(r"-- returns: (?:(one|many) ([A-Z]\w*)|(scalar|none))")
# psycopg's placeholders as we write them: `%(name)s`, and `%%` for a literal percent
_PERCENT = re.compile(rb"%(?:\((\w+)\)s|%)?")


class DatabaseUnavailable(Exception):
    pass


class QueryFileError(Exception):
    """A SQL file the loader cannot use: no header, a malformed one, or a stray `%`."""


class Query(msgspec.Struct, frozen=True):
    """One SQL file, parsed once at startup: its SQL exactly as written, what its header
    says it returns, and the names of its `%(name)s` parameters."""

    name: str  # "<resource>/<file name without .sql>"
    sql: bytes
    returns: Returns
    struct: str | None  # the Struct a `one`/`many` file's rows map to
    params: frozenset[str]


def parse_query(name: str, sql: bytes) -> Query:
    """`sql` of the file `queries/<name>.sql` as a Query, or QueryFileError saying why not.

    The header is the comment block the file opens with: at least one line saying what the
    statement does, and exactly one `-- returns: ...` line.
    """
    text = sql.decode()
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line.rstrip())
    returns = [line for line in header if line.startswith("-- returns:")]
    if len(returns) != 1:
        raise QueryFileError(
            f"queries/{name}.sql: its opening comment needs exactly one "
            f"'-- returns: one <Struct> | many <Struct> | scalar | none' line"
        )
    match = _RETURNS.fullmatch(returns[0])
    if match is None:
        raise QueryFileError(
            f"queries/{name}.sql: {returns[0]!r} is not "
            f"'-- returns: one <Struct> | many <Struct> | scalar | none'"
        )
    if header.index(returns[0]) == 0 or not header[0].removeprefix("--").strip():
        raise QueryFileError(f"queries/{name}.sql: open with a comment saying what it does")
    params: set[str] = set()
    for placeholder in _PERCENT.finditer(sql):
        if placeholder.group(0) == b"%":
            line = sql.count(b"\n", 0, placeholder.start()) + 1
            raise QueryFileError(
                f"queries/{name}.sql:{line}: a '%' that is neither %(name)s nor %% "
                f"(psycopg would refuse it)"
            )
        if placeholder.group(1):
            params.add(placeholder.group(1).decode())
    kind, struct, other = match.groups()
    return Query(
        name=name,
        sql=sql,
        returns=cast(Returns, kind or other),
        struct=struct,
        params=frozenset(params),
    )


def load_queries(directory: Path = QUERIES_DIR) -> dict[str, Query]:
    """Every `queries/<resource>/<name>.sql`, keyed `"<resource>/<name>"`."""
    queries: dict[str, Query] = {}
    for path in sorted(directory.rglob("*.sql")):
        name = path.relative_to(directory).with_suffix("").as_posix()
        queries[name] = parse_query(name, path.read_bytes())
    return queries


Queries = Mapping[str, Query]


def migration_versions(directory: Path = MIGRATIONS_DIR) -> list[str]:
    """The versions of the migrations this build ships, oldest first."""
    return sorted(path.name.split("_", 1)[0] for path in directory.glob("*.sql"))


class Db:
    """One pooled connection for one request, with the SQL files it may run.

    The connection is in autocommit mode: a read is one round trip; writes go inside
    `async with db.transaction():`, which is one BEGIN … COMMIT.

    Each method runs the file its first argument names, a literal such as "sessions/get",
    with its parameters as keywords; the method is the one the file's `-- returns:` header
    names (`none`: execute). Nothing is checked per call: tests/test_query_calls.py reads
    every call in app/ and checks it against the headers.
    """

    __slots__ = ("conn", "metrics", "queries", "slow_query_ms")

    def __init__(
        self,
        conn: psycopg.AsyncConnection[Any],
        queries: Queries,
        slow_query_ms: float,
        metrics: Metrics | None = None,
    ) -> None:
        self.conn = conn
        self.queries = queries
        self.slow_query_ms = slow_query_ms
        self.metrics = metrics  # query durations by file name, when given

    def transaction(self) -> AbstractAsyncContextManager[psycopg.AsyncTransaction]:
        return self.conn.transaction()

    async def _run(self, query: str, params: Mapping[str, Any]) -> psycopg.AsyncCursor[Any]:
        request = current_request.get()
        span = None
        if request is not None and request.tracer is not None:
            span = request.tracer.start_span(
                query,
                context=request.otel_context,
                kind=SpanKind.CLIENT,
                attributes={"db.system.name": "postgresql", "db.query.summary": query},
            )
        started = time.perf_counter()
        cursor = self.conn.cursor(row_factory=dict_row)
        try:
            await cursor.execute(self.queries[query].sql, params)
        except BaseException as exc:
            if span is not None:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            if span is not None:
                span.end()
        elapsed = time.perf_counter() - started
        if self.metrics is not None:
            self.metrics.observe_query(query, elapsed)
        if elapsed * 1000 >= self.slow_query_ms:
            if self.metrics is not None:
                self.metrics.slow_queries.labels(query).inc()
            log.warning(
                "slow query", extra={"query": query, "duration_ms": round(elapsed * 1000, 1)}
            )
        return cursor

    async def one(self, query: str, type_: type[T], /, **params: Any) -> T | None:
        """The first row of `query` as `type_`, or None when it returns no row."""
        cursor = await self._run(query, params)
        row = await cursor.fetchone()
        return None if row is None else msgspec.convert(row, type_)

    async def many(self, query: str, type_: type[T], /, **params: Any) -> list[T]:
        cursor = await self._run(query, params)
        return msgspec.convert(await cursor.fetchall(), list[type_])

    async def scalar(self, query: str, /, **params: Any) -> Any:
        """The first column of the first row (None when there is no row)."""
        cursor = await self._run(query, params)
        row = await cursor.fetchone()
        return None if row is None else next(iter(row.values()))

    async def execute(self, query: str, /, **params: Any) -> int:
        """Run `query` for its effect; returns the number of rows it touched."""
        cursor = await self._run(query, params)
        return cursor.rowcount


async def configure_connection(conn: psycopg.AsyncConnection[Any]) -> None:
    # psycopg dumps Python enums by member name; our StrEnums must go as their values
    conn.adapters.register_dumper(StrEnum, StrDumperUnknown)
    set_json_loads(msgspec.json.decode, conn)  # nested documents built in SQL


def connection_kwargs(settings: Settings) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "autocommit": True,
        # 0: every statement is prepared on its first run; None: never (a pooler that cannot
        # keep prepared statements across transactions, README: PgBouncer)
        "prepare_threshold": settings.prepare_threshold,
        "connect_timeout": max(1, round(settings.db_connect_timeout_s)),
        "application_name": "kinetria",
    }
    if settings.statement_timeout_ms:
        # a startup option; 0 sends none, so the server's (or the role's) setting applies,
        # which is how it is set behind PgBouncer (it refuses startup options)
        kwargs["options"] = f"-c statement_timeout={settings.statement_timeout_ms}"
    return kwargs


async def wait_for_database(settings: Settings, url: str) -> None:
    """Try to connect with exponential backoff until `db_startup_timeout_s` has passed."""
    deadline = time.monotonic() + settings.db_startup_timeout_s
    delay = 0.1
    attempt = 0
    while True:
        attempt += 1
        try:
            conn = await psycopg.AsyncConnection.connect(url, **connection_kwargs(settings))
            await conn.close()
            return
        except psycopg.OperationalError as exc:
            remaining = deadline - time.monotonic()
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if remaining <= 0:
                raise DatabaseUnavailable(
                    f"database not reachable after {attempt} attempts in "
                    f"{settings.db_startup_timeout_s:g}s: {reason}"
                ) from exc
            log.warning(
                "database not ready, retrying",
                extra={
                    "attempt": attempt,
                    "retry_in_s": round(min(delay, remaining), 2),
                    "reason": reason,
                },
            )
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, 5.0)


def new_pool(
    settings: Settings, url: str, *, name: str = "kinetria"
) -> AsyncConnectionPool[psycopg.AsyncConnection[Any]]:
    return AsyncConnectionPool[psycopg.AsyncConnection[Any]](
        url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        timeout=settings.pool_timeout_s,
        # more requests than this waiting for a connection: the next is refused at once (503)
        max_waiting=settings.pool_max_waiting,
        kwargs=connection_kwargs(settings),
        configure=configure_connection,
        open=False,
        name=name,
    )


@asynccontextmanager
async def open_pool(
    settings: Settings, url: str, *, name: str = "kinetria"
) -> AsyncGenerator[AsyncConnectionPool[psycopg.AsyncConnection[Any]]]:
    await wait_for_database(settings, url)
    pool = new_pool(settings, url, name=name)
    await pool.open(wait=True, timeout=max(settings.db_connect_timeout_s, 1.0))
    log.info(
        "database pool open",
        extra={
            "pool": name,
            "min_size": settings.pool_min_size,
            "max_size": settings.pool_max_size,
        },
    )
    try:
        yield pool
    finally:
        await pool.close(timeout=5.0)
        log.info("database pool closed", extra={"pool": name})


_CONNECTION_ERRORS = "connections_errors"
_WATCH_INTERVAL_S = 0.2


@asynccontextmanager
async def keep_reconnecting(holder: Any, settings: Settings, url: str) -> AsyncGenerator[None]:
    """While the app runs: once the pool has failed to connect (the database went away),
    look every 0.2 s whether the database answers again, and when it does, put a fresh pool
    in `holder.pool` at once. psycopg's pool retries with an exponential backoff (1, 2, 4,
    8 s, ...), so after an outage of a few seconds it would wait seconds more before
    reconnecting; the fresh pool connects now. The pool that failed is closed (its waiting
    requests get 503); a pool put in place here is closed on exit."""
    original = holder.pool
    try:
        async with in_background(_reconnect_when_back(holder, settings, url)):
            yield
    finally:
        if holder.pool is not original:
            await holder.pool.close(timeout=5.0)


async def _reconnect_when_back(holder: Any, settings: Settings, url: str) -> None:
    pool: AsyncConnectionPool[Any] = holder.pool
    seen = pool.get_stats().get(_CONNECTION_ERRORS, 0)
    while True:
        await asyncio.sleep(_WATCH_INTERVAL_S)
        pool = holder.pool
        errors = pool.get_stats().get(_CONNECTION_ERRORS, 0)
        if errors == seen:
            continue
        try:
            async with asyncio.timeout(max(0.5, settings.db_connect_timeout_s)):
                probe = await psycopg.AsyncConnection.connect(url, **connection_kwargs(settings))
            await probe.close()
        except (TimeoutError, psycopg.Error, OSError):
            continue  # still down: look again
        fresh = new_pool(settings, url)
        await fresh.open(wait=False)
        holder.pool = fresh
        seen = 0
        log.warning("database back: a fresh pool replaces the one that lost it")
        await pool.close(timeout=0)
