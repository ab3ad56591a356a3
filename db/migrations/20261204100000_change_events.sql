-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

-- The change log (transactional outbox): one row per change to a user's data, written in
-- the transaction of the change by queries/sync/record.sql. Clients read it as the sync
-- feed (GET /v1/sync/changes); the webhook worker reads it too. It takes over the history
-- of data changes from audit_log, which keeps account and security events.

-- What happened: <entity>.<change>. A session's end is its own event (completed or
-- abandoned); every other edit of an entity is <entity>.updated.
CREATE TYPE change_event_type AS ENUM (
    'exercise.created',
    'exercise.updated',
    'exercise.deleted',
    'workout.created',
    'workout.updated',
    'workout.deleted',
    'session.created',
    'session.updated',
    'session.completed',
    'session.abandoned',
    'session.deleted',
    'set.created',
    'set.updated',
    'set.deleted',
    'profile.updated',
    'body_measurement.created',
    'body_measurement.updated',
    'body_measurement.deleted'
);

-- The kind of entity an event is about.
CREATE TYPE change_entity_type AS ENUM (
    'exercise',
    'workout',
    'session',
    'set',
    'profile',
    'body_measurement'
);

-- Per user, the last position handed out and the last one pruned. The row is locked from
-- the moment a transaction records its events until it commits, so one user's events get
-- their positions in commit order, without gaps.
CREATE TABLE sync_counters (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_position bigint NOT NULL DEFAULT 0,
    pruned_through bigint NOT NULL DEFAULT 0,
    CONSTRAINT sync_counters_positions_check
        CHECK (pruned_through >= 0 AND last_position >= pruned_through)
);

COMMENT ON TABLE sync_counters IS 'Per user, the last change_events position handed out (locked by each writing transaction until it commits: positions follow commit order, gap-free) and the last one pruned (older cursors are expired).';

CREATE TABLE change_events (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    "position" bigint NOT NULL,
    event_type change_event_type NOT NULL,
    entity_type change_entity_type NOT NULL,
    entity_id uuid NOT NULL,
    -- squawk-ignore prefer-bigint-over-int -- a copy of the entity's integer version
    version integer,
    document jsonb,
    request_id text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    history jsonb,
    CONSTRAINT change_events_pkey PRIMARY KEY (user_id, "position"),
    CONSTRAINT change_events_position_check CHECK ("position" > 0),
    CONSTRAINT change_events_entity_check
        CHECK (split_part(event_type::text, '.', 1) = entity_type::text),
    CONSTRAINT change_events_document_check CHECK (
        CASE
            WHEN history IS NOT NULL THEN document IS NULL AND jsonb_typeof(history) = 'object'
            WHEN event_type::text LIKE '%.deleted' THEN document IS NULL
            ELSE jsonb_typeof(document) = 'object' AND version IS NOT NULL
        END
    )
);

COMMENT ON TABLE change_events IS 'The change log: one row per change to a user''s data, written in the transaction of the change (queries/sync/record.sql). document: the entity as the API shows it, NULL for a delete (a tombstone). history: set only on rows moved from audit_log (their metadata), which the feed never serves.';
COMMENT ON COLUMN change_events."position" IS 'Gap-free per user, in commit order (see sync_counters).';
COMMENT ON COLUMN change_events.version IS 'The entity''s version after the change; NULL for a delete.';

-- Pruning (queries/sync/prune.sql) deletes by age.
CREATE INDEX change_events_created_at_idx ON change_events (created_at);

-- Data-change history moves from audit_log to the change log, as history rows (no
-- document) placed before each user's feed starts: pruned_through covers them, so a
-- client starts from a snapshot. Rows of deleted accounts (user_id NULL) are dropped with
-- the data they described, as the change log keeps nothing of a deleted account.
INSERT INTO change_events (
    user_id, "position", event_type, entity_type, entity_id, request_id, created_at, history
)
SELECT a.user_id,
       row_number() OVER (PARTITION BY a.user_id ORDER BY a.id),
       (m.entity || '.' || (CASE a.action WHEN 'create' THEN 'created'
                                          WHEN 'update' THEN 'updated'
                                          WHEN 'delete' THEN 'deleted'
                                          ELSE 'updated' END))::change_event_type,
       m.entity::change_entity_type,
       coalesce(a.entity_id, a.user_id),
       a.request_id,
       a.created_at,
       a.metadata || jsonb_build_object('audit_action', a.action)
FROM audit_log AS a
JOIN (VALUES ('exercises', 'exercise'), ('workouts', 'workout'), ('sessions', 'session'),
             ('set_records', 'set'), ('body_measurements', 'body_measurement'),
             ('', 'profile')) AS m (audit_entity, entity)
    ON m.audit_entity = a.entity_type
WHERE a.user_id IS NOT NULL
  AND (a.action IN ('create', 'update', 'delete')
       OR (a.action = 'profile_update' AND a.entity_type = ''));

-- Every existing account starts with its feed's beginning pruned: what it did before the
-- change log is not in it, so its first sync is a snapshot.
INSERT INTO sync_counters (user_id, last_position, pruned_through)
SELECT u.id, greatest(coalesce(e.last, 0), 1), greatest(coalesce(e.last, 0), 1)
FROM users AS u
LEFT JOIN (SELECT user_id, max("position") AS last FROM change_events GROUP BY user_id) AS e
    ON e.user_id = u.id;

DELETE FROM audit_log
WHERE action IN ('create', 'update', 'delete')
   OR (action = 'profile_update' AND entity_type = '');

COMMENT ON TABLE audit_log IS 'Account and security events (register, logins, tokens, password changes, account deletion): who, when, from where. Append-only; outlives the accounts it mentions. Changes to data are in change_events.';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';
-- the history moves back to audit_log; events written since (with documents) become
-- audit rows with their type as action
INSERT INTO audit_log (user_id, action, entity_type, entity_id, metadata, request_id, created_at)
SELECT e.user_id,
       (CASE WHEN e.entity_type = 'profile' THEN 'profile_update'
             ELSE CASE split_part(e.event_type::text, '.', 2)
                      WHEN 'created' THEN 'create' WHEN 'deleted' THEN 'delete' ELSE 'update'
                  END
        END)::audit_action,
       m.audit_entity,
       CASE WHEN e.entity_type = 'profile' THEN NULL ELSE e.entity_id END,
       coalesce(e.history - 'audit_action', jsonb_build_object('event_type', e.event_type)),
       e.request_id,
       e.created_at
FROM change_events AS e
JOIN (VALUES ('exercises', 'exercise'), ('workouts', 'workout'), ('sessions', 'session'),
             ('set_records', 'set'), ('body_measurements', 'body_measurement'),
             ('', 'profile')) AS m (audit_entity, entity)
    ON m.entity = e.entity_type::text
ORDER BY e.created_at, e.user_id, e."position";
COMMENT ON TABLE audit_log IS 'Who did what to which entity, when. Append-only; outlives the accounts it mentions.';
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE change_events;
-- squawk-ignore ban-drop-table -- the down path removes exactly what the up path created
DROP TABLE sync_counters;
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE change_entity_type, change_event_type;
