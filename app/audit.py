"""The audit log: who did what to which entity. Callers write it inside the transaction of
the change it records. Never put a password, token or hash in `metadata`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.core.db import Db
from app.core.enums import AuditAction
from app.core.request_log import current_request_id


async def record(
    db: Db,
    *,
    user_id: UUID | None,
    action: AuditAction,
    entity_type: str = "",
    entity_id: UUID | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    await db.execute(
        "audit/insert",
        user_id=user_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        metadata=Jsonb(metadata or {}),
        request_id=current_request_id.get(),
    )
