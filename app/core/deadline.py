"""Every request has a deadline, counted from its arrival in the process.

The outermost ASGI layer (app/core/request_log.py) stamps a request's arrival before anything
else runs and keeps a `Timing` in its scope. Time spent receiving the body is the client's,
so it moves the deadline on; all other waiting counts: for a database connection, a request
may wait what is left of `DB_POOL_TIMEOUT` since it arrived, and a request not answered
`DB_POOL_TIMEOUT` + 1 s after it arrived is cancelled and answered 503 `deadline_exceeded`
with `Retry-After`.
"""

from __future__ import annotations

import time
from typing import Any

from psycopg_pool import PoolTimeout

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
