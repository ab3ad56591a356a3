"""Reading the change log as a feed, taking and paging snapshots, and pruning both.

Positions are gap-free per user and follow commit order (queries/sync/record.sql), so the
feed is simply "the events after the cursor's position": a reader that has seen position p
never later finds a committed event below p. A cursor is a position, encoded as the lists'
cursors are (opaque to clients).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import msgspec

from app.core.db import Db
from app.core.errors import BadRequest, Gone
from app.core.http import new_id
from app.core.pagination import decode_cursor, encode_cursor
from app.sync.models import (
    ChangeEvent,
    ChangePage,
    FeedRead,
    SnapshotItem,
    SnapshotPage,
    SnapshotRead,
)

# How long a snapshot can be paged after it was taken.
SNAPSHOT_TTL = timedelta(hours=1)
# Events and snapshots pruned per statement (each a short transaction of its own).
PRUNE_BATCH = 10_000
SNAPSHOT_PRUNE_BATCH = 100

_events = msgspec.json.Decoder(list[ChangeEvent])
_items = msgspec.json.Decoder(list[SnapshotItem])


def _invalid_cursor() -> BadRequest:
    return BadRequest("invalid_cursor", "The cursor is not valid for this feed")


def _cursor_expired() -> Gone:
    return Gone(
        "cursor_expired",
        "Events after this cursor have been pruned: take a new snapshot "
        "(GET /v1/sync/snapshot) and continue from its changes_cursor",
    )


def feed_cursor(position: int) -> str:
    return encode_cursor(position)


def _position_of(cursor: str | None) -> int:
    after = decode_cursor(cursor, tuple[int])
    if after is None:
        return 0
    if after[0] < 0:
        raise _invalid_cursor()
    return after[0]


async def read_changes(db: Db, *, user_id: UUID, cursor: str | None, limit: int) -> ChangePage:
    """The user's events after `cursor` (from the beginning without one), oldest first."""
    after = _position_of(cursor)
    read = await db.one("sync/changes", FeedRead, user_id=user_id, after=after, limit=limit + 1)
    assert read is not None  # one row, whether or not the user has a counter
    if after > read.last_position:
        raise _invalid_cursor()  # not a position this feed has handed out
    if after < read.pruned_through:
        raise _cursor_expired()
    events = _events.decode(read.events)
    has_more = len(events) > limit
    events = events[:limit]
    next_position = events[-1].position if events else after
    return ChangePage(items=events, next_cursor=feed_cursor(next_position), has_more=has_more)


def _snapshot_expired() -> Gone:
    return Gone(
        "snapshot_expired",
        "This snapshot has expired: start again with GET /v1/sync/snapshot (no cursor)",
    )


async def read_snapshot(db: Db, *, user_id: UUID, cursor: str | None, limit: int) -> SnapshotPage:
    """A page of a snapshot: without `cursor`, a new snapshot is taken and its first page
    served; with one, the next page of the snapshot it names."""
    if cursor is None:
        snapshot_id, after = new_id(), 0
        await db.scalar(
            "sync/create_snapshot",
            snapshot_id=snapshot_id,
            user_id=user_id,
            ttl=SNAPSHOT_TTL,
        )
    else:
        key = decode_cursor(cursor, tuple[UUID, int])
        assert key is not None
        snapshot_id, after = key
        if after < 0:
            raise BadRequest("invalid_cursor", "The cursor is not valid for this snapshot")
    read = await db.one(
        "sync/snapshot_page",
        SnapshotRead,
        snapshot_id=snapshot_id,
        user_id=user_id,
        after=after,
        limit=limit + 1,
    )
    if read is None:
        raise _snapshot_expired()
    items = _items.decode(read.items)
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = encode_cursor(snapshot_id, after + limit)
    return SnapshotPage(
        items=items, next_cursor=next_cursor, changes_cursor=feed_cursor(read.position)
    )


async def prune(db: Db, *, retention_days: int, now: datetime | None = None) -> tuple[int, int]:
    """Delete events older than `retention_days` (moving each user's pruned_through) and
    expired snapshots, in short batches; (events deleted, snapshots deleted)."""
    before = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    events = snapshots = 0
    while deleted := await db.scalar("sync/prune_events", before=before, batch=PRUNE_BATCH):
        events += deleted
    while deleted := await db.scalar("sync/prune_snapshots", batch=SNAPSHOT_PRUNE_BATCH):
        snapshots += deleted
    return events, snapshots
