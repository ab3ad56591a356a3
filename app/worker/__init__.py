"""The background worker: procrastinate jobs on PostgreSQL (README "Background worker").

`app` is the procrastinate App every background task is registered on. It holds no
connection of its own: requests defer jobs on their own connection, inside their own
transaction (so a rolled-back request queues nothing), and `kinetria worker` runs the tasks
with a copy of this App bound to a pool of its own (`app.worker.run`).

Adding a task, in a module of its concern (e.g. `app/webhooks/jobs.py`):

    from app.worker import JobContext, app, backoff, settings_of

    @app.task(name="webhooks.deliver", queue="webhooks", retry=backoff(), pass_context=True)
    async def deliver(context: JobContext, *, delivery_id: str) -> None:
        settings = settings_of(context)  # the worker's Settings; no globals
        ...

then add the module's dotted path to TASK_MODULES below, so every worker imports it (and so
knows the task) before it takes jobs. Arguments are keyword-only and JSON values (pass ids
as strings, not UUID objects). A task may run more than once (a retry after a crash or a
stop): make it idempotent.

Deferring it from a request, in the request's transaction:

    from app.worker import defer

    async with conn.transaction():
        ...  # the change itself
        await defer(conn, deliver, delivery_id=str(delivery.id))

The job row is written by that transaction: committed with the change, or never there.
`defer` also takes `lock` (jobs sharing a lock run one at a time, in order),
`queueing_lock` (at most one waiting job with that key) and `schedule_in` (seconds).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import procrastinate
from procrastinate import JobContext, RetryStrategy
from procrastinate.exceptions import JobAborted
from procrastinate.tasks import Task
from psycopg import AsyncConnection

from app.core.config import Settings

__all__ = [
    "TASK_MODULES",
    "JobContext",
    "app",
    "backoff",
    "defer",
    "settings_of",
]

# Modules whose import registers tasks on `app`: every worker imports them at start.
TASK_MODULES: tuple[str, ...] = (
    "app.worker.maintenance",
    "app.mail.jobs",
    "app.webhooks.jobs",
    "app.sync.jobs",
    "app.imports.jobs",
)

# The App of every task. Its connector is never opened in the API: deferring always goes
# through the caller's connection. The worker runs `app.with_connector(...)` (app/worker/run.py).
app = procrastinate.App(connector=procrastinate.PsycopgConnector(), import_paths=list(TASK_MODULES))


def backoff(
    *,
    max_attempts: int = 16,
    first_wait_s: int = 2,
    retry_exceptions: Iterable[type[Exception]] | None = None,
) -> RetryStrategy:
    """Retry with exponential backoff: first_wait_s + 2**(n + 1) seconds after attempt n
    (4 s, 6 s, 10 s, 18 s ... 18 hours with the defaults: about a day and a half over 16
    attempts).
    With `retry_exceptions`, only those are retried (and a job a stopping worker aborted,
    JobAborted, which is always handed back); other exceptions end the job failed."""
    if retry_exceptions is not None:
        retry_exceptions = {*retry_exceptions, JobAborted}
    return RetryStrategy(
        max_attempts=max_attempts,
        wait=first_wait_s,
        exponential_wait=2,
        retry_exceptions=retry_exceptions,
    )


async def defer(
    conn: AsyncConnection[Any],
    task: Task[Any, Any, Any],
    *,
    lock: str | None = None,
    queueing_lock: str | None = None,
    schedule_in: int | None = None,
    **kwargs: Any,
) -> int:
    """Queue `task(**kwargs)` on `conn`, inside the transaction `conn` is in; the job's id."""
    _redact_job_logs()
    options: dict[str, Any] = {"connection": conn}
    if lock is not None:
        options["lock"] = lock
    if queueing_lock is not None:
        options["queueing_lock"] = queueing_lock
    if schedule_in is not None:
        options["schedule_in"] = {"seconds": schedule_in}
    return await task.configure(**options).defer_async(**kwargs)


@cache
def _redact_job_logs() -> None:
    """procrastinate logs each deferred job with its arguments ("Deferred 1 job", with the
    job's kwargs and call string), which may hold a mailed token: the process that defers
    (the API) redacts them as the worker does, once."""
    from app.worker.run import quiet_procrastinate_logs

    quiet_procrastinate_logs()


def settings_of(context: JobContext) -> Settings:
    """The worker's Settings, handed to every task through the job context."""
    settings = context.additional_context.get("settings")
    if not isinstance(settings, Settings):
        raise RuntimeError("the job runs outside a kinetria worker (no settings in its context)")
    return settings
