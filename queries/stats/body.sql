-- The caller's body measurements from from_date to to_date (local dates in time zone tz,
-- inclusive), one row per kind measured, in kind order (only `kinds` when given): every
-- measurement of the range in kg, cm or percent, oldest first, and the 7-day moving
-- average for each local day of the range: the mean of the daily means (a day's mean is the
-- mean of that day's measurements) of the 7 days ending that day, over the days measured
-- among them (`days`), so several weigh-ins on one day weigh as one. The 6 days before
-- from_date count towards the first averages. A day whose 7 days hold no measurement has no
-- average. Values are rounded to 3 decimals; raw values are exact.
-- Cost follows the caller's measurements in the range: an index-only scan of their rows of
-- body_measurements_user_id_kind_measured_at_idx per kind.
-- returns: many BodySeries
WITH measured AS MATERIALIZED (
    SELECT m.id, m.kind, m.measured_at, m.metric_value,
           (m.measured_at AT TIME ZONE %(tz)s::text)::date AS day
    FROM body_measurements m
    WHERE m.user_id = %(user_id)s
      AND (%(kinds)s::body_measurement_kind[] IS NULL
           OR m.kind = ANY(%(kinds)s::body_measurement_kind[]))
      AND m.measured_at >= (%(from_date)s::date - 6)::timestamp AT TIME ZONE %(tz)s::text
      AND m.measured_at < (%(to_date)s::date + 1)::timestamp AT TIME ZONE %(tz)s::text
),
daily AS (
    SELECT d.kind, d.day, avg(d.metric_value) AS value
    FROM measured d
    GROUP BY d.kind, d.day
),
calendar AS MATERIALIZED (
    -- every local day from 6 days before from_date to to_date, for each kind measured
    SELECT k.kind, %(from_date)s::date - 6 + n AS day
    FROM (SELECT DISTINCT d.kind FROM daily d) k
    CROSS JOIN generate_series(0, %(to_date)s::date - %(from_date)s::date + 6) n
),
averaged AS (
    SELECT c.kind, c.day,
           avg(dl.value) OVER w AS value,
           count(dl.value) OVER w AS days
    FROM calendar c
    LEFT JOIN daily dl ON dl.kind = c.kind AND dl.day = c.day
    WINDOW w AS (PARTITION BY c.kind ORDER BY c.day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW)
)
SELECT k.kind,
       (CASE k.kind WHEN 'body_weight' THEN 'kg' WHEN 'body_fat' THEN 'percent' ELSE 'cm' END)
           ::body_measurement_unit AS unit,
       coalesce((
           SELECT json_agg(json_build_object('id', r.id, 'measured_at', r.measured_at,
                                             'date', r.day, 'value', r.metric_value)
                           ORDER BY r.measured_at, r.id)
           FROM measured r
           WHERE r.kind = k.kind AND r.day >= %(from_date)s::date
       ), '[]') AS measurements,
       (
           SELECT json_agg(json_build_object('date', a.day, 'value', round(a.value, 3),
                                             'days', a.days)
                           ORDER BY a.day)
           FROM averaged a
           WHERE a.kind = k.kind AND a.day >= %(from_date)s::date AND a.days > 0
       ) AS moving_average_7d
FROM (SELECT DISTINCT a.kind FROM averaged a
      WHERE a.day >= %(from_date)s::date AND a.days > 0) k
ORDER BY k.kind;
