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
-- * Weights arrive in the unit entered (default: the user's preferred unit) and are stored
--   in kg; sets are shown back in the unit entered (set_record_document).
-- returns: one SetLogOutcome
WITH input AS (
    SELECT item.ord::integer - 1 AS idx, x.id, x.exercise_id,
           coalesce(x.set_type, 'normal') AS set_type, x.reps, x.weight,
           coalesce(x.weight_unit,
                    (SELECT u.preferred_weight_unit FROM users u WHERE u.id = %(user_id)s),
                    'kg') AS weight_unit,
           x.duration_s, x.distance_m, x.rpe, x.performed_at, coalesce(x.notes, '') AS notes
    FROM jsonb_array_elements(%(sets)s::jsonb) WITH ORDINALITY AS item(doc, ord)
    CROSS JOIN LATERAL jsonb_to_record(item.doc) AS x(
        id uuid, exercise_id uuid, set_type set_type, reps integer, weight numeric,
        weight_unit weight_unit, duration_s integer, distance_m numeric, rpe numeric,
        performed_at timestamptz, notes text)
),
target AS (
    SELECT s.status, s.version
    FROM sessions s
    WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s
),
stored AS (
    SELECT i.idx, r.id,
           coalesce(r.user_id = %(user_id)s
                    AND r.session_id = %(session_id)s
                    AND r.exercise_id = i.exercise_id
                    AND r.set_type = i.set_type
                    AND r.reps IS NOT DISTINCT FROM i.reps
                    AND r.weight_kg IS NOT DISTINCT FROM weight_to_kg(i.weight, i.weight_unit)
                    AND (i.weight IS NULL OR r.weight_unit = i.weight_unit)
                    AND r.duration_s IS NOT DISTINCT FROM i.duration_s
                    AND r.distance_m IS NOT DISTINCT FROM i.distance_m
                    AND r.rpe IS NOT DISTINCT FROM i.rpe
                    AND (i.performed_at IS NULL OR r.performed_at = i.performed_at)
                    AND r.notes = i.notes, false) AS same
    FROM input i
    JOIN set_records r ON r.id = i.id
),
fresh AS (
    SELECT i.*
    FROM input i
    WHERE NOT EXISTS (SELECT 1 FROM stored st WHERE st.idx = i.idx)
),
unknown_exercise AS (
    SELECT f.idx
    FROM fresh f
    WHERE NOT EXISTS (
        SELECT 1 FROM exercises e
        WHERE e.id = f.exercise_id AND (e.user_id IS NULL OR e.user_id = %(user_id)s)
    )
),
reserved AS (
    UPDATE sessions s
    SET next_set_position = s.next_set_position + (SELECT count(*) FROM fresh),
        version = s.version + 1,
        updated_at = now()
    WHERE s.id = %(session_id)s AND s.user_id = %(user_id)s AND s.status = 'in_progress'
      AND EXISTS (SELECT 1 FROM fresh)
      AND NOT EXISTS (SELECT 1 FROM unknown_exercise)
      AND NOT EXISTS (SELECT 1 FROM stored st WHERE NOT st.same)
    RETURNING s.id, s.next_set_position - (SELECT count(*) FROM fresh) AS first_position,
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
    FROM fresh f
    CROSS JOIN reserved rs
    RETURNING r.id, r.session_id, r.exercise_id, r.position, r AS stored_set
),
counter AS (
    INSERT INTO sync_counters AS c (user_id, last_position)
    SELECT %(user_id)s, (SELECT count(*) FROM inserted) + 1
    FROM reserved
    ON CONFLICT (user_id) DO UPDATE SET last_position = c.last_position + excluded.last_position
    RETURNING c.last_position
),
recorded AS (
    INSERT INTO change_events
        (user_id, "position", event_type, entity_type, entity_id, version, document, request_id)
    SELECT %(user_id)s,
           c.last_position - (SELECT count(*) FROM inserted) - 1
               + row_number() OVER (ORDER BY n.position),
           'set.created'::change_event_type, 'set'::change_entity_type, n.id, (n.stored_set).version,
           to_jsonb(set_record_document(n.stored_set, e.name)), %(request_id)s
    FROM inserted n
    JOIN exercises e ON e.id = n.exercise_id
    CROSS JOIN counter c
    UNION ALL
    SELECT %(user_id)s, c.last_position, 'session.updated'::change_event_type,
           'session'::change_entity_type, rs.id, rs.version,
           rs.document, %(request_id)s
    FROM reserved rs
    CROSS JOIN counter c
),
shown AS (
    SELECT f.idx, n.exercise_id, n.stored_set
    FROM inserted n
    JOIN fresh f ON f.id = n.id
    UNION ALL
    SELECT st.idx, r.exercise_id, r
    FROM stored st
    JOIN set_records r ON r.id = st.id
    WHERE st.same
)
SELECT EXISTS (SELECT 1 FROM target) AS session_found,
       (SELECT t.status FROM target t) AS session_status,
       coalesce((SELECT rs.version FROM reserved rs), (SELECT t.version FROM target t))
           AS session_version,
       (SELECT count(*) FROM fresh)::integer AS fresh,
       (SELECT count(*) FROM inserted)::integer AS created,
       coalesce((SELECT array_agg(st.idx ORDER BY st.idx) FROM stored st WHERE NOT st.same),
                '{}') AS id_conflicts,
       coalesce((SELECT array_agg(u.idx ORDER BY u.idx) FROM unknown_exercise u), '{}')
           AS unknown_exercises,
       coalesce((
           SELECT json_agg(set_record_document(sh.stored_set, e.name) ORDER BY sh.idx)
           FROM shown sh
           JOIN exercises e ON e.id = sh.exercise_id
       ), '[]') AS sets;
