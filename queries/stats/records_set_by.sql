-- The personal records set by sets the caller has just logged (set_ids, inserted earlier in
-- the same transaction). For each new working set (every set type but warmup) and each
-- record kind, a row when its value is strictly above the caller's best of that kind for
-- that exercise among their other sets and the new sets before it (in session and position
-- order); previous is the value it beat, NULL when it is the first of its kind. The kinds
-- and values are those of stats/records: heaviest_weight (kg; not with 0 reps), most_reps
-- (a count), best_one_rep_max (kg, Epley: weight_kg x (1 + reps / 30) rounded to 0.01 kg,
-- the weight itself for a single) and best_volume (kg, weight_kg x reps); the last two need
-- reps >= 1 and a weight above 0. A set never beats itself or a tie.
-- Cost follows the caller's sets of those exercises: the new sets by primary key, then an
-- index-only range scan per exercise of set_records_user_exercise_stats_idx.
-- returns: many NewRecord
WITH new_sets AS MATERIALIZED (
    SELECT sr.id, sr.exercise_id, sr.session_id, sr.position,
           CASE WHEN sr.weight_kg > 0 AND sr.reps IS DISTINCT FROM 0 THEN sr.weight_kg END
               AS heaviest_weight,
           CASE WHEN sr.reps > 0 THEN sr.reps::numeric END AS most_reps,
           CASE WHEN sr.weight_kg > 0 AND sr.reps >= 1 THEN round(
               sr.weight_kg * CASE WHEN sr.reps = 1 THEN 30 ELSE 30 + sr.reps END / 30, 2)
           END AS best_one_rep_max,
           CASE WHEN sr.weight_kg > 0 AND sr.reps >= 1 THEN sr.weight_kg * sr.reps END
               AS best_volume
    FROM set_records sr
    WHERE sr.id = ANY (%(set_ids)s::uuid[])
      AND sr.user_id = %(user_id)s
      AND sr.set_type <> 'warmup'
),
previous AS (
    SELECT sr.exercise_id,
           max(sr.weight_kg) FILTER (WHERE sr.weight_kg > 0 AND sr.reps IS DISTINCT FROM 0)
               AS heaviest_weight,
           max(sr.reps) FILTER (WHERE sr.reps > 0)::numeric AS most_reps,
           -- round(x / 30, 2) grows with x: the best estimate is that of the largest
           -- weight x (30 + reps), one multiplication per set and a single division
           round(max(sr.weight_kg * CASE WHEN sr.reps = 1 THEN 30 ELSE 30 + sr.reps END)
                     FILTER (WHERE sr.weight_kg > 0 AND sr.reps >= 1) / 30, 2)
               AS best_one_rep_max,
           max(sr.weight_kg * sr.reps) FILTER (WHERE sr.weight_kg > 0 AND sr.reps >= 1)
               AS best_volume
    FROM set_records sr
    WHERE sr.user_id = %(user_id)s
      AND sr.exercise_id IN (SELECT n.exercise_id FROM new_sets n)
      AND sr.set_type <> 'warmup'
      AND sr.id <> ALL (%(set_ids)s::uuid[])
    GROUP BY sr.exercise_id
),
candidates AS (
    SELECT n.id, n.exercise_id, n.session_id, n.position, k.ord, k.kind, k.value,
           -- greatest() and max() skip NULLs: the best before this set
           greatest(k.before, max(k.value) OVER (
               PARTITION BY n.exercise_id, k.kind
               ORDER BY n.session_id, n.position, n.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS previous
    FROM new_sets n
    LEFT JOIN previous p ON p.exercise_id = n.exercise_id
    CROSS JOIN LATERAL (VALUES
        (1, 'heaviest_weight', n.heaviest_weight, p.heaviest_weight),
        (2, 'most_reps', n.most_reps, p.most_reps),
        (3, 'best_one_rep_max', n.best_one_rep_max, p.best_one_rep_max),
        (4, 'best_volume', n.best_volume, p.best_volume)
    ) k(ord, kind, value, before)
)
SELECT c.id AS set_id, c.exercise_id, c.kind, c.value::float8 AS value,
       c.previous::float8 AS previous
FROM candidates c
WHERE c.value IS NOT NULL AND (c.previous IS NULL OR c.value > c.previous)
ORDER BY c.session_id, c.position, c.id, c.ord;
