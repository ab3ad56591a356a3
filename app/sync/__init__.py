"""Offline-first sync: the change feed and the snapshot (README "Sync").

Routes: `GET /v1/sync/changes` (the caller's change-log events after a cursor, oldest
first) and `GET /v1/sync/snapshot` (everything current, paged, exact at the feed cursor it
returns). The events are written by every data change in its own transaction
(app/changelog.py); pruning (`kinetria db prune`, and the worker's daily `sync.prune`)
keeps SYNC_RETENTION_DAYS of them.

The Structs are in `models.py`, the operations in `operations.py`; this module holds the
routes (each passes the caller, `limit` and `cursor` to its operation) and the router.
"""

from __future__ import annotations

from litestar import Router
from litestar.params import Parameter

from app.core.pagination import CursorParam
from app.core.resource import reading
from app.sync.operations import read_changes, read_snapshot

MAX_LIMIT = 1000

FeedLimit = Parameter(
    ge=1, le=MAX_LIMIT, default=100, description=f"Events per page, 1 to {MAX_LIMIT}"
)
SnapshotLimit = Parameter(
    ge=1, le=MAX_LIMIT, default=100, description=f"Items per page, 1 to {MAX_LIMIT}"
)


CHANGES_DOC = (
    "Your change-log events after `cursor`, oldest first (without a cursor: "
    "from the beginning of your feed). Every change to your data is one event, in the order "
    "the changes committed, with the entity's new `version` and its `document` as the API "
    "shows it (`null` for a delete; a session's document has no `sets`, which have events "
    "of their own). Changes are not compacted: an entity changed three times has three "
    "events. `next_cursor` is where to continue (the cursor given when nothing new "
    "happened); `has_more` says whether more events are waiting now. 410 `cursor_expired`: "
    "the events after the cursor were pruned (older than SYNC_RETENTION_DAYS), so take a "
    "snapshot and continue from its `changes_cursor`."
)
SNAPSHOT_DOC = (
    "Everything you have now, for a new device or one whose cursor expired: "
    "your custom exercises, workouts, sessions (without their sets), sets, profile and "
    "body measurements, each as the feed's documents are, ordered by entity type "
    "(exercises first) and id. Without `cursor` a new snapshot is taken, in one statement, "
    "and its first page served; follow `next_cursor` to the last page (null). The snapshot "
    "does not move while you page it: it is exactly your data at `changes_cursor`, the feed "
    "cursor to continue from once every page is applied. A snapshot can be paged for an "
    "hour, and you keep at most 5 (taking a sixth drops the oldest): 410 "
    "`snapshot_expired`, start again without a cursor."
)

changes = reading(
    "/changes",
    read_changes,
    query={"limit": (int, FeedLimit), "cursor": (str | None, CursorParam)},
    operation_id="listChanges",
    summary="Read the change feed",
    description=CHANGES_DOC,
    codes={400: "invalid_cursor", 410: "cursor_expired"},
)
snapshot = reading(
    "/snapshot",
    read_snapshot,
    query={"limit": (int, SnapshotLimit), "cursor": (str | None, CursorParam)},
    operation_id="getSnapshot",
    summary="Take and page a snapshot",
    description=SNAPSHOT_DOC,
    codes={400: "invalid_cursor", 410: "snapshot_expired"},
)
router = Router("/v1/sync", route_handlers=[changes, snapshot], tags=["sync"])
