-- The caller's summary in time zone tz: completed sessions ever; working sets (every set
-- type but warmup, in sessions of any status) and their volume (weight_kg x reps);
-- completed sessions started this week (Monday to Sunday, local) and this month; and the
-- current streak: the number of consecutive weeks, ending with this week, or with last
-- week while this week has no completed session yet, that each hold at least one
-- completed session (by its local start; a session dated after this week is no part of it).
-- Cost follows the caller's data: an index-only scan of their rows of
-- set_records_user_exercise_stats_idx and their rows of sessions_user_id_started_at_id_idx.
-- returns: one Summary
WITH now_local AS (
    SELECT date_trunc('week', now() AT TIME ZONE %(tz)s::text) AS week_start,
           date_trunc('month', now() AT TIME ZONE %(tz)s::text) AS month_start
),
set_totals AS (
    SELECT count(*) AS sets, coalesce(sum(sr.weight_kg * sr.reps), 0) AS volume_kg
    FROM set_records sr
    WHERE sr.user_id = %(user_id)s AND sr.set_type <> 'warmup'
),
completed AS MATERIALIZED (
    SELECT s.started_at AT TIME ZONE %(tz)s::text AS local_start
    FROM sessions s
    WHERE s.user_id = %(user_id)s AND s.status = 'completed'
),
session_totals AS (
    SELECT count(*) AS sessions,
           count(*) FILTER (WHERE c.local_start >= n.week_start
                              AND c.local_start < n.week_start + interval '1 week')
               AS sessions_this_week,
           count(*) FILTER (WHERE c.local_start >= n.month_start
                              AND c.local_start < n.month_start + interval '1 month')
               AS sessions_this_month
    FROM completed c CROSS JOIN now_local n
),
weeks AS (
    SELECT DISTINCT date_trunc('week', c.local_start) AS week
    FROM completed c CROSS JOIN now_local n
    WHERE c.local_start < n.week_start + interval '1 week'
),
anchor AS (
    SELECT CASE WHEN EXISTS (SELECT 1 FROM weeks w WHERE w.week = n.week_start)
                THEN n.week_start ELSE n.week_start - interval '1 week' END AS week
    FROM now_local n
),
streak AS (
    -- weeks are distinct and descending, so week = anchor - (rank - 1) weeks holds exactly
    -- for the unbroken run that starts at the anchor
    SELECT count(*) AS weeks
    FROM (
        SELECT w.week, row_number() OVER (ORDER BY w.week DESC) AS rank
        FROM weeks w CROSS JOIN anchor a
        WHERE w.week <= a.week
    ) r CROSS JOIN anchor a
    WHERE r.week = a.week - (r.rank - 1) * interval '1 week'
)
SELECT %(tz)s::text AS tz,
       st.sessions, t.sets, t.volume_kg::float8 AS volume_kg,
       st.sessions_this_week, st.sessions_this_month,
       k.weeks AS current_streak_weeks,
       n.week_start::date AS week_start, n.month_start::date AS month_start
FROM set_totals t, session_totals st, streak k, now_local n;
