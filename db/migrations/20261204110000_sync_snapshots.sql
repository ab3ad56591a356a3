-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- A snapshot for GET /v1/sync/snapshot: every current entity of one user, copied in one
-- statement (queries/sync/create_snapshot.sql, so one MVCC snapshot) together with the
-- user's last change-log position as that same statement saw it. Its pages are read from
-- the copy, so a snapshot is exactly the state at that position however long the client
-- takes to page it, and the feed continues from that position with nothing missed or
-- applied twice. Snapshots expire (expires_at) and the pruning job deletes them.
CREATE TABLE sync_snapshots (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    "position" bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CONSTRAINT sync_snapshots_position_check CHECK ("position" >= 0),
    CONSTRAINT sync_snapshots_expiry_check CHECK (expires_at > created_at)
);

COMMENT ON TABLE sync_snapshots IS 'A copy of one user''s current data taken in one statement, with the change-log position it is exact at; paged by GET /v1/sync/snapshot until expires_at.';
COMMENT ON COLUMN sync_snapshots."position" IS 'The user''s sync_counters.last_position seen by the statement that copied the data: the feed continues after it.';

-- account deletion (ON DELETE CASCADE) and the snapshots of a user
CREATE INDEX sync_snapshots_user_id_idx ON sync_snapshots (user_id);
-- pruning deletes by expiry
CREATE INDEX sync_snapshots_expires_at_idx ON sync_snapshots (expires_at);

-- One entity of a snapshot, its document as change events carry it (user_id: the
-- snapshot's, so the table is scoped by user like every other). "ordinal" numbers the
-- items 1, 2, ... in (entity_type, entity_id) order; pages are read by it (the primary
-- key). entity_type's order (exercises, workouts, sessions, sets, profile, body
-- measurements) puts what others refer to first.
CREATE TABLE sync_snapshot_items (
    user_id uuid NOT NULL,
    snapshot_id uuid NOT NULL REFERENCES sync_snapshots (id) ON DELETE CASCADE,
    ordinal bigint NOT NULL,
    entity_type change_entity_type NOT NULL,
    entity_id uuid NOT NULL,
    -- squawk-ignore prefer-bigint-over-int -- a copy of the entity's integer version
    version integer NOT NULL,
    document jsonb NOT NULL,
    CONSTRAINT sync_snapshot_items_pkey PRIMARY KEY (snapshot_id, ordinal),
    CONSTRAINT sync_snapshot_items_ordinal_check CHECK (ordinal > 0),
    CONSTRAINT sync_snapshot_items_document_check CHECK (jsonb_typeof(document) = 'object')
);

COMMENT ON TABLE sync_snapshot_items IS 'The entities of a sync snapshot, each with its version and document as of the snapshot''s position.';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE sync_snapshot_items;
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE sync_snapshots;
