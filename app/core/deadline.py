"""Every request has a deadline, counted from its arrival in the process.

The outermost ASGI layer (app/core/request_log.py) stamps a request's arrival before anything
else runs and keeps a `Timing` in its scope. Time spent receiving the body is the client's,
so it moves the deadline on; all other waiting counts: for a database connection, a request
may wait what is left of `DB_POOL_TIMEOUT` since it arrived, and a request not answered
`DB_POOL_TIMEOUT` + 1 s after it arrived is cancelled and answered 503 `deadline_exceeded`
with `Retry-After`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

from psycopg_pool import PoolTimeout
from psycopg_pool import TooManyRequests as PoolFull

# what a request may take beyond the pool timeout (queries, encoding) before it is cut short
DEADLINE_GRACE_S = 1.0


class Timing:
    """Where a request's time went: receiving its body, waiting for a database connection,
    the rest (the handler)."""

    __slots__ = ("arrived", "body_s", "budget_s", "pool_timeout_s", "queued_s")

    def __init__(self, arrived: float, pool_timeout_s: float) -> None:
        self.arrived = arrived  # time.perf_counter() at arrival
        self.pool_timeout_s = pool_timeout_s
        self.budget_s = pool_timeout_s + DEADLINE_GRACE_S
        self.body_s = 0.0
        self.queued_s = 0.0

    def deadline(self) -> float:
        """When the request must be answered (perf_counter time)."""
        return self.arrived + self.body_s + self.budget_s

    def connection_timeout(self) -> float:
        """How long the request may still wait for a database connection, in seconds;
        PoolTimeout when nothing is left."""
        left = self.arrived + self.body_s + self.pool_timeout_s - time.perf_counter()
        if left <= 0:
            raise PoolTimeout("the request waited its whole pool timeout already")
        return left


TIMING_KEY = "timing"


def timing_of(scope: Any) -> Timing | None:
    state: dict[str, Any] = scope.get("state") or {}
    return state.get(TIMING_KEY)


class ConnectionGate:
    """At most `size` requests at the pool at once (its size); the others wait here, in a
    plain queue of futures, which costs less per request than psycopg-pool's own (measured
    in docs/benchmarks.md). A request waits at most `within_s` (PoolTimeout), and when
    `max_waiting` wait already the next is refused at once (psycopg-pool's TooManyRequests)."""

    __slots__ = ("free", "max_waiting", "waiters")

    def __init__(self, size: int, max_waiting: int) -> None:
        self.free = size
        self.max_waiting = max_waiting
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self, within_s: float) -> None:
        if self.free > 0 and not self.waiters:
            self.free -= 1
            return
        if self.max_waiting and len(self.waiters) >= self.max_waiting:
            raise PoolFull(f"{len(self.waiters)} requests wait for a connection already")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            async with asyncio.timeout(within_s):
                await waiter
        except (TimeoutError, asyncio.CancelledError) as exc:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over as we gave up: pass it on
            else:
                waiter.cancel()
            if isinstance(exc, TimeoutError):
                raise PoolTimeout(f"no connection within {within_s:.2f} s") from None
            raise
        finally:
            with contextlib.suppress(ValueError):
                self.waiters.remove(waiter)

    def release(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1
