-- The caller's training volume per bucket of local time in time zone tz (bucket 'week',
-- Monday to Sunday, or 'month'), from from_date to to_date inclusive (local dates), split by
-- the primary muscle group of each exercise: the working sets (every set type but warmup)
-- and their volume (weight_kg x reps; a set without weight or reps adds none). Every bucket
-- of the range is listed, empty ones too; the first and last may be partial.
-- Cost follows the caller's sets in the range: an index-only scan of their rows of
-- set_records_user_exercise_stats_idx (performed_at is checked in the index); each set
-- finds its bucket by a binary search among the instants the buckets start (width_bucket),
-- with no time zone arithmetic per set; then one primary key lookup per exercise trained.
-- returns: many VolumeBucket
WITH buckets AS MATERIALIZED (
    -- the local start of each bucket, and that instant
    SELECT b::date AS bucket_start, b AT TIME ZONE %(tz)s::text AS starts_at
    FROM generate_series(date_trunc(%(bucket)s::text, %(from_date)s::date::timestamp),
                         date_trunc(%(bucket)s::text, %(to_date)s::date::timestamp),
                         ('1 ' || %(bucket)s::text)::interval) b
),
per_exercise AS MATERIALIZED (
    SELECT sr.exercise_id,
           width_bucket(sr.performed_at,
                        (SELECT array_agg(bu.starts_at ORDER BY bu.starts_at) FROM buckets bu))
               AS n,
           count(*) AS sets, coalesce(sum(sr.weight_kg * sr.reps), 0) AS volume_kg
    FROM set_records sr
    WHERE sr.user_id = %(user_id)s
      AND sr.set_type <> 'warmup'
      AND sr.performed_at >= %(from_date)s::date::timestamp AT TIME ZONE %(tz)s::text
      AND sr.performed_at < (%(to_date)s::date + 1)::timestamp AT TIME ZONE %(tz)s::text
    GROUP BY sr.exercise_id, 2
),
muscle AS MATERIALIZED (
    SELECT e.id, e.primary_muscle
    FROM exercises e
    WHERE e.id IN (SELECT DISTINCT pe.exercise_id FROM per_exercise pe)
),
per_muscle AS (
    SELECT pe.n, m.primary_muscle, sum(pe.sets) AS sets, sum(pe.volume_kg) AS volume_kg
    FROM per_exercise pe
    JOIN muscle m ON m.id = pe.exercise_id
    GROUP BY pe.n, m.primary_muscle
)
SELECT b.bucket_start,
       coalesce(sum(pm.sets), 0)::bigint AS sets,
       coalesce(sum(pm.volume_kg), 0)::float8 AS volume_kg,
       coalesce(json_agg(json_build_object('muscle_group', pm.primary_muscle,
                                           'sets', pm.sets, 'volume_kg', pm.volume_kg)
                         ORDER BY pm.primary_muscle)
                    FILTER (WHERE pm.primary_muscle IS NOT NULL),
                '[]') AS muscles
FROM (SELECT bu.bucket_start, row_number() OVER (ORDER BY bu.starts_at) AS n FROM buckets bu) b
LEFT JOIN per_muscle pm ON pm.n = b.n
GROUP BY b.bucket_start
ORDER BY b.bucket_start;
