"""The job queue's ENUMs, as procrastinate 3.10's schema defines them (its migration in
db/migrations): mirrored so tests/test_schema.py notices when an upgrade changes them."""

from __future__ import annotations

from enum import StrEnum


class ProcrastinateJobStatus(StrEnum):
    """``procrastinate_job_status``: where a job is (`aborting` is unused since 3.0)."""

    TODO = "todo"
    DOING = "doing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ABORTING = "aborting"
    ABORTED = "aborted"


class ProcrastinateJobEventType(StrEnum):
    """``procrastinate_job_event_type``: what happened to a job (procrastinate_events)."""

    DEFERRED = "deferred"
    STARTED = "started"
    DEFERRED_FOR_RETRY = "deferred_for_retry"
    FAILED = "failed"
    SUCCEEDED = "succeeded"
    CANCELLED = "cancelled"
    ABORT_REQUESTED = "abort_requested"
    ABORTED = "aborted"
    SCHEDULED = "scheduled"
    RETRIED = "retried"
