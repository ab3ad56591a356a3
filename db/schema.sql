\restrict dbmate

-- Dumped from database version 18.6
-- Dumped by pg_dump version 18.6

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET transaction_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: unaccent; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;


--
-- Name: EXTENSION unaccent; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION unaccent IS 'text search dictionary that removes accents';


--
-- Name: account_token_purpose; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.account_token_purpose AS ENUM (
    'password_reset',
    'verify_email'
);


--
-- Name: TYPE account_token_purpose; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.account_token_purpose IS 'What a mailed account token is for: a password reset, or proving an email address (the account''s own or the new one of a change).';


--
-- Name: api_key_document; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.api_key_document AS (
	id uuid,
	name text,
	scopes text[],
	created_at timestamp with time zone,
	last_used_at timestamp with time zone,
	expires_at timestamp with time zone,
	version integer
);


--
-- Name: TYPE api_key_document; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.api_key_document IS 'A personal API key as the API shows it (ApiKey), never the key or its hash; built by api_key_document(api_keys).';


--
-- Name: api_key_scope; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.api_key_scope AS ENUM (
    'read',
    'write'
);


--
-- Name: TYPE api_key_scope; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.api_key_scope IS 'What a personal API key may do: read (GET only) or write (every method, reading included).';


--
-- Name: audit_action; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.audit_action AS ENUM (
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
    'delete',
    'password_reset_request',
    'password_reset',
    'email_verification_request',
    'email_verified',
    'email_change_request',
    'email_change'
);


--
-- Name: body_measurement_kind; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.body_measurement_kind AS ENUM (
    'body_weight',
    'body_fat',
    'neck',
    'shoulders',
    'chest',
    'left_biceps',
    'right_biceps',
    'left_forearm',
    'right_forearm',
    'abdomen',
    'waist',
    'hips',
    'left_thigh',
    'right_thigh',
    'left_calf',
    'right_calf'
);


--
-- Name: TYPE body_measurement_kind; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.body_measurement_kind IS 'What a body measurement measures: body weight, body-fat percentage, or a circumference.';


--
-- Name: body_measurement_unit; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.body_measurement_unit AS ENUM (
    'kg',
    'lb',
    'cm',
    'in',
    'percent'
);


--
-- Name: TYPE body_measurement_unit; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.body_measurement_unit IS 'The unit a body measurement was entered in: kg or lb (body weight), cm or in (circumferences), percent (body fat).';


--
-- Name: body_measurement_document; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.body_measurement_document AS (
	id uuid,
	kind public.body_measurement_kind,
	value numeric,
	unit public.body_measurement_unit,
	measured_at timestamp with time zone,
	timezone text,
	notes text,
	version integer,
	created_at timestamp with time zone,
	updated_at timestamp with time zone
);


--
-- Name: TYPE body_measurement_document; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.body_measurement_document IS 'A body measurement as the API shows it (BodyMeasurement); built by body_measurement_document(body_measurements).';


--
-- Name: change_entity_type; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.change_entity_type AS ENUM (
    'exercise',
    'workout',
    'session',
    'set',
    'profile',
    'body_measurement',
    'webhook'
);


--
-- Name: change_event_type; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.change_event_type AS ENUM (
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
    'body_measurement.deleted',
    'webhook.disabled'
);


--
-- Name: change_event_input; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.change_event_input AS (
	event_type public.change_event_type,
	entity_id uuid,
	version integer,
	document jsonb
);


--
-- Name: TYPE change_event_input; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.change_event_input IS 'One event for record_change_events: its type (the entity type is its prefix), the entity, its new version and its document (NULL for a delete).';


--
-- Name: exercise_category; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.exercise_category AS ENUM (
    'strength',
    'cardio',
    'bodyweight',
    'flexibility',
    'plyometrics',
    'olympic'
);


--
-- Name: exercise_group_kind; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.exercise_group_kind AS ENUM (
    'superset',
    'circuit'
);


--
-- Name: TYPE exercise_group_kind; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.exercise_group_kind IS 'How the exercises of one group of a plan are performed: back to back (superset) or in repeated rounds (circuit).';


--
-- Name: exercise_group_document; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.exercise_group_document AS (
	key text,
	kind public.exercise_group_kind,
	"position" smallint
);


--
-- Name: TYPE exercise_group_document; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.exercise_group_document IS 'The superset or circuit of a planned exercise as the API shows it (ExerciseGroup): the "group" field of planned_exercise_document.';


--
-- Name: import_format; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.import_format AS ENUM (
    'strong_csv',
    'hevy_csv',
    'kinetria_json'
);


--
-- Name: TYPE import_format; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.import_format IS 'The file formats POST /v1/imports reads: Strong''s CSV export, Hevy''s CSV export (also Kinetria''s CSV export), Kinetria''s JSON export.';


--
-- Name: import_status; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.import_status AS ENUM (
    'queued',
    'running',
    'succeeded',
    'failed'
);


--
-- Name: TYPE import_status; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.import_status IS 'Where a background import stands: queued (its job waits for a worker), running, succeeded (result holds what it created), failed (error says why; nothing was written).';


--
-- Name: weight_unit; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.weight_unit AS ENUM (
    'kg',
    'lb'
);


--
-- Name: import_document; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.import_document AS (
	id uuid,
	status public.import_status,
	format public.import_format,
	dry_run boolean,
	timezone text,
	weight_unit public.weight_unit,
	distance_unit text,
	size_bytes bigint,
	sha256 text,
	sessions_total bigint,
	sessions_done bigint,
	result jsonb,
	error jsonb,
	version bigint,
	created_at timestamp with time zone,
	updated_at timestamp with time zone,
	started_at timestamp with time zone,
	finished_at timestamp with time zone
);


--
-- Name: TYPE import_document; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.import_document IS 'A background import as the API shows it (ImportJob); built by import_document(imports).';


--
-- Name: muscle_group; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.muscle_group AS ENUM (
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


--
-- Name: planned_exercise_document; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.planned_exercise_document AS (
	"position" smallint,
	exercise_id uuid,
	exercise_name text,
	target_sets smallint,
	target_reps smallint,
	target_weight_kg numeric,
	target_rest_s integer,
	notes text,
	"group" public.exercise_group_document
);


--
-- Name: TYPE planned_exercise_document; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.planned_exercise_document IS 'One exercise of a workout''s or a session''s plan as the API shows it (PlannedExercise); built by planned_exercise_document(workout_exercises | session_exercises, text).';


--
-- Name: procrastinate_job_event_type; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.procrastinate_job_event_type AS ENUM (
    'deferred',
    'started',
    'deferred_for_retry',
    'failed',
    'succeeded',
    'cancelled',
    'abort_requested',
    'aborted',
    'scheduled',
    'retried'
);


--
-- Name: procrastinate_job_status; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.procrastinate_job_status AS ENUM (
    'todo',
    'doing',
    'succeeded',
    'failed',
    'cancelled',
    'aborting',
    'aborted'
);


--
-- Name: procrastinate_job_to_defer_v1; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.procrastinate_job_to_defer_v1 AS (
	queue_name character varying,
	task_name character varying,
	priority integer,
	lock text,
	queueing_lock text,
	args jsonb,
	scheduled_at timestamp with time zone
);


--
-- Name: record_kind; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.record_kind AS ENUM (
    'heaviest_weight',
    'most_reps',
    'best_one_rep_max',
    'best_volume'
);


--
-- Name: TYPE record_kind; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.record_kind IS 'The personal records kept per exercise (app.stats.models.RecordKind).';


--
-- Name: session_status; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.session_status AS ENUM (
    'in_progress',
    'completed',
    'abandoned'
);


--
-- Name: set_type; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.set_type AS ENUM (
    'normal',
    'warmup',
    'dropset',
    'failure'
);


--
-- Name: set_record_document; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.set_record_document AS (
	id uuid,
	session_id uuid,
	exercise_id uuid,
	exercise_name text,
	"position" integer,
	set_type public.set_type,
	reps integer,
	weight numeric,
	weight_unit public.weight_unit,
	duration_s integer,
	distance_m numeric,
	rpe numeric(3,1),
	performed_at timestamp with time zone,
	notes text,
	version integer,
	created_at timestamp with time zone,
	updated_at timestamp with time zone
);


--
-- Name: TYPE set_record_document; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.set_record_document IS 'A logged set as the API shows it (SetRecord); built by set_record_document(set_records, text).';


--
-- Name: webhook_delivery_status; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.webhook_delivery_status AS ENUM (
    'pending',
    'delivered',
    'failed'
);


--
-- Name: TYPE webhook_delivery_status; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.webhook_delivery_status IS 'Where a webhook delivery stands: pending (its next attempt is due at next_attempt_at), delivered (a 2xx answer), failed (retried for about 24 h).';


--
-- Name: webhook_delivery_document; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.webhook_delivery_document AS (
	id uuid,
	sequence bigint,
	message_id text,
	event_type text,
	"position" bigint,
	payload jsonb,
	status public.webhook_delivery_status,
	attempts integer,
	last_status_code integer,
	last_error text,
	next_attempt_at timestamp with time zone,
	delivered_at timestamp with time zone,
	created_at timestamp with time zone,
	updated_at timestamp with time zone
);


--
-- Name: TYPE webhook_delivery_document; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.webhook_delivery_document IS 'A webhook delivery as the API shows it (Delivery); built by webhook_delivery_document(webhook_deliveries).';


--
-- Name: webhook_disabled_reason; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.webhook_disabled_reason AS ENUM (
    'by_user',
    'failures'
);


--
-- Name: TYPE webhook_disabled_reason; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.webhook_disabled_reason IS 'Why a webhook subscription is disabled: turned off by its owner, or after 50 consecutive failed deliveries.';


--
-- Name: webhook_subscription_document; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.webhook_subscription_document AS (
	id uuid,
	url text,
	event_types text[],
	enabled boolean,
	disabled_reason public.webhook_disabled_reason,
	description text,
	previous_secret_expires_at timestamp with time zone,
	consecutive_failures integer,
	version integer,
	created_at timestamp with time zone,
	updated_at timestamp with time zone
);


--
-- Name: TYPE webhook_subscription_document; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TYPE public.webhook_subscription_document IS 'A webhook subscription as the API shows it (Webhook), without its secrets; built by webhook_subscription_document(webhook_subscriptions).';


--
-- Name: workout_status; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.workout_status AS ENUM (
    'draft',
    'active',
    'archived'
);


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: api_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_keys (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    name text NOT NULL,
    scopes public.api_key_scope[] NOT NULL,
    key_hash bytea NOT NULL,
    expires_at timestamp with time zone,
    last_used_at timestamp with time zone,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT api_keys_expires_at_check CHECK ((expires_at > created_at)),
    CONSTRAINT api_keys_key_hash_check CHECK ((octet_length(key_hash) = 32)),
    CONSTRAINT api_keys_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 100))),
    CONSTRAINT api_keys_scopes_check CHECK (((cardinality(scopes) >= 1) AND (cardinality(scopes) <= 2))),
    CONSTRAINT api_keys_version_check CHECK ((version >= 1))
);


--
-- Name: TABLE api_keys; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.api_keys IS 'Personal API keys (Authorization: Bearer kin_...). key_hash is the SHA-256 of the key; the key itself is never stored. Cascades with the user.';


--
-- Name: api_key_document(public.api_keys); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.api_key_document(k public.api_keys) RETURNS public.api_key_document
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ROW((k).id, (k).name, ((k).scopes)::text[], (k).created_at, (k).last_used_at, (k).expires_at, (k).version)::public.api_key_document;


--
-- Name: FUNCTION api_key_document(k public.api_keys); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.api_key_document(k public.api_keys) IS 'A personal API key as the API shows it: its scopes as text, never the key or its hash.';


--
-- Name: body_measurement_from_metric(numeric, public.body_measurement_unit); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.body_measurement_from_metric(metric_value numeric, unit public.body_measurement_unit) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE unit WHEN 'lb'::public.body_measurement_unit THEN round((metric_value / 0.45359237), 3) WHEN 'in'::public.body_measurement_unit THEN round((metric_value / 2.54), 3) ELSE metric_value END;


--
-- Name: FUNCTION body_measurement_from_metric(metric_value numeric, unit public.body_measurement_unit); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.body_measurement_from_metric(metric_value numeric, unit public.body_measurement_unit) IS 'A body measurement in kg, cm or percent, shown in unit (pounds and inches rounded to 3 decimals, the precision the API accepts).';


--
-- Name: body_measurements; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.body_measurements (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    kind public.body_measurement_kind NOT NULL,
    metric_value numeric NOT NULL,
    unit public.body_measurement_unit NOT NULL,
    measured_at timestamp with time zone DEFAULT now() NOT NULL,
    timezone text DEFAULT 'UTC'::text NOT NULL,
    notes text DEFAULT ''::text NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT body_measurements_metric_value_check CHECK (((metric_value > (0)::numeric) AND (metric_value <= (
CASE kind
    WHEN 'body_weight'::public.body_measurement_kind THEN 700
    WHEN 'body_fat'::public.body_measurement_kind THEN 100
    ELSE 500
END)::numeric))),
    CONSTRAINT body_measurements_notes_check CHECK ((char_length(notes) <= 10000)),
    CONSTRAINT body_measurements_timezone_check CHECK (((char_length(timezone) >= 1) AND (char_length(timezone) <= 64))),
    CONSTRAINT body_measurements_unit_check CHECK (
CASE kind
    WHEN 'body_weight'::public.body_measurement_kind THEN (unit = ANY (ARRAY['kg'::public.body_measurement_unit, 'lb'::public.body_measurement_unit]))
    WHEN 'body_fat'::public.body_measurement_kind THEN (unit = 'percent'::public.body_measurement_unit)
    ELSE (unit = ANY (ARRAY['cm'::public.body_measurement_unit, 'in'::public.body_measurement_unit]))
END),
    CONSTRAINT body_measurements_version_check CHECK ((version >= 1))
);


--
-- Name: TABLE body_measurements; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.body_measurements IS 'Body weight, body fat and circumferences over time. Values in kg, cm or percent (unit is what the user entered). Cascades with the user.';


--
-- Name: body_measurement_document(public.body_measurements); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.body_measurement_document(m public.body_measurements) RETURNS public.body_measurement_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW((m).id, (m).kind, public.body_measurement_from_metric((m).metric_value, (m).unit), (m).unit, (m).measured_at, (m).timezone, (m).notes, (m).version, (m).created_at, (m).updated_at)::public.body_measurement_document;


--
-- Name: FUNCTION body_measurement_document(m public.body_measurements); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.body_measurement_document(m public.body_measurements) IS 'A body measurement as the API shows it: the value back in the unit it was entered in.';


--
-- Name: body_measurement_to_metric(numeric, public.body_measurement_unit); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.body_measurement_to_metric(value numeric, unit public.body_measurement_unit) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE unit WHEN 'lb'::public.body_measurement_unit THEN (value * 0.45359237) WHEN 'in'::public.body_measurement_unit THEN (value * 2.54) ELSE value END;


--
-- Name: FUNCTION body_measurement_to_metric(value numeric, unit public.body_measurement_unit); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.body_measurement_to_metric(value numeric, unit public.body_measurement_unit) IS 'A body measurement entered in unit, in kg, cm or percent (exact).';


--
-- Name: delete_user_owned_rows(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.delete_user_owned_rows() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM sessions WHERE user_id = OLD.id;
    DELETE FROM workouts WHERE user_id = OLD.id;
    RETURN OLD;
END;
$$;


--
-- Name: FUNCTION delete_user_owned_rows(); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.delete_user_owned_rows() IS 'BEFORE DELETE on users: deletes the user''s sessions and workouts first, so the cascades to their custom exercises never meet a plan or set still using them.';


--
-- Name: immutable_unaccent(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.immutable_unaccent(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN public.unaccent('public.unaccent'::regdictionary, value);


--
-- Name: FUNCTION immutable_unaccent(value text); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.immutable_unaccent(value text) IS 'unaccent() with a fixed dictionary, IMMUTABLE so generated columns and indexes can use it.';


--
-- Name: imports; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.imports (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    format public.import_format NOT NULL,
    timezone text NOT NULL,
    weight_unit public.weight_unit,
    distance_unit text NOT NULL,
    dry_run boolean NOT NULL,
    size_bytes bigint NOT NULL,
    sha256 text NOT NULL,
    status public.import_status DEFAULT 'queued'::public.import_status NOT NULL,
    sessions_total bigint,
    sessions_done bigint DEFAULT 0 NOT NULL,
    result jsonb,
    error jsonb,
    request_id text,
    attempts bigint DEFAULT 0 NOT NULL,
    version bigint DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    CONSTRAINT imports_distance_unit_check CHECK ((distance_unit = ANY (ARRAY['km'::text, 'mi'::text, 'm'::text]))),
    CONSTRAINT imports_error_check CHECK (((status = 'failed'::public.import_status) = (error IS NOT NULL))),
    CONSTRAINT imports_finished_check CHECK (((status = ANY (ARRAY['succeeded'::public.import_status, 'failed'::public.import_status])) = (finished_at IS NOT NULL))),
    CONSTRAINT imports_progress_check CHECK (((sessions_done >= 0) AND ((sessions_total IS NULL) OR (sessions_done <= sessions_total)))),
    CONSTRAINT imports_result_check CHECK (((status = 'succeeded'::public.import_status) = (result IS NOT NULL))),
    CONSTRAINT imports_sha256_check CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT imports_size_bytes_check CHECK ((size_bytes >= 0)),
    CONSTRAINT imports_timezone_check CHECK ((char_length(timezone) <= 64))
);


--
-- Name: TABLE imports; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.imports IS 'Background imports (files above IMPORT_SYNC_MAX_BYTES): status, progress, and the result or the error. Cascades with the user.';


--
-- Name: import_document(public.imports); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.import_document(i public.imports) RETURNS public.import_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW((i).id, (i).status, (i).format, (i).dry_run, (i).timezone, (i).weight_unit, (i).distance_unit, (i).size_bytes, (i).sha256, (i).sessions_total, (i).sessions_done, (i).result, (i).error, (i).version, (i).created_at, (i).updated_at, (i).started_at, (i).finished_at)::public.import_document;


--
-- Name: FUNCTION import_document(i public.imports); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.import_document(i public.imports) IS 'A background import as the API shows it (never its file).';


--
-- Name: notify_login_ended(uuid, uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.notify_login_ended(owner uuid, login uuid) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify(
        'kinetria_logins_ended', json_build_object('user_id', owner, 'login_id', login)::text
    );
END;
$$;


--
-- Name: FUNCTION notify_login_ended(owner uuid, login uuid); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.notify_login_ended(owner uuid, login uuid) IS 'Tell every server, at commit, that a login (NULL: every login) of the user has ended (channel kinetria_logins_ended).';


--
-- Name: on_local_days(timestamp with time zone, text, date, date); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.on_local_days(at timestamp with time zone, zone text, first_day date, last_day date) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (((first_day IS NULL) OR ((at >= (((first_day - 1))::timestamp without time zone AT TIME ZONE 'UTC'::text)) AND (((at AT TIME ZONE zone))::date >= first_day))) AND ((last_day IS NULL) OR ((at < (((last_day + 2))::timestamp without time zone AT TIME ZONE 'UTC'::text)) AND (((at AT TIME ZONE zone))::date <= last_day))));


--
-- Name: FUNCTION on_local_days(at timestamp with time zone, zone text, first_day date, last_day date); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.on_local_days(at timestamp with time zone, zone text, first_day date, last_day date) IS 'Whether the instant at falls, in the time zone zone, on a day from first_day to last_day inclusive (NULL: no bound).';


--
-- Name: account_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.account_tokens (
    user_id uuid NOT NULL,
    purpose public.account_token_purpose NOT NULL,
    token_hash bytea NOT NULL,
    email text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT account_tokens_email_check CHECK (((char_length(email) >= 3) AND (char_length(email) <= 254))),
    CONSTRAINT account_tokens_expires_at_check CHECK ((expires_at > created_at)),
    CONSTRAINT account_tokens_token_hash_check CHECK ((octet_length(token_hash) = 32))
);


--
-- Name: TABLE account_tokens; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.account_tokens IS 'Mailed single-use tokens (SHA-256 only): at most one per account and purpose, the newest; deleted when used. Cascades with the user.';


--
-- Name: pending_email_change(uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.pending_email_change(owner uuid, current_email text) RETURNS TABLE(email text)
    LANGUAGE sql STABLE PARALLEL SAFE
    BEGIN ATOMIC
 SELECT t.email
    FROM public.account_tokens t
   WHERE ((t.user_id = pending_email_change.owner) AND (t.purpose = 'verify_email'::public.account_token_purpose) AND (t.expires_at > now()) AND (t.email <> pending_email_change.current_email));
END;


--
-- Name: FUNCTION pending_email_change(owner uuid, current_email text); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.pending_email_change(owner uuid, current_email text) IS 'The address of the account''s pending email change (its live verification token mailed to another address); no row when none.';


--
-- Name: personal_bests_add(uuid, uuid[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.personal_bests_add(p_user_id uuid, p_set_ids uuid[]) RETURNS void
    LANGUAGE sql
    AS $$
    INSERT INTO personal_bests AS pb (user_id, exercise_id, kind, value, set_id, performed_at)
    SELECT DISTINCT ON (sr.exercise_id, b.kind)
           sr.user_id, sr.exercise_id, b.kind, b.value, sr.id, sr.performed_at
    FROM set_records sr
    CROSS JOIN LATERAL set_record_bests(sr.set_type, sr.reps, sr.weight_kg) AS b
    WHERE sr.id = ANY (p_set_ids) AND sr.user_id = p_user_id
    ORDER BY sr.exercise_id, b.kind, b.value DESC, sr.performed_at, sr.id
    ON CONFLICT (user_id, exercise_id, kind) DO UPDATE
    SET value = excluded.value, set_id = excluded.set_id, performed_at = excluded.performed_at
    WHERE excluded.value > pb.value
       OR (excluded.value = pb.value
           AND (excluded.performed_at, excluded.set_id) < (pb.performed_at, pb.set_id))
$$;


--
-- Name: FUNCTION personal_bests_add(p_user_id uuid, p_set_ids uuid[]); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.personal_bests_add(p_user_id uuid, p_set_ids uuid[]) IS 'Adds the given sets of a user (already inserted or changed) to personal_bests.';


--
-- Name: personal_bests_after_delete(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.personal_bests_after_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    held record;
BEGIN
    FOR held IN
        SELECT d.user_id, array_agg(DISTINCT d.exercise_id) AS exercise_ids
        FROM deleted_sets d
        WHERE EXISTS (
            SELECT 1 FROM personal_bests pb
            WHERE pb.user_id = d.user_id AND pb.exercise_id = d.exercise_id
              AND pb.set_id = d.id)
        GROUP BY d.user_id
    LOOP
        PERFORM personal_bests_recompute(held.user_id, held.exercise_ids);
    END LOOP;
    RETURN NULL;
END;
$$;


--
-- Name: FUNCTION personal_bests_after_delete(); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.personal_bests_after_delete() IS 'AFTER DELETE on set_records: recomputes the personal_bests that deleted sets held.';


--
-- Name: personal_bests_after_update(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.personal_bests_after_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    held record;
BEGIN
    FOR held IN
        SELECT o.user_id, array_agg(DISTINCT o.exercise_id) AS exercise_ids
        FROM old_sets o
        JOIN new_sets n ON n.id = o.id
        WHERE (n.exercise_id, n.set_type, n.reps, n.weight_kg, n.performed_at)
              IS DISTINCT FROM (o.exercise_id, o.set_type, o.reps, o.weight_kg, o.performed_at)
          AND EXISTS (
              SELECT 1 FROM personal_bests pb
              WHERE pb.user_id = o.user_id AND pb.exercise_id = o.exercise_id
                AND pb.set_id = o.id)
        GROUP BY o.user_id
    LOOP
        PERFORM personal_bests_recompute(held.user_id, held.exercise_ids);
    END LOOP;
    FOR held IN
        SELECT n.user_id, array_agg(n.id) AS set_ids
        FROM new_sets n
        JOIN old_sets o ON o.id = n.id
        WHERE (n.exercise_id, n.set_type, n.reps, n.weight_kg, n.performed_at)
              IS DISTINCT FROM (o.exercise_id, o.set_type, o.reps, o.weight_kg, o.performed_at)
        GROUP BY n.user_id
    LOOP
        PERFORM personal_bests_add(held.user_id, held.set_ids);
    END LOOP;
    RETURN NULL;
END;
$$;


--
-- Name: FUNCTION personal_bests_after_update(); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.personal_bests_after_update() IS 'AFTER UPDATE on set_records: recomputes the personal_bests that changed sets held, then adds the changed sets.';


--
-- Name: personal_bests_recompute(uuid, uuid[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.personal_bests_recompute(p_user_id uuid, p_exercise_ids uuid[]) RETURNS void
    LANGUAGE sql
    AS $$
    SELECT 1 FROM users WHERE id = p_user_id FOR UPDATE;
    WITH computed AS MATERIALIZED (
        SELECT c.user_id, c.exercise_id, c.kind, c.value, c.set_id, c.performed_at
        FROM personal_bests_computed c
        WHERE c.user_id = p_user_id AND c.exercise_id = ANY (p_exercise_ids)
    ),
    gone AS (
        DELETE FROM personal_bests pb
        WHERE pb.user_id = p_user_id AND pb.exercise_id = ANY (p_exercise_ids)
          AND NOT EXISTS (
              SELECT 1 FROM computed c
              WHERE c.exercise_id = pb.exercise_id AND c.kind = pb.kind)
    )
    INSERT INTO personal_bests AS pb (user_id, exercise_id, kind, value, set_id, performed_at)
    SELECT c.user_id, c.exercise_id, c.kind, c.value, c.set_id, c.performed_at
    FROM computed c
    ON CONFLICT (user_id, exercise_id, kind) DO UPDATE
    SET value = excluded.value, set_id = excluded.set_id, performed_at = excluded.performed_at
    WHERE (pb.value, pb.set_id, pb.performed_at)
          IS DISTINCT FROM (excluded.value, excluded.set_id, excluded.performed_at);
$$;


--
-- Name: FUNCTION personal_bests_recompute(p_user_id uuid, p_exercise_ids uuid[]); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.personal_bests_recompute(p_user_id uuid, p_exercise_ids uuid[]) IS 'Recomputes a user''s personal_bests of the given exercises from set_records.';


--
-- Name: plan_row_user_id(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.plan_row_user_id() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_TABLE_NAME = 'workout_exercises' THEN
        SELECT w.user_id INTO NEW.user_id FROM workouts w WHERE w.id = NEW.workout_id;
    ELSE
        SELECT s.user_id INTO NEW.user_id FROM sessions s WHERE s.id = NEW.session_id;
    END IF;
    RETURN NEW;
END
$$;


--
-- Name: FUNCTION plan_row_user_id(); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.plan_row_user_id() IS 'Fills user_id of a plan row inserted by the release before 20261202300000; drop with its triggers once no such release runs.';


--
-- Name: plan_rows(jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.plan_rows(plan jsonb) RETURNS TABLE("position" bigint, exercise_id uuid, target_sets smallint, target_reps smallint, target_weight_kg numeric, target_rest_s integer, notes text, group_key text, group_kind public.exercise_group_kind, group_position bigint)
    LANGUAGE sql STABLE PARALLEL SAFE
    BEGIN ATOMIC
 SELECT (item.ord - 1),
     x.exercise_id,
     x.target_sets,
     x.target_reps,
     x.target_weight_kg,
     x.target_rest_s,
     COALESCE(x.notes, ''::text) AS "coalesce",
     g.key,
     g.kind,
         CASE
             WHEN (g.key IS NOT NULL) THEN (row_number() OVER (PARTITION BY g.key ORDER BY g."position", item.ord) - 1)
             ELSE NULL::bigint
         END AS "case"
    FROM ((jsonb_array_elements(plan_rows.plan) WITH ORDINALITY item(doc, ord)
      CROSS JOIN LATERAL jsonb_to_record(item.doc) x(exercise_id uuid, target_sets smallint, target_reps smallint, target_weight_kg numeric, target_rest_s integer, notes text, "group" jsonb))
      CROSS JOIN LATERAL jsonb_to_record(COALESCE(x."group", '{}'::jsonb)) g(key text, kind public.exercise_group_kind, "position" smallint));
END;


--
-- Name: FUNCTION plan_rows(plan jsonb); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.plan_rows(plan jsonb) IS 'The rows of a plan sent as JSON, positions and group positions numbered, in the columns of workout_exercises and session_exercises.';


--
-- Name: session_exercises; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.session_exercises (
    session_id uuid NOT NULL,
    "position" smallint NOT NULL,
    exercise_id uuid NOT NULL,
    target_sets smallint,
    target_reps smallint,
    target_weight_kg numeric,
    target_rest_s integer,
    notes text DEFAULT ''::text NOT NULL,
    user_id uuid NOT NULL,
    group_key text,
    group_kind public.exercise_group_kind,
    group_position smallint,
    CONSTRAINT session_exercises_group_check CHECK ((((group_key IS NULL) AND (group_kind IS NULL) AND (group_position IS NULL)) OR (((char_length(group_key) >= 1) AND (char_length(group_key) <= 40)) AND (group_kind IS NOT NULL) AND ((group_position >= 0) AND (group_position <= 99))))),
    CONSTRAINT session_exercises_notes_check CHECK ((char_length(notes) <= 10000)),
    CONSTRAINT session_exercises_position_check CHECK (("position" >= 0)),
    CONSTRAINT session_exercises_target_reps_check CHECK (((target_reps >= 0) AND (target_reps <= 1000))),
    CONSTRAINT session_exercises_target_rest_s_check CHECK (((target_rest_s >= 0) AND (target_rest_s <= 3600))),
    CONSTRAINT session_exercises_target_sets_check CHECK (((target_sets >= 1) AND (target_sets <= 100))),
    CONSTRAINT session_exercises_target_weight_kg_check CHECK (((target_weight_kg >= (0)::numeric) AND (target_weight_kg <= (1000)::numeric)))
);


--
-- Name: TABLE session_exercises; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.session_exercises IS 'The plan of a session (copied from its workout when it started), with targets (weights in kg).';


--
-- Name: COLUMN session_exercises.user_id; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.session_exercises.user_id IS 'The owner of the session (equal to sessions.user_id, by session_exercises_session_fkey).';


--
-- Name: COLUMN session_exercises.group_key; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.session_exercises.group_key IS 'The superset or circuit this exercise belongs to (rows of one session sharing it are one group); NULL: not grouped.';


--
-- Name: COLUMN session_exercises.group_kind; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.session_exercises.group_kind IS 'superset or circuit, the same for every member of the group.';


--
-- Name: COLUMN session_exercises.group_position; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.session_exercises.group_position IS '0-based order inside the group.';


--
-- Name: planned_exercise_document(public.session_exercises, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.planned_exercise_document(se public.session_exercises, exercise_name text) RETURNS public.planned_exercise_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW((se)."position", (se).exercise_id, exercise_name, (se).target_sets, (se).target_reps, (se).target_weight_kg, (se).target_rest_s, (se).notes, CASE WHEN ((se).group_key IS NOT NULL) THEN ROW((se).group_key, (se).group_kind, (se).group_position)::public.exercise_group_document ELSE NULL::public.exercise_group_document END)::public.planned_exercise_document;


--
-- Name: FUNCTION planned_exercise_document(se public.session_exercises, exercise_name text); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.planned_exercise_document(se public.session_exercises, exercise_name text) IS 'An exercise of a session''s plan as the API shows it, given the exercise''s name.';


--
-- Name: workout_exercises; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.workout_exercises (
    workout_id uuid NOT NULL,
    "position" smallint NOT NULL,
    exercise_id uuid NOT NULL,
    target_sets smallint,
    target_reps smallint,
    target_weight_kg numeric,
    target_rest_s integer,
    notes text DEFAULT ''::text NOT NULL,
    user_id uuid NOT NULL,
    group_key text,
    group_kind public.exercise_group_kind,
    group_position smallint,
    CONSTRAINT workout_exercises_group_check CHECK ((((group_key IS NULL) AND (group_kind IS NULL) AND (group_position IS NULL)) OR (((char_length(group_key) >= 1) AND (char_length(group_key) <= 40)) AND (group_kind IS NOT NULL) AND ((group_position >= 0) AND (group_position <= 99))))),
    CONSTRAINT workout_exercises_notes_check CHECK ((char_length(notes) <= 10000)),
    CONSTRAINT workout_exercises_position_check CHECK (("position" >= 0)),
    CONSTRAINT workout_exercises_target_reps_check CHECK (((target_reps >= 0) AND (target_reps <= 1000))),
    CONSTRAINT workout_exercises_target_rest_s_check CHECK (((target_rest_s >= 0) AND (target_rest_s <= 3600))),
    CONSTRAINT workout_exercises_target_sets_check CHECK (((target_sets >= 1) AND (target_sets <= 100))),
    CONSTRAINT workout_exercises_target_weight_kg_check CHECK (((target_weight_kg >= (0)::numeric) AND (target_weight_kg <= (1000)::numeric)))
);


--
-- Name: TABLE workout_exercises; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.workout_exercises IS 'The ordered exercises of a workout plan, with their targets (weights in kg).';


--
-- Name: COLUMN workout_exercises.user_id; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.workout_exercises.user_id IS 'The owner of the workout (equal to workouts.user_id, by workout_exercises_workout_fkey).';


--
-- Name: COLUMN workout_exercises.group_key; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.workout_exercises.group_key IS 'The superset or circuit this exercise belongs to (rows of one workout sharing it are one group); NULL: not grouped.';


--
-- Name: COLUMN workout_exercises.group_kind; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.workout_exercises.group_kind IS 'superset or circuit, the same for every member of the group.';


--
-- Name: COLUMN workout_exercises.group_position; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.workout_exercises.group_position IS '0-based order inside the group.';


--
-- Name: planned_exercise_document(public.workout_exercises, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.planned_exercise_document(we public.workout_exercises, exercise_name text) RETURNS public.planned_exercise_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW((we)."position", (we).exercise_id, exercise_name, (we).target_sets, (we).target_reps, (we).target_weight_kg, (we).target_rest_s, (we).notes, CASE WHEN ((we).group_key IS NOT NULL) THEN ROW((we).group_key, (we).group_kind, (we).group_position)::public.exercise_group_document ELSE NULL::public.exercise_group_document END)::public.planned_exercise_document;


--
-- Name: FUNCTION planned_exercise_document(we public.workout_exercises, exercise_name text); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.planned_exercise_document(we public.workout_exercises, exercise_name text) IS 'An exercise of a workout as the API shows it, given the exercise''s name.';


--
-- Name: procrastinate_cancel_job_v1(bigint, boolean, boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_cancel_job_v1(job_id bigint, abort boolean, delete_job boolean) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
    _job_id bigint;
BEGIN
    IF delete_job THEN
        DELETE FROM procrastinate_jobs
        WHERE id = job_id AND status = 'todo'
        RETURNING id INTO _job_id;
    END IF;
    IF _job_id IS NULL THEN
        IF abort THEN
            UPDATE procrastinate_jobs
            SET abort_requested = true,
                status = CASE status
                    WHEN 'todo' THEN 'cancelled'::procrastinate_job_status ELSE status
                END
            WHERE id = job_id AND status IN ('todo', 'doing')
            RETURNING id INTO _job_id;
        ELSE
            UPDATE procrastinate_jobs
            SET status = 'cancelled'::procrastinate_job_status
            WHERE id = job_id AND status = 'todo'
            RETURNING id INTO _job_id;
        END IF;
    END IF;
    RETURN _job_id;
END;
$$;


--
-- Name: procrastinate_defer_jobs_v1(public.procrastinate_job_to_defer_v1[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_defer_jobs_v1(jobs public.procrastinate_job_to_defer_v1[]) RETURNS bigint[]
    LANGUAGE plpgsql
    AS $$
DECLARE
    job_ids bigint[];
BEGIN
    WITH inserted_jobs AS (
        INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args, scheduled_at)
        SELECT (job).queue_name,
               (job).task_name,
               (job).priority,
               (job).lock,
               (job).queueing_lock,
               (job).args,
               (job).scheduled_at
        FROM unnest(jobs) AS job
        RETURNING id
    )
    SELECT array_agg(id) FROM inserted_jobs INTO job_ids;

    RETURN job_ids;
END;
$$;


--
-- Name: procrastinate_defer_periodic_job_v2(character varying, character varying, character varying, character varying, integer, character varying, bigint, jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_defer_periodic_job_v2(_queue_name character varying, _lock character varying, _queueing_lock character varying, _task_name character varying, _priority integer, _periodic_id character varying, _defer_timestamp bigint, _args jsonb) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
	_job_id bigint;
	_defer_id bigint;
BEGIN
    INSERT
        INTO procrastinate_periodic_defers (task_name, periodic_id, defer_timestamp)
        VALUES (_task_name, _periodic_id, _defer_timestamp)
        ON CONFLICT DO NOTHING
        RETURNING id into _defer_id;

    IF _defer_id IS NULL THEN
        RETURN NULL;
    END IF;

    UPDATE procrastinate_periodic_defers
        SET job_id = (
            SELECT COALESCE((
                SELECT unnest(procrastinate_defer_jobs_v1(
                    ARRAY[
                        ROW(
                            _queue_name,
                            _task_name,
                            _priority,
                            _lock,
                            _queueing_lock,
                            _args,
                            NULL::timestamptz
                        )
                    ]::procrastinate_job_to_defer_v1[]
                ))
            ), NULL)
        )
        WHERE id = _defer_id
        RETURNING job_id INTO _job_id;

    DELETE
        FROM procrastinate_periodic_defers
        USING (
            SELECT id
            FROM procrastinate_periodic_defers
            WHERE procrastinate_periodic_defers.task_name = _task_name
            AND procrastinate_periodic_defers.periodic_id = _periodic_id
            AND procrastinate_periodic_defers.defer_timestamp < _defer_timestamp
            ORDER BY id
            FOR UPDATE
        ) to_delete
        WHERE procrastinate_periodic_defers.id = to_delete.id;

    RETURN _job_id;
END;
$$;


--
-- Name: procrastinate_jobs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.procrastinate_jobs (
    id bigint NOT NULL,
    queue_name character varying(128) NOT NULL,
    task_name character varying(128) NOT NULL,
    priority integer DEFAULT 0 NOT NULL,
    lock text,
    queueing_lock text,
    args jsonb DEFAULT '{}'::jsonb NOT NULL,
    status public.procrastinate_job_status DEFAULT 'todo'::public.procrastinate_job_status NOT NULL,
    scheduled_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    abort_requested boolean DEFAULT false NOT NULL,
    worker_id bigint,
    CONSTRAINT check_not_todo_abort_requested CHECK ((NOT ((status = 'todo'::public.procrastinate_job_status) AND (abort_requested = true))))
);


--
-- Name: procrastinate_fetch_job_v2(character varying[], bigint); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_fetch_job_v2(target_queue_names character varying[], p_worker_id bigint) RETURNS public.procrastinate_jobs
    LANGUAGE plpgsql
    AS $$
DECLARE
	found_jobs procrastinate_jobs;
BEGIN
    WITH candidate AS (
        SELECT jobs.*
            FROM procrastinate_jobs AS jobs
            WHERE
                -- reject the job if its lock has earlier or higher priority jobs
                NOT EXISTS (
                    SELECT 1
                        FROM procrastinate_jobs AS other_jobs
                        WHERE
                            jobs.lock IS NOT NULL
                            AND other_jobs.lock = jobs.lock
                            AND (
                                -- job with same lock is already running
                                other_jobs.status = 'doing'
                                OR
                                -- job with same lock is waiting and has higher priority (or same priority but was queued first)
                                (
                                    other_jobs.status = 'todo'
                                    AND (
                                        other_jobs.priority > jobs.priority
                                        OR (
                                        other_jobs.priority = jobs.priority
                                        AND other_jobs.id < jobs.id
                                        )
                                    )
                                )
                            )
                )
                AND jobs.status = 'todo'
                AND (target_queue_names IS NULL OR jobs.queue_name = ANY( target_queue_names ))
                AND (jobs.scheduled_at IS NULL OR jobs.scheduled_at <= now())
            ORDER BY jobs.priority DESC, jobs.id ASC LIMIT 1
            FOR UPDATE OF jobs SKIP LOCKED
    )
    UPDATE procrastinate_jobs
        SET status = 'doing', worker_id = p_worker_id
        FROM candidate
        WHERE procrastinate_jobs.id = candidate.id
        RETURNING procrastinate_jobs.* INTO found_jobs;

 RETURN found_jobs;
END;
$$;


--
-- Name: procrastinate_finish_job_v1(bigint, public.procrastinate_job_status, boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_finish_job_v1(job_id bigint, end_status public.procrastinate_job_status, delete_job boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    _job_id bigint;
BEGIN
    IF end_status NOT IN ('succeeded', 'failed', 'aborted') THEN
        RAISE 'End status should be either "succeeded", "failed" or "aborted" (job id: %)', job_id;
    END IF;
    IF delete_job THEN
        DELETE FROM procrastinate_jobs
        WHERE id = job_id AND status IN ('todo', 'doing')
        RETURNING id INTO _job_id;
    ELSE
        UPDATE procrastinate_jobs
        SET status = end_status,
            abort_requested = false,
            attempts = CASE status
                WHEN 'doing' THEN attempts + 1 ELSE attempts
            END
        WHERE id = job_id AND status IN ('todo', 'doing')
        RETURNING id INTO _job_id;
    END IF;
    IF _job_id IS NULL THEN
        RAISE 'Job was not found or not in "doing" or "todo" status (job id: %)', job_id;
    END IF;
END;
$$;


--
-- Name: procrastinate_notify_queue_abort_job_v1(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_notify_queue_abort_job_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    payload TEXT;
BEGIN
    SELECT json_build_object('type', 'abort_job_requested', 'job_id', NEW.id)::text INTO payload;
	PERFORM pg_notify('procrastinate_queue_v1#' || NEW.queue_name, payload);
	PERFORM pg_notify('procrastinate_any_queue_v1', payload);
	RETURN NEW;
END;
$$;


--
-- Name: procrastinate_notify_queue_job_inserted_v1(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_notify_queue_job_inserted_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    payload TEXT;
BEGIN
    SELECT json_build_object('type', 'job_inserted', 'job_id', NEW.id)::text INTO payload;
	PERFORM pg_notify('procrastinate_queue_v1#' || NEW.queue_name, payload);
	PERFORM pg_notify('procrastinate_any_queue_v1', payload);
	RETURN NEW;
END;
$$;


--
-- Name: procrastinate_prune_stalled_workers_v1(double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_prune_stalled_workers_v1(seconds_since_heartbeat double precision) RETURNS TABLE(worker_id bigint)
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY
    DELETE FROM procrastinate_workers
    WHERE last_heartbeat < NOW() - (seconds_since_heartbeat || 'SECOND')::INTERVAL
    RETURNING procrastinate_workers.id;
END;
$$;


--
-- Name: procrastinate_register_worker_v1(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_register_worker_v1() RETURNS TABLE(worker_id bigint)
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY
    INSERT INTO procrastinate_workers DEFAULT VALUES
    RETURNING procrastinate_workers.id;
END;
$$;


--
-- Name: procrastinate_retry_job_v1(bigint, timestamp with time zone, integer, character varying, character varying); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_retry_job_v1(job_id bigint, retry_at timestamp with time zone, new_priority integer, new_queue_name character varying, new_lock character varying) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    _job_id bigint;
    _abort_requested boolean;
BEGIN
    SELECT abort_requested FROM procrastinate_jobs
    WHERE id = job_id AND status = 'doing'
    FOR UPDATE
    INTO _abort_requested;
    IF _abort_requested THEN
        UPDATE procrastinate_jobs
        SET status = 'failed'::procrastinate_job_status
        WHERE id = job_id AND status = 'doing'
        RETURNING id INTO _job_id;
    ELSE
        UPDATE procrastinate_jobs
        SET status = 'todo'::procrastinate_job_status,
            attempts = attempts + 1,
            scheduled_at = retry_at,
            priority = COALESCE(new_priority, priority),
            queue_name = COALESCE(new_queue_name, queue_name),
            lock = COALESCE(new_lock, lock)
        WHERE id = job_id AND status = 'doing'
        RETURNING id INTO _job_id;
    END IF;

    IF _job_id IS NULL THEN
        RAISE 'Job was not found or not in "doing" status (job id: %)', job_id;
    END IF;
END;
$$;


--
-- Name: procrastinate_retry_job_v2(bigint, timestamp with time zone, integer, character varying, character varying); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_retry_job_v2(job_id bigint, retry_at timestamp with time zone, new_priority integer, new_queue_name character varying, new_lock character varying) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    _job_id bigint;
    _abort_requested boolean;
    _current_status procrastinate_job_status;
BEGIN
    SELECT status, abort_requested FROM procrastinate_jobs
    WHERE id = job_id AND status IN ('doing', 'failed')
    FOR UPDATE
    INTO _current_status, _abort_requested;
    IF _current_status = 'doing' AND _abort_requested THEN
        UPDATE procrastinate_jobs
        SET status = 'failed'::procrastinate_job_status
        WHERE id = job_id AND status = 'doing'
        RETURNING id INTO _job_id;
    ELSE
        UPDATE procrastinate_jobs
        SET status = 'todo'::procrastinate_job_status,
            attempts = attempts + 1,
            scheduled_at = retry_at,
            priority = COALESCE(new_priority, priority),
            queue_name = COALESCE(new_queue_name, queue_name),
            lock = COALESCE(new_lock, lock)
        WHERE id = job_id AND status IN ('doing', 'failed')
        RETURNING id INTO _job_id;
    END IF;

    IF _job_id IS NULL THEN
        RAISE 'Job was not found or has an invalid status to retry (job id: %)', job_id;
    END IF;

END;
$$;


--
-- Name: procrastinate_trigger_abort_requested_events_procedure_v1(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_trigger_abort_requested_events_procedure_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO procrastinate_events(job_id, type)
        VALUES (NEW.id, 'abort_requested'::procrastinate_job_event_type);
    RETURN NEW;
END;
$$;


--
-- Name: procrastinate_trigger_function_scheduled_events_v1(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_trigger_function_scheduled_events_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO procrastinate_events(job_id, type, at)
        VALUES (NEW.id, 'scheduled'::procrastinate_job_event_type, NEW.scheduled_at);

	RETURN NEW;
END;
$$;


--
-- Name: procrastinate_trigger_function_status_events_insert_v1(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_trigger_function_status_events_insert_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO procrastinate_events(job_id, type)
        VALUES (NEW.id, 'deferred'::procrastinate_job_event_type);
	RETURN NEW;
END;
$$;


--
-- Name: procrastinate_trigger_function_status_events_update_v1(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_trigger_function_status_events_update_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    WITH t AS (
        SELECT CASE
            WHEN OLD.status = 'todo'::procrastinate_job_status
                AND NEW.status = 'doing'::procrastinate_job_status
                THEN 'started'::procrastinate_job_event_type
            WHEN OLD.status = 'doing'::procrastinate_job_status
                AND NEW.status = 'todo'::procrastinate_job_status
                THEN 'deferred_for_retry'::procrastinate_job_event_type
            WHEN OLD.status = 'doing'::procrastinate_job_status
                AND NEW.status = 'failed'::procrastinate_job_status
                THEN 'failed'::procrastinate_job_event_type
            WHEN OLD.status = 'doing'::procrastinate_job_status
                AND NEW.status = 'succeeded'::procrastinate_job_status
                THEN 'succeeded'::procrastinate_job_event_type
            WHEN OLD.status = 'todo'::procrastinate_job_status
                AND (
                    NEW.status = 'cancelled'::procrastinate_job_status
                    OR NEW.status = 'failed'::procrastinate_job_status
                    OR NEW.status = 'succeeded'::procrastinate_job_status
                )
                THEN 'cancelled'::procrastinate_job_event_type
            WHEN OLD.status = 'doing'::procrastinate_job_status
                AND NEW.status = 'aborted'::procrastinate_job_status
                THEN 'aborted'::procrastinate_job_event_type
            WHEN OLD.status = 'failed'::procrastinate_job_status
                AND NEW.status = 'todo'::procrastinate_job_status
                THEN 'retried'::procrastinate_job_event_type
            ELSE NULL
        END as event_type
    )
    INSERT INTO procrastinate_events(job_id, type)
        SELECT NEW.id, t.event_type
        FROM t
        WHERE t.event_type IS NOT NULL;
	RETURN NEW;
END;
$$;


--
-- Name: procrastinate_unlink_periodic_defers_v1(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_unlink_periodic_defers_v1() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE procrastinate_periodic_defers
    SET job_id = NULL
    WHERE job_id = OLD.id;
    RETURN OLD;
END;
$$;


--
-- Name: procrastinate_unregister_worker_v1(bigint); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_unregister_worker_v1(worker_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM procrastinate_workers
    WHERE id = worker_id;
END;
$$;


--
-- Name: procrastinate_update_heartbeat_v1(bigint); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.procrastinate_update_heartbeat_v1(worker_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE procrastinate_workers
    SET last_heartbeat = NOW()
    WHERE id = worker_id;
END;
$$;


--
-- Name: change_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.change_events (
    user_id uuid NOT NULL,
    "position" bigint NOT NULL,
    event_type public.change_event_type NOT NULL,
    entity_type public.change_entity_type NOT NULL,
    entity_id uuid NOT NULL,
    version integer,
    document jsonb,
    request_id text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    history jsonb,
    CONSTRAINT change_events_document_check CHECK (
CASE
    WHEN (history IS NOT NULL) THEN ((document IS NULL) AND (jsonb_typeof(history) = 'object'::text))
    WHEN ((event_type)::text ~~ '%.deleted'::text) THEN (document IS NULL)
    ELSE ((jsonb_typeof(document) = 'object'::text) AND (version IS NOT NULL))
END),
    CONSTRAINT change_events_entity_check CHECK ((split_part((event_type)::text, '.'::text, 1) = (entity_type)::text)),
    CONSTRAINT change_events_position_check CHECK (("position" > 0))
);


--
-- Name: TABLE change_events; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.change_events IS 'The change log: one row per change to a user''s data, written in the transaction of the change (queries/sync/record.sql). document: the entity as the API shows it, NULL for a delete (a tombstone). history: set only on rows moved from audit_log (their metadata), which the feed never serves.';


--
-- Name: COLUMN change_events."position"; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.change_events."position" IS 'Gap-free per user, in commit order (see sync_counters).';


--
-- Name: COLUMN change_events.version; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.change_events.version IS 'The entity''s version after the change; NULL for a delete.';


--
-- Name: sync_counters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sync_counters (
    user_id uuid NOT NULL,
    last_position bigint DEFAULT 0 NOT NULL,
    pruned_through bigint DEFAULT 0 NOT NULL,
    CONSTRAINT sync_counters_positions_check CHECK (((pruned_through >= 0) AND (last_position >= pruned_through)))
);


--
-- Name: TABLE sync_counters; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.sync_counters IS 'Per user, the last change_events position handed out (locked by each writing transaction until it commits: positions follow commit order, gap-free) and the last one pruned (older cursors are expired).';


--
-- Name: record_change_events(uuid, public.change_event_input[], text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.record_change_events(owner uuid, events public.change_event_input[], request text) RETURNS integer
    LANGUAGE sql
    BEGIN ATOMIC
 WITH counter AS (
          INSERT INTO public.sync_counters AS c (user_id, last_position)  SELECT record_change_events.owner AS owner,
                     cardinality(record_change_events.events) AS cardinality
                   WHERE (cardinality(record_change_events.events) > 0) ON CONFLICT(user_id) DO UPDATE SET last_position = (c.last_position + excluded.last_position)
           RETURNING (c.last_position - cardinality(record_change_events.events)) AS before
         ), recorded AS (
          INSERT INTO public.change_events (user_id, "position", event_type, entity_type, entity_id, version, document, request_id)  SELECT record_change_events.owner AS owner,
                     (counter.before + item.ord),
                     item.event_type,
                     (split_part((item.event_type)::text, '.'::text, 1))::public.change_entity_type AS split_part,
                     item.entity_id,
                     item.version,
                     item.document,
                     record_change_events.request AS request
                    FROM (counter
                      CROSS JOIN unnest(record_change_events.events) WITH ORDINALITY item(event_type, entity_id, version, document, ord))
           RETURNING 1 AS "?column?"
         )
  SELECT (count(*))::integer AS count
    FROM recorded;
END;


--
-- Name: FUNCTION record_change_events(owner uuid, events public.change_event_input[], request text); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.record_change_events(owner uuid, events public.change_event_input[], request text) IS 'Append the events, in order, to the change log of the user owner, at the positions after the last one (locking the user''s sync_counters row until the transaction ends); the number recorded.';


--
-- Name: exercises; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.exercises (
    id uuid NOT NULL,
    user_id uuid,
    name text NOT NULL,
    category public.exercise_category NOT NULL,
    primary_muscle public.muscle_group NOT NULL,
    secondary_muscles public.muscle_group[] DEFAULT '{}'::public.muscle_group[] NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    search_name text GENERATED ALWAYS AS (lower(public.immutable_unaccent(name))) STORED,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT exercises_description_check CHECK ((char_length(description) <= 10000)),
    CONSTRAINT exercises_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 100))),
    CONSTRAINT exercises_secondary_muscles_check CHECK (((array_position(secondary_muscles, NULL::public.muscle_group) IS NULL) AND (NOT (primary_muscle = ANY (secondary_muscles))))),
    CONSTRAINT exercises_version_check CHECK ((version >= 1))
);


--
-- Name: TABLE exercises; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.exercises IS 'The exercise catalogue: system exercises (user_id NULL, shipped by migrations) plus each user''s custom ones. Cannot be deleted while a set or a plan refers to it.';


--
-- Name: sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sessions (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    workout_id uuid,
    name text DEFAULT ''::text NOT NULL,
    status public.session_status DEFAULT 'in_progress'::public.session_status NOT NULL,
    started_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    timezone text DEFAULT 'UTC'::text NOT NULL,
    notes text DEFAULT ''::text NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    next_set_position integer DEFAULT 0 NOT NULL,
    CONSTRAINT sessions_completed_has_end_check CHECK (((status <> 'completed'::public.session_status) OR (ended_at IS NOT NULL))),
    CONSTRAINT sessions_ended_after_started_check CHECK ((ended_at >= started_at)),
    CONSTRAINT sessions_in_progress_has_no_end_check CHECK (((status <> 'in_progress'::public.session_status) OR (ended_at IS NULL))),
    CONSTRAINT sessions_name_check CHECK ((char_length(name) <= 100)),
    CONSTRAINT sessions_next_set_position_check CHECK ((next_set_position >= 0)),
    CONSTRAINT sessions_notes_check CHECK ((char_length(notes) <= 10000)),
    CONSTRAINT sessions_timezone_check CHECK (((char_length(timezone) >= 1) AND (char_length(timezone) <= 64))),
    CONSTRAINT sessions_version_check CHECK ((version >= 1))
);


--
-- Name: TABLE sessions; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.sessions IS 'Performed training sessions. At most one in_progress session per user.';


--
-- Name: COLUMN sessions.next_set_position; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.sessions.next_set_position IS 'Position of the next set logged on this session (greater than every position used so far).';


--
-- Name: session_event_document(public.sessions); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.session_event_document(s public.sessions) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('id', (s).id, 'workout_id', (s).workout_id, 'name', (s).name, 'status', (s).status, 'started_at', (s).started_at, 'ended_at', (s).ended_at, 'timezone', (s).timezone, 'notes', (s).notes, 'exercises', COALESCE((SELECT jsonb_agg(to_jsonb(public.planned_exercise_document(se.*, e.name)) ORDER BY se."position") AS jsonb_agg FROM (public.session_exercises se JOIN public.exercises e ON ((e.id = se.exercise_id))) WHERE ((se.user_id = (session_event_document.s).user_id) AND (se.session_id = (session_event_document.s).id))), '[]'::jsonb), 'version', (s).version, 'created_at', (s).created_at, 'updated_at', (s).updated_at);


--
-- Name: FUNCTION session_event_document(s public.sessions); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.session_event_document(s public.sessions) IS 'A session as change events carry it: the API''s Session document without its sets.';


--
-- Name: weight_from_kg(numeric, public.weight_unit); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.weight_from_kg(weight_kg numeric, unit public.weight_unit) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE unit WHEN 'lb'::public.weight_unit THEN round((weight_kg / 0.45359237), 3) ELSE weight_kg END;


--
-- Name: FUNCTION weight_from_kg(weight_kg numeric, unit public.weight_unit); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.weight_from_kg(weight_kg numeric, unit public.weight_unit) IS 'A weight in kilograms, shown in unit (pounds rounded to 3 decimals, the precision the API accepts).';


--
-- Name: set_records; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.set_records (
    id uuid NOT NULL,
    session_id uuid NOT NULL,
    user_id uuid NOT NULL,
    exercise_id uuid NOT NULL,
    "position" integer NOT NULL,
    set_type public.set_type DEFAULT 'normal'::public.set_type NOT NULL,
    reps integer,
    weight_kg numeric,
    weight_unit public.weight_unit DEFAULT 'kg'::public.weight_unit NOT NULL,
    duration_s integer,
    distance_m numeric,
    rpe numeric(3,1),
    performed_at timestamp with time zone DEFAULT now() NOT NULL,
    notes text DEFAULT ''::text NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT set_records_distance_m_check CHECK (((distance_m >= (0)::numeric) AND (distance_m <= (1000000)::numeric))),
    CONSTRAINT set_records_duration_s_check CHECK (((duration_s >= 0) AND (duration_s <= 86400))),
    CONSTRAINT set_records_notes_check CHECK ((char_length(notes) <= 10000)),
    CONSTRAINT set_records_position_check CHECK (("position" >= 0)),
    CONSTRAINT set_records_reps_check CHECK (((reps >= 0) AND (reps <= 1000))),
    CONSTRAINT set_records_rpe_check CHECK ((((rpe >= (1)::numeric) AND (rpe <= (10)::numeric)) AND ((rpe * (2)::numeric) = trunc((rpe * (2)::numeric))))),
    CONSTRAINT set_records_version_check CHECK ((version >= 1)),
    CONSTRAINT set_records_weight_kg_check CHECK (((weight_kg >= (0)::numeric) AND (weight_kg <= (1500)::numeric)))
);


--
-- Name: TABLE set_records; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.set_records IS 'Performed sets. Weights in kg (weight_unit is the unit the user entered). Cascades with their session and user.';


--
-- Name: set_record_document(public.set_records, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.set_record_document(r public.set_records, exercise_name text) RETURNS public.set_record_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW((r).id, (r).session_id, (r).exercise_id, exercise_name, (r)."position", (r).set_type, (r).reps, public.weight_from_kg((r).weight_kg, (r).weight_unit), (r).weight_unit, (r).duration_s, (r).distance_m, (r).rpe, (r).performed_at, (r).notes, (r).version, (r).created_at, (r).updated_at)::public.set_record_document;


--
-- Name: FUNCTION set_record_document(r public.set_records, exercise_name text); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.set_record_document(r public.set_records, exercise_name text) IS 'A set as the API shows it, given the name of its exercise: the weight back in the unit it was entered in.';


--
-- Name: session_lists_document(uuid, uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.session_lists_document(owner uuid, session uuid) RETURNS TABLE(exercises json, sets json)
    LANGUAGE sql STABLE PARALLEL SAFE
    BEGIN ATOMIC
 SELECT COALESCE(( SELECT json_agg(public.planned_exercise_document(se.*, e.name) ORDER BY se."position") AS json_agg
            FROM (public.session_exercises se
              JOIN public.exercises e ON ((e.id = se.exercise_id)))
           WHERE ((se.user_id = session_lists_document.owner) AND (se.session_id = session_lists_document.session))), '[]'::json) AS "coalesce",
     COALESCE(( SELECT json_agg(public.set_record_document(r.*, e.name) ORDER BY r."position") AS json_agg
            FROM (public.set_records r
              JOIN public.exercises e ON ((e.id = r.exercise_id)))
           WHERE ((r.user_id = session_lists_document.owner) AND (r.session_id = session_lists_document.session))), '[]'::json) AS "coalesce";
END;


--
-- Name: FUNCTION session_lists_document(owner uuid, session uuid); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.session_lists_document(owner uuid, session uuid) IS 'A session''s plan and sets in order, as the API shows them (json lists of planned_exercise_document and set_record_document); one row.';


--
-- Name: set_record_bests(public.set_type, integer, numeric); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.set_record_bests(set_type public.set_type, reps integer, weight_kg numeric) RETURNS TABLE(kind public.record_kind, value numeric)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT k.kind, k.value
    FROM (VALUES
        ('heaviest_weight'::record_kind,
         CASE WHEN weight_kg > 0 AND reps IS DISTINCT FROM 0 THEN weight_kg END),
        ('most_reps'::record_kind, CASE WHEN reps > 0 THEN reps::numeric END),
        ('best_one_rep_max'::record_kind,
         CASE WHEN weight_kg > 0 AND reps >= 1
              THEN round(weight_kg * CASE WHEN reps = 1 THEN 30 ELSE 30 + reps END / 30, 2)
         END),
        ('best_volume'::record_kind,
         CASE WHEN weight_kg > 0 AND reps >= 1 THEN weight_kg * reps END)
    ) AS k(kind, value)
    WHERE set_type <> 'warmup' AND k.value IS NOT NULL
$$;


--
-- Name: FUNCTION set_record_bests(set_type public.set_type, reps integer, weight_kg numeric); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.set_record_bests(set_type public.set_type, reps integer, weight_kg numeric) IS 'The personal-record values of one set, a row per record kind it can hold (none for a warmup).';


--
-- Name: webhook_deliveries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_deliveries (
    id uuid NOT NULL,
    subscription_id uuid NOT NULL,
    user_id uuid NOT NULL,
    sequence bigint NOT NULL,
    message_id text NOT NULL,
    "position" bigint,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    status public.webhook_delivery_status DEFAULT 'pending'::public.webhook_delivery_status NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_status_code integer,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_deliveries_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT webhook_deliveries_delivered_check CHECK (((status = 'delivered'::public.webhook_delivery_status) = (delivered_at IS NOT NULL))),
    CONSTRAINT webhook_deliveries_last_error_check CHECK ((char_length(last_error) <= 1000)),
    CONSTRAINT webhook_deliveries_last_status_code_check CHECK (((last_status_code >= 100) AND (last_status_code <= 599))),
    CONSTRAINT webhook_deliveries_message_id_check CHECK ((char_length(message_id) <= 64))
);


--
-- Name: TABLE webhook_deliveries; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.webhook_deliveries IS 'Each event POSTed (or to POST) to a webhook subscription, with its attempts. Cascades with the subscription and the user.';


--
-- Name: webhook_delivery_document(public.webhook_deliveries); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.webhook_delivery_document(d public.webhook_deliveries) RETURNS public.webhook_delivery_document
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW((d).id, (d).sequence, (d).message_id, (d).event_type, (d)."position", (d).payload, (d).status, (d).attempts, (d).last_status_code, (d).last_error, CASE WHEN ((d).status = 'pending'::public.webhook_delivery_status) THEN (d).next_attempt_at ELSE NULL::timestamp with time zone END, (d).delivered_at, (d).created_at, (d).updated_at)::public.webhook_delivery_document;


--
-- Name: FUNCTION webhook_delivery_document(d public.webhook_deliveries); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.webhook_delivery_document(d public.webhook_deliveries) IS 'A webhook delivery as the API shows it.';


--
-- Name: webhook_subscriptions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_subscriptions (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    url text NOT NULL,
    event_types public.change_event_type[],
    enabled boolean DEFAULT true NOT NULL,
    disabled_reason public.webhook_disabled_reason,
    description text DEFAULT ''::text NOT NULL,
    secret text NOT NULL,
    previous_secret text,
    previous_secret_expires_at timestamp with time zone,
    consecutive_failures integer DEFAULT 0 NOT NULL,
    enqueued_through bigint DEFAULT 0 NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_subscriptions_consecutive_failures_check CHECK ((consecutive_failures >= 0)),
    CONSTRAINT webhook_subscriptions_description_check CHECK ((char_length(description) <= 500)),
    CONSTRAINT webhook_subscriptions_disabled_reason_check CHECK ((enabled = (disabled_reason IS NULL))),
    CONSTRAINT webhook_subscriptions_enqueued_through_check CHECK ((enqueued_through >= 0)),
    CONSTRAINT webhook_subscriptions_event_types_check CHECK (((event_types IS NULL) OR ((cardinality(event_types) >= 1) AND (cardinality(event_types) <= 100)))),
    CONSTRAINT webhook_subscriptions_previous_secret_check CHECK (((previous_secret IS NULL) = (previous_secret_expires_at IS NULL))),
    CONSTRAINT webhook_subscriptions_secret_check CHECK ((secret ~ '^whsec_'::text)),
    CONSTRAINT webhook_subscriptions_url_check CHECK ((((char_length(url) >= 1) AND (char_length(url) <= 2048)) AND (url ~ '^https?://'::text))),
    CONSTRAINT webhook_subscriptions_version_check CHECK ((version >= 1))
);


--
-- Name: TABLE webhook_subscriptions; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.webhook_subscriptions IS 'Where a user''s events are POSTed (at most 10 per user). secret and previous_secret are secrets. Cascades with the user.';


--
-- Name: webhook_subscription_document(public.webhook_subscriptions); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.webhook_subscription_document(w public.webhook_subscriptions) RETURNS public.webhook_subscription_document
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ROW((w).id, (w).url, ((w).event_types)::text[], (w).enabled, (w).disabled_reason, (w).description, CASE WHEN ((w).previous_secret_expires_at > now()) THEN (w).previous_secret_expires_at ELSE NULL::timestamp with time zone END, (w).consecutive_failures, (w).version, (w).created_at, (w).updated_at)::public.webhook_subscription_document;


--
-- Name: FUNCTION webhook_subscription_document(w public.webhook_subscriptions); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.webhook_subscription_document(w public.webhook_subscriptions) IS 'A webhook subscription as the API shows it: never its secrets.';


--
-- Name: weight_to_kg(numeric, public.weight_unit); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.weight_to_kg(weight numeric, unit public.weight_unit) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE unit WHEN 'lb'::public.weight_unit THEN (weight * 0.45359237) ELSE weight END;


--
-- Name: FUNCTION weight_to_kg(weight numeric, unit public.weight_unit); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.weight_to_kg(weight numeric, unit public.weight_unit) IS 'A weight entered in unit, in kilograms (exact).';


--
-- Name: workout_plan_document(uuid, uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.workout_plan_document(owner uuid, workout uuid) RETURNS TABLE(exercises json)
    LANGUAGE sql STABLE PARALLEL SAFE
    BEGIN ATOMIC
 SELECT COALESCE(json_agg(public.planned_exercise_document(we.*, e.name) ORDER BY we."position"), '[]'::json) AS "coalesce"
    FROM (public.workout_exercises we
      JOIN public.exercises e ON ((e.id = we.exercise_id)))
   WHERE ((we.user_id = workout_plan_document.owner) AND (we.workout_id = workout_plan_document.workout));
END;


--
-- Name: FUNCTION workout_plan_document(owner uuid, workout uuid); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.workout_plan_document(owner uuid, workout uuid) IS 'A workout''s exercises in order, as the API shows them (a json list of planned_exercise_document); one row.';


--
-- Name: audit_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_log (
    id bigint NOT NULL,
    user_id uuid,
    action public.audit_action NOT NULL,
    entity_type text DEFAULT ''::text NOT NULL,
    entity_id uuid,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    request_id text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT audit_log_metadata_check CHECK ((jsonb_typeof(metadata) = 'object'::text))
);


--
-- Name: TABLE audit_log; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.audit_log IS 'Account and security events (register, logins, tokens, password changes, account deletion): who, when, from where. Append-only; outlives the accounts it mentions. Changes to data are in change_events.';


--
-- Name: audit_log_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.audit_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: exercise_aliases; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.exercise_aliases (
    alias text NOT NULL,
    exercise_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT exercise_aliases_alias_check CHECK (((char_length(alias) >= 1) AND (char_length(alias) <= 100)))
);


--
-- Name: TABLE exercise_aliases; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.exercise_aliases IS 'Other names of system exercises (as Strong, Hevy and others write them), matched when a file is imported. Extend with INSERT.';


--
-- Name: import_files; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.import_files (
    import_id uuid NOT NULL,
    user_id uuid NOT NULL,
    content bytea NOT NULL
);


--
-- Name: TABLE import_files; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.import_files IS 'The file of a background import until its job ends (then deleted). Cascades with the import and the user.';


--
-- Name: login_throttle; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.login_throttle (
    email_hash bytea NOT NULL,
    attempts integer NOT NULL,
    window_started_at timestamp with time zone NOT NULL,
    locked_until timestamp with time zone,
    CONSTRAINT login_throttle_attempts_check CHECK ((attempts >= 1)),
    CONSTRAINT login_throttle_email_hash_check CHECK ((octet_length(email_hash) = 32))
);


--
-- Name: TABLE login_throttle; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.login_throttle IS 'Login attempts per account (keyed by sha256 of the lower-cased email) in the current window; locked_until set once the limit is passed.';


--
-- Name: personal_bests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.personal_bests (
    user_id uuid NOT NULL,
    exercise_id uuid NOT NULL,
    kind public.record_kind NOT NULL,
    value numeric NOT NULL,
    set_id uuid NOT NULL,
    performed_at timestamp with time zone NOT NULL,
    CONSTRAINT personal_bests_value_check CHECK ((value > (0)::numeric))
);


--
-- Name: TABLE personal_bests; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.personal_bests IS 'Each user''s best value per exercise and record kind, and the set that holds it (the earliest to reach it). Logging sets adds to it in the same statement; deleting or editing a set that holds a best recomputes that exercise (triggers on set_records). Always equal to personal_bests_computed.';


--
-- Name: personal_bests_computed; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.personal_bests_computed AS
 SELECT DISTINCT ON (sr.user_id, sr.exercise_id, b.kind) sr.user_id,
    sr.exercise_id,
    b.kind,
    b.value,
    sr.id AS set_id,
    sr.performed_at
   FROM (public.set_records sr
     CROSS JOIN LATERAL public.set_record_bests(sr.set_type, sr.reps, sr.weight_kg) b(kind, value))
  ORDER BY sr.user_id, sr.exercise_id, b.kind, b.value DESC, sr.performed_at, sr.id;


--
-- Name: VIEW personal_bests_computed; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON VIEW public.personal_bests_computed IS 'personal_bests recomputed from set_records (for rebuilding and checking the table).';


--
-- Name: processed_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.processed_events (
    handler text NOT NULL,
    event_id text NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT processed_events_event_id_check CHECK (((char_length(event_id) >= 1) AND (char_length(event_id) <= 200))),
    CONSTRAINT processed_events_handler_check CHECK (((char_length(handler) >= 1) AND (char_length(handler) <= 100)))
);


--
-- Name: TABLE processed_events; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.processed_events IS 'Which events each background job handler has processed (its effect committed), so running a job twice has the effect of once.';


--
-- Name: procrastinate_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.procrastinate_events (
    id bigint NOT NULL,
    job_id bigint NOT NULL,
    type public.procrastinate_job_event_type,
    at timestamp with time zone DEFAULT now()
);


--
-- Name: procrastinate_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.procrastinate_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: procrastinate_events_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.procrastinate_events_id_seq OWNED BY public.procrastinate_events.id;


--
-- Name: procrastinate_jobs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.procrastinate_jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: procrastinate_jobs_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.procrastinate_jobs_id_seq OWNED BY public.procrastinate_jobs.id;


--
-- Name: procrastinate_periodic_defers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.procrastinate_periodic_defers (
    id bigint NOT NULL,
    task_name character varying(128) NOT NULL,
    defer_timestamp bigint,
    job_id bigint,
    periodic_id character varying(128) DEFAULT ''::character varying NOT NULL
);


--
-- Name: procrastinate_periodic_defers_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.procrastinate_periodic_defers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: procrastinate_periodic_defers_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.procrastinate_periodic_defers_id_seq OWNED BY public.procrastinate_periodic_defers.id;


--
-- Name: procrastinate_workers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.procrastinate_workers (
    id bigint NOT NULL,
    last_heartbeat timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: procrastinate_workers_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.procrastinate_workers ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.procrastinate_workers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: rate_limit_counters; Type: TABLE; Schema: public; Owner: -
--

CREATE UNLOGGED TABLE public.rate_limit_counters (
    policy text NOT NULL,
    subject text NOT NULL,
    hits integer NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT rate_limit_counters_hits_check CHECK ((hits >= 1)),
    CONSTRAINT rate_limit_counters_policy_check CHECK (((char_length(policy) >= 1) AND (char_length(policy) <= 32))),
    CONSTRAINT rate_limit_counters_subject_check CHECK (((char_length(subject) >= 1) AND (char_length(subject) <= 64)))
)
WITH (fillfactor='70');


--
-- Name: TABLE rate_limit_counters; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.rate_limit_counters IS 'Rate-limit windows: requests (hits) per policy and subject (client address or user id) until expires_at. Unlogged: emptied by a crash, absent on standbys.';


--
-- Name: refresh_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.refresh_tokens (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    family_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    device_label text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    retired_at timestamp with time zone,
    revoked_at timestamp with time zone,
    CONSTRAINT refresh_tokens_device_label_check CHECK ((char_length(device_label) <= 200))
);


--
-- Name: TABLE refresh_tokens; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.refresh_tokens IS 'Hashed opaque refresh tokens, in rotation families. Usable while retired_at, revoked_at are NULL and expires_at is in the future.';


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version character varying NOT NULL
);


--
-- Name: sync_snapshot_items; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sync_snapshot_items (
    user_id uuid NOT NULL,
    snapshot_id uuid NOT NULL,
    ordinal bigint NOT NULL,
    entity_type public.change_entity_type NOT NULL,
    entity_id uuid NOT NULL,
    version integer NOT NULL,
    document jsonb NOT NULL,
    CONSTRAINT sync_snapshot_items_document_check CHECK ((jsonb_typeof(document) = 'object'::text)),
    CONSTRAINT sync_snapshot_items_ordinal_check CHECK ((ordinal > 0))
);


--
-- Name: TABLE sync_snapshot_items; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.sync_snapshot_items IS 'The entities of a sync snapshot, each with its version and document as of the snapshot''s position.';


--
-- Name: sync_snapshots; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sync_snapshots (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    "position" bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT sync_snapshots_expiry_check CHECK ((expires_at > created_at)),
    CONSTRAINT sync_snapshots_position_check CHECK (("position" >= 0))
);


--
-- Name: TABLE sync_snapshots; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.sync_snapshots IS 'A copy of one user''s current data taken in one statement, with the change-log position it is exact at; paged by GET /v1/sync/snapshot until expires_at.';


--
-- Name: COLUMN sync_snapshots."position"; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.sync_snapshots."position" IS 'The user''s sync_counters.last_position seen by the statement that copied the data: the feed continues after it.';


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id uuid NOT NULL,
    email text NOT NULL,
    password_hash text NOT NULL,
    display_name text NOT NULL,
    preferred_weight_unit public.weight_unit DEFAULT 'kg'::public.weight_unit NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    email_verified_at timestamp with time zone,
    CONSTRAINT users_display_name_check CHECK (((char_length(display_name) >= 1) AND (char_length(display_name) <= 100))),
    CONSTRAINT users_email_check CHECK ((((char_length(email) >= 3) AND (char_length(email) <= 254)) AND (email ~~ '_%@_%'::text))),
    CONSTRAINT users_password_hash_check CHECK ((password_hash <> ''::text)),
    CONSTRAINT users_version_check CHECK ((version >= 1))
);


--
-- Name: TABLE users; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.users IS 'Accounts. Deleting one deletes everything the user owns; their audit_log rows stay with user_id NULL.';


--
-- Name: webhook_deliveries_sequence_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.webhook_deliveries ALTER COLUMN sequence ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.webhook_deliveries_sequence_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: workouts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.workouts (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    name text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    status public.workout_status DEFAULT 'draft'::public.workout_status NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT workouts_description_check CHECK ((char_length(description) <= 10000)),
    CONSTRAINT workouts_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 100))),
    CONSTRAINT workouts_version_check CHECK ((version >= 1))
);


--
-- Name: TABLE workouts; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.workouts IS 'A user''s workout plans (templates). Deleting one keeps the sessions performed from it.';


--
-- Name: procrastinate_events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.procrastinate_events ALTER COLUMN id SET DEFAULT nextval('public.procrastinate_events_id_seq'::regclass);


--
-- Name: procrastinate_jobs id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.procrastinate_jobs ALTER COLUMN id SET DEFAULT nextval('public.procrastinate_jobs_id_seq'::regclass);


--
-- Name: procrastinate_periodic_defers id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.procrastinate_periodic_defers ALTER COLUMN id SET DEFAULT nextval('public.procrastinate_periodic_defers_id_seq'::regclass);


--
-- Name: account_tokens account_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account_tokens
    ADD CONSTRAINT account_tokens_pkey PRIMARY KEY (user_id, purpose);


--
-- Name: account_tokens account_tokens_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account_tokens
    ADD CONSTRAINT account_tokens_token_hash_key UNIQUE (token_hash);


--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);


--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);


--
-- Name: body_measurements body_measurements_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.body_measurements
    ADD CONSTRAINT body_measurements_pkey PRIMARY KEY (id);


--
-- Name: change_events change_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.change_events
    ADD CONSTRAINT change_events_pkey PRIMARY KEY (user_id, "position");


--
-- Name: exercise_aliases exercise_aliases_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.exercise_aliases
    ADD CONSTRAINT exercise_aliases_pkey PRIMARY KEY (alias);


--
-- Name: exercises exercises_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.exercises
    ADD CONSTRAINT exercises_pkey PRIMARY KEY (id);


--
-- Name: import_files import_files_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_files
    ADD CONSTRAINT import_files_pkey PRIMARY KEY (import_id);


--
-- Name: imports imports_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.imports
    ADD CONSTRAINT imports_pkey PRIMARY KEY (id);


--
-- Name: login_throttle login_throttle_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.login_throttle
    ADD CONSTRAINT login_throttle_pkey PRIMARY KEY (email_hash);


--
-- Name: personal_bests personal_bests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.personal_bests
    ADD CONSTRAINT personal_bests_pkey PRIMARY KEY (user_id, exercise_id, kind);


--
-- Name: processed_events processed_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT processed_events_pkey PRIMARY KEY (handler, event_id);


--
-- Name: procrastinate_events procrastinate_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.procrastinate_events
    ADD CONSTRAINT procrastinate_events_pkey PRIMARY KEY (id);


--
-- Name: procrastinate_jobs procrastinate_jobs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.procrastinate_jobs
    ADD CONSTRAINT procrastinate_jobs_pkey PRIMARY KEY (id);


--
-- Name: procrastinate_periodic_defers procrastinate_periodic_defers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.procrastinate_periodic_defers
    ADD CONSTRAINT procrastinate_periodic_defers_pkey PRIMARY KEY (id);


--
-- Name: procrastinate_periodic_defers procrastinate_periodic_defers_unique; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.procrastinate_periodic_defers
    ADD CONSTRAINT procrastinate_periodic_defers_unique UNIQUE (task_name, periodic_id, defer_timestamp);


--
-- Name: procrastinate_workers procrastinate_workers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.procrastinate_workers
    ADD CONSTRAINT procrastinate_workers_pkey PRIMARY KEY (id);


--
-- Name: rate_limit_counters rate_limit_counters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rate_limit_counters
    ADD CONSTRAINT rate_limit_counters_pkey PRIMARY KEY (policy, subject);


--
-- Name: refresh_tokens refresh_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refresh_tokens
    ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id);


--
-- Name: refresh_tokens refresh_tokens_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refresh_tokens
    ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: session_exercises session_exercises_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_exercises
    ADD CONSTRAINT session_exercises_pkey PRIMARY KEY (user_id, session_id, "position");


--
-- Name: sessions sessions_id_user_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_id_user_id_key UNIQUE (id, user_id);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);


--
-- Name: set_records set_records_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.set_records
    ADD CONSTRAINT set_records_pkey PRIMARY KEY (id);


--
-- Name: set_records set_records_user_session_position_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.set_records
    ADD CONSTRAINT set_records_user_session_position_key UNIQUE (user_id, session_id, "position");


--
-- Name: sync_counters sync_counters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_counters
    ADD CONSTRAINT sync_counters_pkey PRIMARY KEY (user_id);


--
-- Name: sync_snapshot_items sync_snapshot_items_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_snapshot_items
    ADD CONSTRAINT sync_snapshot_items_pkey PRIMARY KEY (snapshot_id, ordinal);


--
-- Name: sync_snapshots sync_snapshots_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_snapshots
    ADD CONSTRAINT sync_snapshots_pkey PRIMARY KEY (id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: webhook_deliveries webhook_deliveries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id);


--
-- Name: webhook_subscriptions webhook_subscriptions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_subscriptions
    ADD CONSTRAINT webhook_subscriptions_pkey PRIMARY KEY (id);


--
-- Name: workout_exercises workout_exercises_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.workout_exercises
    ADD CONSTRAINT workout_exercises_pkey PRIMARY KEY (user_id, workout_id, "position");


--
-- Name: workouts workouts_id_user_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.workouts
    ADD CONSTRAINT workouts_id_user_id_key UNIQUE (id, user_id);


--
-- Name: workouts workouts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.workouts
    ADD CONSTRAINT workouts_pkey PRIMARY KEY (id);


--
-- Name: account_tokens_expires_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX account_tokens_expires_at_idx ON public.account_tokens USING btree (expires_at);


--
-- Name: api_keys_user_id_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX api_keys_user_id_created_at_id_idx ON public.api_keys USING btree (user_id, created_at, id);


--
-- Name: audit_log_metadata_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_log_metadata_idx ON public.audit_log USING gin (metadata);


--
-- Name: audit_log_user_id_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_log_user_id_id_idx ON public.audit_log USING btree (user_id, id DESC);


--
-- Name: body_measurements_user_id_kind_measured_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX body_measurements_user_id_kind_measured_at_idx ON public.body_measurements USING btree (user_id, kind, measured_at DESC, id DESC) INCLUDE (metric_value);


--
-- Name: body_measurements_user_id_measured_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX body_measurements_user_id_measured_at_id_idx ON public.body_measurements USING btree (user_id, measured_at DESC, id DESC);


--
-- Name: change_events_created_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX change_events_created_at_idx ON public.change_events USING btree (created_at);


--
-- Name: exercise_aliases_exercise_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX exercise_aliases_exercise_id_idx ON public.exercise_aliases USING btree (exercise_id);


--
-- Name: exercises_system_name_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX exercises_system_name_key ON public.exercises USING btree (lower(name)) WHERE (user_id IS NULL);


--
-- Name: exercises_user_id_name_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX exercises_user_id_name_id_idx ON public.exercises USING btree (user_id, name, id);


--
-- Name: exercises_user_id_name_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX exercises_user_id_name_key ON public.exercises USING btree (user_id, lower(name)) WHERE (user_id IS NOT NULL);


--
-- Name: idx_procrastinate_jobs_worker_not_null; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_procrastinate_jobs_worker_not_null ON public.procrastinate_jobs USING btree (worker_id) WHERE ((worker_id IS NOT NULL) AND (status = 'doing'::public.procrastinate_job_status));


--
-- Name: idx_procrastinate_workers_last_heartbeat; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_procrastinate_workers_last_heartbeat ON public.procrastinate_workers USING btree (last_heartbeat);


--
-- Name: import_files_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX import_files_user_id_idx ON public.import_files USING btree (user_id);


--
-- Name: imports_user_id_created_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX imports_user_id_created_at_idx ON public.imports USING btree (user_id, created_at DESC, id DESC);


--
-- Name: login_throttle_window_started_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX login_throttle_window_started_at_idx ON public.login_throttle USING btree (window_started_at);


--
-- Name: processed_events_processed_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX processed_events_processed_at_idx ON public.processed_events USING btree (processed_at);


--
-- Name: procrastinate_events_job_id_fkey_v1; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX procrastinate_events_job_id_fkey_v1 ON public.procrastinate_events USING btree (job_id);


--
-- Name: procrastinate_jobs_id_lock_idx_v1; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX procrastinate_jobs_id_lock_idx_v1 ON public.procrastinate_jobs USING btree (id, lock) WHERE (status = ANY (ARRAY['todo'::public.procrastinate_job_status, 'doing'::public.procrastinate_job_status]));


--
-- Name: procrastinate_jobs_lock_idx_v1; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX procrastinate_jobs_lock_idx_v1 ON public.procrastinate_jobs USING btree (lock) WHERE (status = 'doing'::public.procrastinate_job_status);


--
-- Name: procrastinate_jobs_priority_idx_v1; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX procrastinate_jobs_priority_idx_v1 ON public.procrastinate_jobs USING btree (priority DESC, id) WHERE (status = 'todo'::public.procrastinate_job_status);


--
-- Name: procrastinate_jobs_queue_name_idx_v1; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX procrastinate_jobs_queue_name_idx_v1 ON public.procrastinate_jobs USING btree (queue_name);


--
-- Name: procrastinate_jobs_queueing_lock_idx_v1; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX procrastinate_jobs_queueing_lock_idx_v1 ON public.procrastinate_jobs USING btree (queueing_lock) WHERE (status = 'todo'::public.procrastinate_job_status);


--
-- Name: procrastinate_periodic_defers_job_id_fkey_v1; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX procrastinate_periodic_defers_job_id_fkey_v1 ON public.procrastinate_periodic_defers USING btree (job_id);


--
-- Name: rate_limit_counters_expires_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rate_limit_counters_expires_at_idx ON public.rate_limit_counters USING btree (expires_at);


--
-- Name: refresh_tokens_active_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refresh_tokens_active_user_id_idx ON public.refresh_tokens USING btree (user_id, created_at DESC, family_id DESC) WHERE ((retired_at IS NULL) AND (revoked_at IS NULL));


--
-- Name: refresh_tokens_family_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refresh_tokens_family_id_idx ON public.refresh_tokens USING btree (family_id);


--
-- Name: refresh_tokens_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refresh_tokens_user_id_idx ON public.refresh_tokens USING btree (user_id);


--
-- Name: session_exercises_exercise_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX session_exercises_exercise_id_idx ON public.session_exercises USING btree (exercise_id);


--
-- Name: sessions_one_in_progress_per_user; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX sessions_one_in_progress_per_user ON public.sessions USING btree (user_id) WHERE (status = 'in_progress'::public.session_status);


--
-- Name: sessions_user_id_started_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_user_id_started_at_id_idx ON public.sessions USING btree (user_id, started_at DESC, id DESC);


--
-- Name: sessions_workout_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_workout_id_idx ON public.sessions USING btree (workout_id) WHERE (workout_id IS NOT NULL);


--
-- Name: set_records_exercise_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX set_records_exercise_id_idx ON public.set_records USING btree (exercise_id);


--
-- Name: set_records_user_exercise_stats_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX set_records_user_exercise_stats_idx ON public.set_records USING btree (user_id, exercise_id, performed_at DESC, id DESC) INCLUDE (session_id, set_type, reps, weight_kg);


--
-- Name: sync_snapshots_expires_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_snapshots_expires_at_idx ON public.sync_snapshots USING btree (expires_at);


--
-- Name: sync_snapshots_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_snapshots_user_id_idx ON public.sync_snapshots USING btree (user_id);


--
-- Name: users_email_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX users_email_key ON public.users USING btree (lower(email));


--
-- Name: webhook_deliveries_done_created_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_done_created_at_idx ON public.webhook_deliveries USING btree (created_at) WHERE (status <> 'pending'::public.webhook_delivery_status);


--
-- Name: webhook_deliveries_pending_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_pending_idx ON public.webhook_deliveries USING btree (subscription_id, sequence) INCLUDE (next_attempt_at) WHERE (status = 'pending'::public.webhook_delivery_status);


--
-- Name: webhook_deliveries_subscription_id_position_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX webhook_deliveries_subscription_id_position_key ON public.webhook_deliveries USING btree (subscription_id, "position") WHERE ("position" IS NOT NULL);


--
-- Name: webhook_deliveries_subscription_id_sequence_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_subscription_id_sequence_idx ON public.webhook_deliveries USING btree (subscription_id, sequence DESC);


--
-- Name: webhook_deliveries_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_user_id_idx ON public.webhook_deliveries USING btree (user_id);


--
-- Name: webhook_subscriptions_user_id_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_subscriptions_user_id_created_at_id_idx ON public.webhook_subscriptions USING btree (user_id, created_at, id);


--
-- Name: workout_exercises_exercise_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX workout_exercises_exercise_id_idx ON public.workout_exercises USING btree (exercise_id);


--
-- Name: workouts_user_id_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX workouts_user_id_created_at_id_idx ON public.workouts USING btree (user_id, created_at DESC, id DESC);


--
-- Name: workouts_user_id_status_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX workouts_user_id_status_created_at_id_idx ON public.workouts USING btree (user_id, status, created_at DESC, id DESC);


--
-- Name: procrastinate_jobs procrastinate_jobs_notify_queue_job_aborted_v1; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER procrastinate_jobs_notify_queue_job_aborted_v1 AFTER UPDATE OF abort_requested ON public.procrastinate_jobs FOR EACH ROW WHEN (((old.abort_requested = false) AND (new.abort_requested = true) AND (new.status = 'doing'::public.procrastinate_job_status))) EXECUTE FUNCTION public.procrastinate_notify_queue_abort_job_v1();


--
-- Name: procrastinate_jobs procrastinate_jobs_notify_queue_job_inserted_v1; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER procrastinate_jobs_notify_queue_job_inserted_v1 AFTER INSERT ON public.procrastinate_jobs FOR EACH ROW WHEN ((new.status = 'todo'::public.procrastinate_job_status)) EXECUTE FUNCTION public.procrastinate_notify_queue_job_inserted_v1();


--
-- Name: procrastinate_jobs procrastinate_trigger_abort_requested_events_v1; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER procrastinate_trigger_abort_requested_events_v1 AFTER UPDATE OF abort_requested ON public.procrastinate_jobs FOR EACH ROW WHEN ((new.abort_requested = true)) EXECUTE FUNCTION public.procrastinate_trigger_abort_requested_events_procedure_v1();


--
-- Name: procrastinate_jobs procrastinate_trigger_delete_jobs_v1; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER procrastinate_trigger_delete_jobs_v1 BEFORE DELETE ON public.procrastinate_jobs FOR EACH ROW EXECUTE FUNCTION public.procrastinate_unlink_periodic_defers_v1();


--
-- Name: procrastinate_jobs procrastinate_trigger_scheduled_events_v1; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER procrastinate_trigger_scheduled_events_v1 AFTER INSERT OR UPDATE ON public.procrastinate_jobs FOR EACH ROW WHEN (((new.scheduled_at IS NOT NULL) AND (new.status = 'todo'::public.procrastinate_job_status))) EXECUTE FUNCTION public.procrastinate_trigger_function_scheduled_events_v1();


--
-- Name: procrastinate_jobs procrastinate_trigger_status_events_insert_v1; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER procrastinate_trigger_status_events_insert_v1 AFTER INSERT ON public.procrastinate_jobs FOR EACH ROW WHEN ((new.status = 'todo'::public.procrastinate_job_status)) EXECUTE FUNCTION public.procrastinate_trigger_function_status_events_insert_v1();


--
-- Name: procrastinate_jobs procrastinate_trigger_status_events_update_v1; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER procrastinate_trigger_status_events_update_v1 AFTER UPDATE OF status ON public.procrastinate_jobs FOR EACH ROW EXECUTE FUNCTION public.procrastinate_trigger_function_status_events_update_v1();


--
-- Name: session_exercises session_exercises_user_id; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER session_exercises_user_id BEFORE INSERT ON public.session_exercises FOR EACH ROW WHEN ((new.user_id IS NULL)) EXECUTE FUNCTION public.plan_row_user_id();


--
-- Name: set_records set_records_personal_bests_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER set_records_personal_bests_delete AFTER DELETE ON public.set_records REFERENCING OLD TABLE AS deleted_sets FOR EACH STATEMENT EXECUTE FUNCTION public.personal_bests_after_delete();


--
-- Name: set_records set_records_personal_bests_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER set_records_personal_bests_update AFTER UPDATE ON public.set_records REFERENCING OLD TABLE AS old_sets NEW TABLE AS new_sets FOR EACH STATEMENT EXECUTE FUNCTION public.personal_bests_after_update();


--
-- Name: users users_delete_owned_rows; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER users_delete_owned_rows BEFORE DELETE ON public.users FOR EACH ROW EXECUTE FUNCTION public.delete_user_owned_rows();


--
-- Name: workout_exercises workout_exercises_user_id; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER workout_exercises_user_id BEFORE INSERT ON public.workout_exercises FOR EACH ROW WHEN ((new.user_id IS NULL)) EXECUTE FUNCTION public.plan_row_user_id();


--
-- Name: account_tokens account_tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account_tokens
    ADD CONSTRAINT account_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: api_keys api_keys_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: audit_log audit_log_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE SET NULL;


--
-- Name: body_measurements body_measurements_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.body_measurements
    ADD CONSTRAINT body_measurements_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: change_events change_events_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.change_events
    ADD CONSTRAINT change_events_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: exercise_aliases exercise_aliases_exercise_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.exercise_aliases
    ADD CONSTRAINT exercise_aliases_exercise_id_fkey FOREIGN KEY (exercise_id) REFERENCES public.exercises(id) ON DELETE CASCADE;


--
-- Name: exercises exercises_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.exercises
    ADD CONSTRAINT exercises_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: import_files import_files_import_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_files
    ADD CONSTRAINT import_files_import_id_fkey FOREIGN KEY (import_id) REFERENCES public.imports(id) ON DELETE CASCADE;


--
-- Name: import_files import_files_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_files
    ADD CONSTRAINT import_files_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: imports imports_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.imports
    ADD CONSTRAINT imports_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: personal_bests personal_bests_exercise_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.personal_bests
    ADD CONSTRAINT personal_bests_exercise_id_fkey FOREIGN KEY (exercise_id) REFERENCES public.exercises(id) ON DELETE CASCADE;


--
-- Name: personal_bests personal_bests_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.personal_bests
    ADD CONSTRAINT personal_bests_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: procrastinate_events procrastinate_events_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.procrastinate_events
    ADD CONSTRAINT procrastinate_events_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.procrastinate_jobs(id) ON DELETE CASCADE;


--
-- Name: procrastinate_jobs procrastinate_jobs_worker_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.procrastinate_jobs
    ADD CONSTRAINT procrastinate_jobs_worker_id_fkey FOREIGN KEY (worker_id) REFERENCES public.procrastinate_workers(id) ON DELETE SET NULL;


--
-- Name: procrastinate_periodic_defers procrastinate_periodic_defers_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.procrastinate_periodic_defers
    ADD CONSTRAINT procrastinate_periodic_defers_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.procrastinate_jobs(id);


--
-- Name: refresh_tokens refresh_tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refresh_tokens
    ADD CONSTRAINT refresh_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: session_exercises session_exercises_exercise_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_exercises
    ADD CONSTRAINT session_exercises_exercise_id_fkey FOREIGN KEY (exercise_id) REFERENCES public.exercises(id);


--
-- Name: session_exercises session_exercises_session_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_exercises
    ADD CONSTRAINT session_exercises_session_fkey FOREIGN KEY (session_id, user_id) REFERENCES public.sessions(id, user_id) ON DELETE CASCADE;


--
-- Name: sessions sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: sessions sessions_workout_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_workout_fkey FOREIGN KEY (workout_id, user_id) REFERENCES public.workouts(id, user_id) ON DELETE SET NULL (workout_id);


--
-- Name: set_records set_records_exercise_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.set_records
    ADD CONSTRAINT set_records_exercise_id_fkey FOREIGN KEY (exercise_id) REFERENCES public.exercises(id);


--
-- Name: set_records set_records_session_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.set_records
    ADD CONSTRAINT set_records_session_fkey FOREIGN KEY (session_id, user_id) REFERENCES public.sessions(id, user_id) ON DELETE CASCADE;


--
-- Name: set_records set_records_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.set_records
    ADD CONSTRAINT set_records_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: sync_counters sync_counters_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_counters
    ADD CONSTRAINT sync_counters_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: sync_snapshot_items sync_snapshot_items_snapshot_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_snapshot_items
    ADD CONSTRAINT sync_snapshot_items_snapshot_id_fkey FOREIGN KEY (snapshot_id) REFERENCES public.sync_snapshots(id) ON DELETE CASCADE;


--
-- Name: sync_snapshots sync_snapshots_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_snapshots
    ADD CONSTRAINT sync_snapshots_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: webhook_deliveries webhook_deliveries_subscription_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_subscription_id_fkey FOREIGN KEY (subscription_id) REFERENCES public.webhook_subscriptions(id) ON DELETE CASCADE;


--
-- Name: webhook_deliveries webhook_deliveries_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: webhook_subscriptions webhook_subscriptions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_subscriptions
    ADD CONSTRAINT webhook_subscriptions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: workout_exercises workout_exercises_exercise_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.workout_exercises
    ADD CONSTRAINT workout_exercises_exercise_id_fkey FOREIGN KEY (exercise_id) REFERENCES public.exercises(id);


--
-- Name: workout_exercises workout_exercises_workout_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.workout_exercises
    ADD CONSTRAINT workout_exercises_workout_fkey FOREIGN KEY (workout_id, user_id) REFERENCES public.workouts(id, user_id) ON DELETE CASCADE;


--
-- Name: workouts workouts_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.workouts
    ADD CONSTRAINT workouts_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict dbmate


--
-- Dbmate schema migrations
--

INSERT INTO public.schema_migrations (version) VALUES
    ('20261126000100'),
    ('20261126000200'),
    ('20261126000300'),
    ('20261126000400'),
    ('20261126000500'),
    ('20261126000600'),
    ('20261126000700'),
    ('20261126100000'),
    ('20261126100100'),
    ('20261126200000'),
    ('20261126300000'),
    ('20261126300100'),
    ('20261126400000'),
    ('20261202100000'),
    ('20261202300000'),
    ('20261203200000'),
    ('20261203200100'),
    ('20261203200200'),
    ('20261204100000'),
    ('20261204100100'),
    ('20261204110000'),
    ('20261204200000'),
    ('20261204300100'),
    ('20261204310100'),
    ('20261204400100'),
    ('20261204500000'),
    ('20261204500100'),
    ('20261204700100'),
    ('20261204700200'),
    ('20261204710100'),
    ('20261204800100'),
    ('20261204800200'),
    ('20261204900000'),
    ('20261204910000'),
    ('20261204910100'),
    ('20261204920000'),
    ('20261204920100'),
    ('20261204920200'),
    ('20261204930000'),
    ('20261204930100');
