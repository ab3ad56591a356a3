"""The queue's own upkeep, run by the workers like any task."""

from __future__ import annotations

import logging

from app.worker import JobContext, app, settings_of

log = logging.getLogger("kinetria.worker")


@app.periodic(cron="* * * * * */5")  # every 5 seconds (the 6th field is seconds)
@app.task(
    name="worker.retry_stalled_jobs",
    queue="maintenance",
    queueing_lock="retry_stalled",
    pass_context=True,
)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    """Hand back the jobs of workers that died without a word (`kill -9`, a lost machine):
    running jobs whose worker has sent no heartbeat for WORKER_STALLED_AFTER_S go back to
    the queue, to be run again by any worker. How many were handed back."""
    settings = settings_of(context)
    manager = context.app.job_manager
    stalled = list(
        await manager.get_stalled_jobs(seconds_since_heartbeat=settings.worker_stalled_after_s)
    )
    for job in stalled:
        await manager.retry_job(job)
        log.warning(
            "stalled job handed back",
            extra={"job_id": job.id, "task": job.task_name, "attempts": job.attempts},
        )
    return len(stalled)
