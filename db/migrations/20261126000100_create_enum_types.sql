-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- The closed sets of values of the domain, as PostgreSQL ENUM types.
-- Each one is mirrored, in the same order, by a StrEnum in app/enums.py
-- (tests/test_schema.py checks both agree). The order is the sort order
-- (ORDER BY status sorts draft < active < archived).
-- Adding a value is a new migration with `-- migrate:up transaction:false`
-- (a value added by ALTER TYPE ... ADD VALUE cannot be used before the
-- transaction that added it commits); removing one means rebuilding the type.

-- A workout (plan/template): edited as a draft, used while active, hidden
-- from the default list once archived.
CREATE TYPE workout_status AS ENUM ('draft', 'active', 'archived');

-- A performed session: running, finished normally, or given up.
CREATE TYPE session_status AS ENUM ('in_progress', 'completed', 'abandoned');

-- What kind of training an exercise is; drives which set fields the clients
-- show (reps/weight for strength, duration/distance for cardio, ...).
CREATE TYPE exercise_category AS ENUM (
    'strength',
    'cardio',
    'bodyweight',
    'flexibility',
    'plyometrics',
    'olympic'
);

-- Muscle groups an exercise trains. 'full_body' is for compound lifts such as
-- the Olympic lifts; 'cardio' stands for the cardiovascular system, the
-- primary target of running, rowing, cycling and the like.
CREATE TYPE muscle_group AS ENUM (
    'chest',
    'back',
    'shoulders',
    'biceps',
    'triceps',
    'forearms',
    'abs',
    'obliques',
    'lower_back',
    'glutes',
    'quadriceps',
    'hamstrings',
    'calves',
    'hip_flexors',
    'adductors',
    'abductors',
    'traps',
    'neck',
    'full_body',
    'cardio'
);

-- What an audit_log row records: account events, then generic changes to an
-- entity named by audit_log.entity_type/entity_id.
CREATE TYPE audit_action AS ENUM (
    'register',
    'login',
    'login_failed',
    'logout',
    'token_refresh',
    'token_reuse_detected',
    'password_change',
    'account_delete',
    'login_revoke',
    'profile_update',
    'create',
    'update',
    'delete'
);

-- The kind of a performed set.
CREATE TYPE set_type AS ENUM ('normal', 'warmup', 'dropset', 'failure');

-- The unit a user prefers, and the unit a weight was entered in (weights are
-- always stored in kilograms).
CREATE TYPE weight_unit AS ENUM ('kg', 'lb');

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-type -- the down path removes exactly what the up path created
DROP TYPE weight_unit, set_type, audit_action, muscle_group, exercise_category,
    session_status, workout_status;
