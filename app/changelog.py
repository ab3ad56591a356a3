"""The change log (transactional outbox): every change to a user's data records its events
in the transaction of the change, by running queries/sync/record.sql after the statement
that made it (the set log writes its events in its own statement, queries/sets/log.sql).

An event carries the entity's document as the API shows it (for a session: without its
sets, which have their own events), or none for a delete (a tombstone). The sync feed
(app/sync) serves them; positions are gap-free per user and follow commit order, because
recording locks the user's row of sync_counters until the transaction ends.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from app.core.db import Db
from app.core.enums import ChangeEventType
from app.core.http import json_param
from app.core.request_log import current_request_id


class Change(msgspec.Struct, kw_only=True):
    """One event to record: what happened to which entity, its version after the change
    (None for a delete) and its document (None for a delete)."""

    event_type: ChangeEventType
    entity_id: UUID
    version: int | None = None
    document: Any = None


def session_document(session: Any) -> dict[str, Any]:
    """A session's document as events carry it: the session as the API shows it, without
    its sets (each set has its own events)."""
    document = msgspec.to_builtins(session)
    document.pop("sets", None)
    return document


async def record(db: Db, *, user_id: UUID, changes: list[Change]) -> None:
    """Record `changes`, in order, inside the caller's transaction."""
    if changes:
        await db.execute(
            "sync/record",
            user_id=user_id,
            events=json_param(changes),
            request_id=current_request_id.get(),
        )


async def record_one(
    db: Db,
    *,
    user_id: UUID,
    event_type: ChangeEventType,
    entity_id: UUID,
    version: int | None = None,
    document: Any = None,
) -> None:
    await record(
        db,
        user_id=user_id,
        changes=[
            Change(event_type=event_type, entity_id=entity_id, version=version, document=document)
        ],
    )


async def record_change(
    db: Db, *, user_id: UUID, event_type: ChangeEventType, document: Any
) -> None:
    """Record the change of an entity whose `document` (the resource as the API shows it)
    carries its `id` and its new `version`."""
    await record_one(
        db,
        user_id=user_id,
        event_type=event_type,
        entity_id=document.id,
        version=document.version,
        document=document,
    )
