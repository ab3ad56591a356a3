-- The caller's personal records, one row per exercise they have logged working sets of
-- (every set type but warmup), by exercise name; only exercise_id when it is not NULL:
--   heaviest_weight   the highest weight_kg (a set with 0 reps, a missed lift, holds nothing)
--   most_reps         the highest reps
--   best_one_rep_max  the highest estimated one-rep max, Epley: weight_kg x (1 + reps / 30)
--                     rounded to 0.01 kg, and the weight itself for a single (reps = 1)
--   best_volume       the highest weight_kg x reps of one set
-- Each record is the set that holds it: the earliest (performed_at, then id) to reach it.
-- The 1RM and volume need reps >= 1 and a weight above 0.
--
-- Cost follows the caller's data: one index-only range scan of their entries in
-- set_records_user_exercise_stats_idx, grouped into distinct (exercise, reps, weight)
-- combinations (people repeat weights and rep counts: far fewer than sets), the records
-- found among those, then one index-only probe per exercise, at the instants the records
-- were reached, for the sets that hold them. The BETWEEN keeps exercise_id an index bound
-- in a generic plan, NULL or not.
-- returns: many ExerciseRecords
WITH valued AS MATERIALIZED (
    -- each distinct (exercise, reps, weight) of the caller's working sets, with how many sets
    -- and when, and its value for each record kind (NULL: it cannot hold that record); for
    -- the 1RM, weight x (30 + reps) (x 30 for a single), the estimate x 30, which orders like
    -- the estimate without a division
    SELECT sr.exercise_id, count(*) AS sets,
           min(sr.performed_at) AS first_at, max(sr.performed_at) AS last_at,
           CASE WHEN sr.weight_kg > 0 AND sr.reps IS DISTINCT FROM 0 THEN sr.weight_kg END
               AS weight_kg,
           CASE WHEN sr.reps > 0 THEN sr.reps END AS reps,
           CASE WHEN sr.weight_kg > 0 AND sr.reps >= 1
                THEN sr.weight_kg * CASE WHEN sr.reps = 1 THEN 30 ELSE 30 + sr.reps END
           END AS one_rep_max_x30,
           CASE WHEN sr.weight_kg > 0 AND sr.reps >= 1 THEN sr.weight_kg * sr.reps END
               AS volume_kg
    FROM set_records sr
    WHERE sr.user_id = %(user_id)s
      AND sr.exercise_id
          BETWEEN coalesce(%(exercise_id)s::uuid, '00000000-0000-0000-0000-000000000000')
              AND coalesce(%(exercise_id)s::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
      AND sr.set_type <> 'warmup'
    GROUP BY sr.exercise_id, sr.reps, sr.weight_kg
),
best AS MATERIALIZED (
    SELECT v.exercise_id, sum(v.sets)::bigint AS sets, max(v.last_at) AS last_performed_at,
           max(v.weight_kg) AS weight_kg, max(v.reps) AS reps,
           round(max(v.one_rep_max_x30) / 30, 2) AS one_rep_max_kg,
           -- an estimate rounds to the best one, B, exactly when it is at least B - 0.005
           -- (none is above the best): when its x30 value is at least (B - 0.005) x 30
           (round(max(v.one_rep_max_x30) / 30, 2) - 0.005) * 30 AS one_rep_max_x30_from,
           max(v.volume_kg) AS volume_kg
    FROM valued v
    GROUP BY v.exercise_id
),
reached_at AS (
    -- when each record was first reached
    SELECT v.exercise_id,
           min(v.first_at) FILTER (WHERE v.weight_kg = b.weight_kg) AS weight_at,
           min(v.first_at) FILTER (WHERE v.reps = b.reps) AS reps_at,
           min(v.first_at) FILTER (WHERE v.one_rep_max_x30 >= b.one_rep_max_x30_from)
               AS one_rep_max_at,
           min(v.first_at) FILTER (WHERE v.volume_kg = b.volume_kg) AS volume_at
    FROM valued v
    JOIN best b ON b.exercise_id = v.exercise_id
    GROUP BY v.exercise_id
),
reached AS MATERIALIZED (
    SELECT b.exercise_id, b.sets, b.last_performed_at, b.weight_kg, a.weight_at, b.reps,
           a.reps_at, b.one_rep_max_kg, a.one_rep_max_at, b.volume_kg, a.volume_at
    FROM best b
    JOIN reached_at a ON a.exercise_id = b.exercise_id
),
candidates AS MATERIALIZED (
    -- the caller's working sets of each exercise performed at an instant a record was
    -- reached: four index probes per exercise, a handful of sets
    SELECT s.exercise_id, s.id, s.session_id, s.performed_at, s.weight_kg, s.reps,
           CASE WHEN s.weight_kg > 0 AND s.reps >= 1 THEN round(
               CASE WHEN s.reps = 1 THEN s.weight_kg ELSE s.weight_kg * (30 + s.reps) / 30 END,
               2) END AS one_rep_max_kg,
           CASE WHEN s.weight_kg > 0 AND s.reps >= 1 THEN s.weight_kg * s.reps END AS volume_kg
    FROM reached r
    JOIN set_records s
      ON s.user_id = %(user_id)s
     AND s.exercise_id = r.exercise_id
     AND s.performed_at = ANY (ARRAY[r.weight_at, r.reps_at, r.one_rep_max_at, r.volume_at])
    WHERE s.set_type <> 'warmup'
),
held AS (
    -- per exercise and record kind, the set that holds it (the lowest id at that instant)
    SELECT DISTINCT ON (c.exercise_id, k.kind) c.exercise_id, k.kind,
           json_build_object('set_id', c.id, 'session_id', c.session_id,
                             'performed_at', c.performed_at, 'weight_kg', c.weight_kg,
                             'reps', c.reps, 'one_rep_max_kg', c.one_rep_max_kg,
                             'volume_kg', c.volume_kg) AS doc
    FROM candidates c
    JOIN reached r ON r.exercise_id = c.exercise_id
    CROSS JOIN LATERAL (VALUES
        ('heaviest_weight', c.performed_at = r.weight_at AND c.weight_kg = r.weight_kg
                            AND c.reps IS DISTINCT FROM 0),
        ('most_reps', c.performed_at = r.reps_at AND c.reps = r.reps),
        ('best_one_rep_max', c.performed_at = r.one_rep_max_at
                             AND c.one_rep_max_kg = r.one_rep_max_kg),
        ('best_volume', c.performed_at = r.volume_at AND c.volume_kg = r.volume_kg)
    ) k(kind, holds)
    WHERE k.holds
    ORDER BY c.exercise_id, k.kind, c.id
),
by_exercise AS (
    SELECT h.exercise_id,
           (array_agg(h.doc) FILTER (WHERE h.kind = 'heaviest_weight'))[1] AS heaviest_weight,
           (array_agg(h.doc) FILTER (WHERE h.kind = 'most_reps'))[1] AS most_reps,
           (array_agg(h.doc) FILTER (WHERE h.kind = 'best_one_rep_max'))[1] AS best_one_rep_max,
           (array_agg(h.doc) FILTER (WHERE h.kind = 'best_volume'))[1] AS best_volume
    FROM held h
    GROUP BY h.exercise_id
)
SELECT r.exercise_id, e.name AS exercise_name, e.primary_muscle, r.sets, r.last_performed_at,
       b.heaviest_weight, b.most_reps, b.best_one_rep_max, b.best_volume
FROM reached r
JOIN exercises e ON e.id = r.exercise_id
LEFT JOIN by_exercise b ON b.exercise_id = r.exercise_id
ORDER BY e.name, r.exercise_id;
