-- The caller's history of one exercise: one row per session they trained it in, newest
-- first, keyset on (performed_at, session_id). Only working sets count (every set type but
-- warmup), performed from from_date to to_date inclusive, local dates in time zone tz (a
-- NULL bound is open). Per session: the time of its first such set (performed_at), their
-- count, reps and volume (weight_kg x reps), the heaviest weight, the best estimated
-- one-rep max (Epley: weight_kg x (1 + reps / 30) rounded to 0.01 kg, the weight itself
-- for a single; it needs reps >= 1 and a weight above 0) and the best set: the highest
-- estimated 1RM, then the heaviest, then the most reps, then the earliest.
-- Cost follows the caller's sets of this exercise: an index-only range scan of
-- set_records_user_exercise_stats_idx, then one index-only probe per session of the page
-- for its best set.
-- returns: many HistoryEntry
WITH working AS (
    SELECT sr.session_id, sr.performed_at, sr.reps, sr.weight_kg,
           CASE WHEN sr.weight_kg > 0 AND sr.reps >= 1 THEN round(
               CASE WHEN sr.reps = 1 THEN sr.weight_kg ELSE sr.weight_kg * (30 + sr.reps) / 30 END,
               2) END AS one_rep_max_kg,
           CASE WHEN sr.weight_kg > 0 AND sr.reps >= 1 THEN sr.weight_kg * sr.reps END AS volume_kg
    FROM set_records sr
    WHERE sr.user_id = %(user_id)s
      AND sr.exercise_id = %(exercise_id)s
      AND sr.set_type <> 'warmup'
      AND sr.performed_at
          >= coalesce(%(from_date)s::date::timestamp AT TIME ZONE %(tz)s::text, '-infinity')
      AND sr.performed_at
          < coalesce((%(to_date)s::date + 1)::timestamp AT TIME ZONE %(tz)s::text, 'infinity')
),
per_session AS MATERIALIZED (
    SELECT w.session_id, min(w.performed_at) AS performed_at, max(w.performed_at) AS last_at,
           count(*) AS sets, coalesce(sum(w.reps), 0) AS reps,
           coalesce(sum(w.volume_kg), 0) AS volume_kg, max(w.one_rep_max_kg) AS one_rep_max_kg,
           max(w.weight_kg) AS heaviest_weight_kg
    FROM working w
    GROUP BY w.session_id
    HAVING %(after_performed_at)s::timestamptz IS NULL
        OR (min(w.performed_at), w.session_id)
           < (%(after_performed_at)s::timestamptz, %(after_session_id)s::uuid)
    ORDER BY min(w.performed_at) DESC, w.session_id DESC
    LIMIT %(limit)s
)
SELECT ps.session_id, ps.performed_at, ps.sets, ps.reps, ps.volume_kg::float8 AS volume_kg,
       ps.one_rep_max_kg::float8 AS one_rep_max_kg,
       ps.heaviest_weight_kg::float8 AS heaviest_weight_kg, b.doc AS best_set
FROM per_session ps
CROSS JOIN LATERAL (
    -- the session's sets of the exercise lie between its first and last one
    SELECT json_build_object(
               'set_id', s.id, 'performed_at', s.performed_at, 'weight_kg', s.weight_kg,
               'reps', s.reps, 'one_rep_max_kg', s.one_rep_max_kg, 'volume_kg', s.volume_kg)
               AS doc
    FROM (
        SELECT sr.id, sr.performed_at, sr.weight_kg, sr.reps,
               CASE WHEN sr.weight_kg > 0 AND sr.reps >= 1 THEN round(
                   CASE WHEN sr.reps = 1 THEN sr.weight_kg
                        ELSE sr.weight_kg * (30 + sr.reps) / 30 END,
                   2) END AS one_rep_max_kg,
               CASE WHEN sr.weight_kg > 0 AND sr.reps >= 1 THEN sr.weight_kg * sr.reps END
                   AS volume_kg
        FROM set_records sr
        WHERE sr.user_id = %(user_id)s
          AND sr.exercise_id = %(exercise_id)s
          AND sr.performed_at BETWEEN ps.performed_at AND ps.last_at
          AND sr.session_id = ps.session_id
          AND sr.set_type <> 'warmup'
    ) s
    ORDER BY s.one_rep_max_kg DESC NULLS LAST, s.weight_kg DESC NULLS LAST,
             s.reps DESC NULLS LAST, s.performed_at, s.id
    LIMIT 1
) b
ORDER BY ps.performed_at DESC, ps.session_id DESC;
