"""The audit log: who did what to which entity. Callers write it inside the transaction of
the change it records. Never put a password, token or hash in `metadata`.

Users read their own history at `/v1/me/audit`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, Router
from psycopg.types.json import Jsonb

from app.core.db import Db
from app.core.enums import AuditAction
from app.core.http import CONTROL_CHARACTERS
from app.core.pagination import Keyset
from app.core.request_log import current_request_id
from app.core.resource import listing

USER_AGENT_MAX = 200


class AuditEntry(msgspec.Struct):
    id: int
    action: AuditAction
    entity_type: str
    entity_id: UUID | None
    metadata: dict[str, Any]
    request_id: str
    created_at: datetime


class AuditPage(msgspec.Struct):
    items: list[AuditEntry]
    next_cursor: str | None


def client_context(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Audit metadata about the client: address (of the peer; a proxy's own unless the
    server is told to trust its forwarding headers) and user agent (printable, at most 200
    characters; it is also the label of a login the request starts)."""
    agent = CONTROL_CHARACTERS.sub("", request.headers.get("user-agent", "")).strip()
    return {
        "ip": request.app.state.client_addresses.of(request.scope),
        "user_agent": agent[:USER_AGENT_MAX],
    }


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


async def record_account_action(
    db: Db,
    *,
    action: AuditAction,
    user_id: UUID | None,
    context: dict[str, str],
    **metadata: Any,
) -> None:
    """Record an action on an account (no entity), with the client that asked for it."""
    await record(db, user_id=user_id, action=action, metadata={**metadata, **context})


# the order of the history: newest first
NEWEST_FIRST = Keyset.of(AuditEntry, "id")


async def list_for_user(db: Db, *, user_id: UUID, limit: int, cursor: str | None) -> AuditPage:
    """A page of the user's audit history, newest first."""
    before = NEWEST_FIRST.after(cursor)
    rows = await db.many(
        "audit/list_for_user", AuditEntry, user_id=user_id, before_id=before[0], limit=limit + 1
    )
    return AuditPage(*NEWEST_FIRST.page(rows, limit))


# --- routes ------------------------------------------------------------------------------

list_mine = listing(
    list_for_user,
    AuditPage,
    operation_id="listMyAuditLog",
    summary="Your audit history",
    description="What was done with your account and data, newest first.",
)
router = Router("/v1/me/audit", route_handlers=[list_mine], tags=["me"])
