-- migrate:up
SET LOCAL lock_timeout = '5s';
-- The backfill rewrites every row of both tables once (see the lock cost below).
SET LOCAL statement_timeout = '10min';

-- The exercises of a workout's plan and of a session's plan get their owner's user_id, like
-- every other table that holds user data: ownership becomes a filter on the row itself, and
-- the tables can be distributed by user_id with Citus, co-located with their parents
-- (docs/scaling.md). A composite foreign key to the parent keeps user_id equal to the
-- parent's user, the form sessions -> workouts and set_records -> sessions already have; it
-- targets the parents' existing UNIQUE (id, user_id) (workouts_id_user_id_key,
-- sessions_id_user_id_key), so no new constraint on the parents is needed. The primary keys
-- gain user_id too, as Citus requires of a distributed table's keys.
--
-- Lock cost: ADD COLUMN takes an ACCESS EXCLUSIVE lock on each table, held until this
-- transaction commits, so reading and writing plans waits for the whole migration: the
-- backfill (one pass over each table), the NOT NULL check (one more scan) and the
-- primary-key rebuild. Adding the foreign keys, last, scans the children once more under a
-- SHARE ROW EXCLUSIVE lock on workouts and sessions, held to the commit: their reads go on,
-- their writes (editing a workout, logging a set) wait.
-- The time grows with the number of plan rows: the seeded demo database of 1,000 users
-- (16,576 workout and 256,250 session plan rows, 1 million sets) migrates in 8 to 16 s on a
-- busy 2-core machine (6 s of it the session plans' backfill), during which workouts and
-- session plans cannot be read. A database many times larger would do this in steps
-- outside one transaction instead (add the column and fill it on insert, backfill in
-- batches, CHECK (user_id IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL, foreign keys NOT
-- VALID then VALIDATE, the new primary key built from a unique index made CONCURRENTLY).
--
-- The release that ships this migration writes user_id in every insert (queries/workouts/
-- insert_exercises.sql, queries/sessions/copy_plan.sql, the seed). The release before it does
-- not, and runs beside this schema during a rolling deploy: until a later release drops them,
-- plan_row_user_id() and its two triggers fill a missing user_id from the parent, so that
-- release's plan edits and session starts keep working. They fire only when user_id is NULL.

ALTER TABLE workout_exercises ADD COLUMN user_id uuid;
ALTER TABLE session_exercises ADD COLUMN user_id uuid;

COMMENT ON COLUMN workout_exercises.user_id IS 'The owner of the workout (equal to workouts.user_id, by workout_exercises_workout_fkey).';
COMMENT ON COLUMN session_exercises.user_id IS 'The owner of the session (equal to sessions.user_id, by session_exercises_session_fkey).';

UPDATE workout_exercises we
SET user_id = w.user_id
FROM workouts w
WHERE w.id = we.workout_id;

UPDATE session_exercises se
SET user_id = s.user_id
FROM sessions s
WHERE s.id = se.session_id;

CREATE FUNCTION plan_row_user_id() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'workout_exercises' THEN
        SELECT w.user_id INTO NEW.user_id FROM workouts w WHERE w.id = NEW.workout_id;
    ELSE
        SELECT s.user_id INTO NEW.user_id FROM sessions s WHERE s.id = NEW.session_id;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION plan_row_user_id() IS 'Fills user_id of a plan row inserted by the release before 20261202300000; drop with its triggers once no such release runs.';

CREATE TRIGGER workout_exercises_user_id BEFORE INSERT ON workout_exercises
    FOR EACH ROW WHEN (NEW.user_id IS NULL) EXECUTE FUNCTION plan_row_user_id();
CREATE TRIGGER session_exercises_user_id BEFORE INSERT ON session_exercises
    FOR EACH ROW WHEN (NEW.user_id IS NULL) EXECUTE FUNCTION plan_row_user_id();

-- Directly, not through a validated CHECK: the ACCESS EXCLUSIVE lock of ADD COLUMN is held
-- anyway until commit, so the scan SET NOT NULL makes costs one pass and no extra lock.
-- squawk-ignore adding-not-nullable-field -- the table is locked by ADD COLUMN in this transaction already (see the lock cost above)
ALTER TABLE workout_exercises ALTER COLUMN user_id SET NOT NULL;
-- squawk-ignore adding-not-nullable-field -- the table is locked by ADD COLUMN in this transaction already (see the lock cost above)
ALTER TABLE session_exercises ALTER COLUMN user_id SET NOT NULL;

-- The primary keys lead with user_id. The same rows are unique as before (a workout or
-- session has one user), and the index still serves a plan in order
-- (WHERE user_id = ... AND workout_id = ... ORDER BY position) and the ON DELETE CASCADE
-- of the composite foreign keys.
-- squawk-ignore ban-drop-constraint -- replaced by the key added next, in the same transaction
ALTER TABLE workout_exercises DROP CONSTRAINT workout_exercises_pkey;
-- squawk-ignore adding-serial-primary-key-field, constraint-missing-not-valid -- the table is locked by ADD COLUMN in this transaction already (see the lock cost above)
ALTER TABLE workout_exercises ADD CONSTRAINT workout_exercises_pkey
    PRIMARY KEY (user_id, workout_id, position);
-- squawk-ignore ban-drop-constraint -- replaced by the key added next, in the same transaction
ALTER TABLE session_exercises DROP CONSTRAINT session_exercises_pkey;
-- squawk-ignore adding-serial-primary-key-field, constraint-missing-not-valid -- the table is locked by ADD COLUMN in this transaction already (see the lock cost above)
ALTER TABLE session_exercises ADD CONSTRAINT session_exercises_pkey
    PRIMARY KEY (user_id, session_id, position);

-- A plan row belongs to its parent and to its parent's user. The composite keys replace the
-- single-column ones (same ON DELETE CASCADE). Last, so the lock they take on workouts and
-- sessions is held for their own validation only.
-- squawk-ignore ban-drop-constraint -- replaced by the key added next, in the same transaction
ALTER TABLE workout_exercises DROP CONSTRAINT workout_exercises_workout_id_fkey;
-- squawk-ignore adding-foreign-key-constraint, constraint-missing-not-valid -- the child is locked by ADD COLUMN in this transaction already; workouts' reads go on during the validation
ALTER TABLE workout_exercises ADD CONSTRAINT workout_exercises_workout_fkey
    FOREIGN KEY (workout_id, user_id) REFERENCES workouts (id, user_id) ON DELETE CASCADE;
-- squawk-ignore ban-drop-constraint -- replaced by the key added next, in the same transaction
ALTER TABLE session_exercises DROP CONSTRAINT session_exercises_session_id_fkey;
-- squawk-ignore adding-foreign-key-constraint, constraint-missing-not-valid -- the child is locked by ADD COLUMN in this transaction already; sessions' reads go on during the validation
ALTER TABLE session_exercises ADD CONSTRAINT session_exercises_session_fkey
    FOREIGN KEY (session_id, user_id) REFERENCES sessions (id, user_id) ON DELETE CASCADE;

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '10min';
DROP TRIGGER session_exercises_user_id ON session_exercises;
DROP TRIGGER workout_exercises_user_id ON workout_exercises;
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION plan_row_user_id();
-- squawk-ignore ban-drop-constraint -- the down path restores exactly what the up path replaced
ALTER TABLE session_exercises DROP CONSTRAINT session_exercises_pkey;
-- squawk-ignore adding-serial-primary-key-field, constraint-missing-not-valid -- the down path restores exactly what the up path replaced
ALTER TABLE session_exercises ADD CONSTRAINT session_exercises_pkey
    PRIMARY KEY (session_id, position);
-- squawk-ignore ban-drop-constraint -- the down path restores exactly what the up path replaced
ALTER TABLE workout_exercises DROP CONSTRAINT workout_exercises_pkey;
-- squawk-ignore adding-serial-primary-key-field, constraint-missing-not-valid -- the down path restores exactly what the up path replaced
ALTER TABLE workout_exercises ADD CONSTRAINT workout_exercises_pkey
    PRIMARY KEY (workout_id, position);
-- squawk-ignore ban-drop-constraint -- the down path restores exactly what the up path replaced
ALTER TABLE session_exercises DROP CONSTRAINT session_exercises_session_fkey;
-- squawk-ignore adding-foreign-key-constraint, constraint-missing-not-valid -- the down path restores exactly what the up path replaced
ALTER TABLE session_exercises ADD CONSTRAINT session_exercises_session_id_fkey
    FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE;
-- squawk-ignore ban-drop-constraint -- the down path restores exactly what the up path replaced
ALTER TABLE workout_exercises DROP CONSTRAINT workout_exercises_workout_fkey;
-- squawk-ignore adding-foreign-key-constraint, constraint-missing-not-valid -- the down path restores exactly what the up path replaced
ALTER TABLE workout_exercises ADD CONSTRAINT workout_exercises_workout_id_fkey
    FOREIGN KEY (workout_id) REFERENCES workouts (id) ON DELETE CASCADE;
-- squawk-ignore ban-drop-column -- the down path removes exactly what the up path created
ALTER TABLE session_exercises DROP COLUMN user_id;
-- squawk-ignore ban-drop-column -- the down path removes exactly what the up path created
ALTER TABLE workout_exercises DROP COLUMN user_id;
