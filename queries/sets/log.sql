-- Log a batch of sets (one or more) on one of the caller's sessions in progress: all of
-- them or none, in this one statement, with their change events.
--
-- * The session row is updated first (status still in_progress, re-checked after any
--   lock wait): that locks it, bumps its version (its document includes its sets) and
--   reserves positions next_set_position .. + n - 1 for the new sets, so batches sent to
--   one session at the same time queue up and never collide.
-- * A set whose id is already stored is a replay when it is the caller's, in this session,
--   with the same content; it is shown as stored and not inserted again. Any other stored
--   id is a clash, and so is an exercise the caller cannot use: then nothing is written
--   and the outcome lists the offending indexes (0-based, in request order).
-- * Change events: one set.created per new set (in position order), then one
--   session.updated for the session's new version, at the positions after the user's last
--   one (the upsert of sync_counters locks the user's counter until commit: see
--   queries/sync/record.sql). A replay writes none.
-- * Personal records: each new set's record values (set_record_bests) are compared with the
--   user's bests as they were before this statement (personal_bests: four rows per
--   exercise, whatever the length of the history) and with the batch's earlier sets of the
--   exercise; `records` lists those strictly above (a tie is no record), with the value
--   beaten (NULL: the first of its kind), as stats/records_set_by does. The new sets'
--   best values are added to personal_bests in the same statement (as personal_bests_add
--   does: a set replaces a best it beats, or ties and was performed earlier). `records`
--   counts only the sets inserted here: when some of the batch are replays, the caller
--   asks stats/records_set_by instead.
-- * Weights arrive in the unit entered (default: the user's preferred unit) and are stored
--   in kg; sets are shown back in the unit entered (set_record_document).
-- * Cost: each set costs two index probes of set_records (is its id the caller's, or
--   another user's? every probe names its user, as a sharded set_records needs) and one of
--   exercises (its name, and whether the caller may use it), as correlated subqueries so
--   that the plan is the same whatever the tables' sizes (a join here is planned for the
--   100 rows a JSON array is assumed to hold and turns into a scan of the whole table once
--   set_records is small enough); nothing reads the session's other sets or the user's
--   history, so a batch costs the same in a session of 2,000 sets and for a user with
--   20,000 earlier sets of the exercise as for a new one (bench/bests.py). `input` is
--   MATERIALIZED so that the probes run once per set, not once per column of `stored` read.
--   How many sets are new and what refuses the batch are counted once (verdict).
-- returns: one SetLogOutcome
WITH input AS MATERIALIZED (
    SELECT item.ord::integer - 1 AS idx, x.id, x.exercise_id,
           coalesce(x.set_type, 'normal') AS set_type, x.reps, x.weight,
           coalesce(x.weight_unit,
                    (SELECT u.preferred_weight_unit FROM users u WHERE u.id = %(user_id)s),
                    'kg') AS weight_unit,
           x.duration_s, x.distance_m, x.rpe, x.performed_at, coalesce(x.notes, '') AS notes,
           -- NULL: not an exercise the caller can use
           (SELECT e.name FROM exercises e
            WHERE e.id = x.exercise_id AND (e.user_id IS NULL OR e.user_id = %(user_id)s))
               AS exercise_name,
           -- the caller's set already stored under this id, if any (its id is NULL
           -- otherwise), and whether another user's set holds the id (a clash)
           (SELECT r FROM set_records r WHERE r.id = x.id AND r.user_id = %(user_id)s)
               AS stored,
           EXISTS (SELECT FROM set_records o WHERE o.id = x.id AND o.user_id <> %(user_id)s)
               AS taken
    FROM jsonb_array_elements(%(sets)s::jsonb) WITH ORDINALITY AS item(doc, ord)
    CROSS JOIN LATERAL jsonb_to_record(item.doc) AS x(
        id uuid, exercise_id uuid, set_type set_type, reps integer, weight numeric,
        weight_unit weight_unit, duration_s integer, distance_m numeric, rpe numeric,
        performed_at timestamptz, notes text)
),
checked AS (
    -- fresh: no set has this id yet; same: the stored one is this set, replayed
    SELECT i.*, (i.stored).id IS NULL AND NOT i.taken AS fresh,
           coalesce((i.stored).session_id = %(session_id)s
                    AND (i.stored).exercise_id = i.exercise_id
                    AND (i.stored).set_type = i.set_type
                    AND (i.stored).reps IS NOT DISTINCT FROM i.reps
                    AND (i.stored).weight_kg
                        IS NOT DISTINCT FROM weight_to_kg(i.weight, i.weight_unit)
                    AND (i.weight IS NULL OR (i.stored).weight_unit = i.weight_unit)
                    AND (i.stored).duration_s IS NOT DISTINCT FROM i.duration_s
                    AND (i.stored).distance_m IS NOT DISTINCT FROM i.distance_m
                    AND (i.stored).rpe IS NOT DISTINCT FROM i.rpe
                    AND (i.performed_at IS NULL OR (i.stored).performed_at = i.performed_at)
                    AND (i.stored).notes = i.notes, false) AS same
    FROM input i
),
target AS (
    SELECT s.status, s.version
    FROM sessions s
    WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s
),
verdict AS (
    -- one row: how many sets are new, and what refuses the batch
    SELECT count(*) FILTER (WHERE c.fresh) AS fresh,
           coalesce(array_agg(c.idx ORDER BY c.idx) FILTER (WHERE NOT c.fresh AND NOT c.same),
                    '{}') AS id_conflicts,
           coalesce(array_agg(c.idx ORDER BY c.idx)
                        FILTER (WHERE c.fresh AND c.exercise_name IS NULL), '{}')
               AS unknown_exercises
    FROM checked c
),
reserved AS (
    UPDATE sessions s
    SET next_set_position = s.next_set_position + v.fresh,
        version = s.version + 1,
        updated_at = now()
    FROM verdict v
    WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s AND s.status = 'in_progress'
      AND v.fresh > 0 AND v.id_conflicts = '{}' AND v.unknown_exercises = '{}'
    RETURNING s.id, s.next_set_position - v.fresh AS first_position, v.fresh AS created,
              s.version, session_event_document(s) AS document
),
inserted AS (
    INSERT INTO set_records AS r
        (id, session_id, user_id, exercise_id, position, set_type, reps, weight_kg,
         weight_unit, duration_s, distance_m, rpe, performed_at, notes)
    SELECT f.id, rs.id, %(user_id)s, f.exercise_id,
           rs.first_position + row_number() OVER (ORDER BY f.idx) - 1,
           f.set_type, f.reps, weight_to_kg(f.weight, f.weight_unit), f.weight_unit,
           f.duration_s, f.distance_m, f.rpe, coalesce(f.performed_at, now()), f.notes
    FROM checked f
    CROSS JOIN reserved rs
    WHERE f.fresh
    RETURNING r.id, r.exercise_id, r.position, r.set_type, r.reps, r.weight_kg,
              r.performed_at, r AS stored_set
),
shown AS (
    -- each set of the request as the API shows it: inserted here, or replayed
    SELECT f.idx, n.id, n.position, (n.stored_set).version,
           set_record_document(n.stored_set, f.exercise_name) AS document
    FROM inserted n
    JOIN checked f ON f.id = n.id
    UNION ALL
    SELECT c.idx, c.id, NULL, NULL, set_record_document(c.stored, c.exercise_name)
    FROM checked c
    WHERE NOT c.fresh AND c.same
),
new_values AS (
    SELECT n.id, n.exercise_id, n.position, n.performed_at, b.kind, b.value
    FROM inserted n
    CROSS JOIN LATERAL set_record_bests(n.set_type, n.reps, n.weight_kg) AS b
),
beaten AS (
    -- greatest() and max() skip NULLs: the best before each set
    SELECT v.id, v.exercise_id, v.position, v.kind, v.value,
           greatest(pb.value, max(v.value) OVER (
               PARTITION BY v.exercise_id, v.kind
               ORDER BY v.position
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS previous
    FROM new_values v
    LEFT JOIN personal_bests pb
      ON pb.user_id = %(user_id)s AND pb.exercise_id = v.exercise_id AND pb.kind = v.kind
),
bests AS (
    INSERT INTO personal_bests AS pb (user_id, exercise_id, kind, value, set_id, performed_at)
    SELECT DISTINCT ON (v.exercise_id, v.kind)
           %(user_id)s, v.exercise_id, v.kind, v.value, v.id, v.performed_at
    FROM new_values v
    ORDER BY v.exercise_id, v.kind, v.value DESC, v.performed_at, v.id
    ON CONFLICT (user_id, exercise_id, kind) DO UPDATE
    SET value = excluded.value, set_id = excluded.set_id, performed_at = excluded.performed_at
    WHERE excluded.value > pb.value
       OR (excluded.value = pb.value
           AND (excluded.performed_at, excluded.set_id) < (pb.performed_at, pb.set_id))
),
counter AS (
    INSERT INTO sync_counters AS c (user_id, last_position)
    SELECT %(user_id)s, rs.created + 1
    FROM reserved rs
    ON CONFLICT (user_id) DO UPDATE SET last_position = c.last_position + excluded.last_position
    RETURNING c.last_position
),
recorded AS (
    INSERT INTO change_events
        (user_id, "position", event_type, entity_type, entity_id, version, document, request_id)
    SELECT %(user_id)s,
           -- the sets' positions are first_position, first_position + 1, ...: their
           -- events' are the counter's first ones, in the same order
           c.last_position - rs.created + sh.position - rs.first_position,
           'set.created'::change_event_type, 'set'::change_entity_type, sh.id, sh.version,
           to_jsonb(sh.document), %(request_id)s
    FROM shown sh
    CROSS JOIN counter c
    CROSS JOIN reserved rs
    WHERE sh.position IS NOT NULL
    UNION ALL
    SELECT %(user_id)s, c.last_position, 'session.updated'::change_event_type,
           'session'::change_entity_type, rs.id, rs.version,
           rs.document, %(request_id)s
    FROM reserved rs
    CROSS JOIN counter c
)
SELECT t.status IS NOT NULL AS session_found, t.status AS session_status,
       coalesce(rs.version, t.version) AS session_version,
       v.fresh::integer AS fresh, coalesce(rs.created, 0)::integer AS created,
       v.id_conflicts, v.unknown_exercises,
       coalesce((SELECT json_agg(sh.document ORDER BY sh.idx) FROM shown sh), '[]') AS sets,
       coalesce((
           SELECT json_agg(json_build_object(
                      'set_id', b.id, 'exercise_id', b.exercise_id, 'kind', b.kind,
                      'value', b.value::float8, 'previous', b.previous::float8)
                  ORDER BY b.position, b.kind)
           FROM beaten b
           WHERE b.previous IS NULL OR b.value > b.previous
       ), '[]') AS records
FROM verdict v
LEFT JOIN target t ON true
LEFT JOIN reserved rs ON true;
