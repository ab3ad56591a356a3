-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- The calendar-day filter of the lists whose `from`/`to` are days in each row's own time
-- zone (queries/sessions/list.sql, queries/body_measurements/list.sql), defined once. A
-- single expression in LANGUAGE sql, neither STRICT nor VOLATILE, so the planner inlines it
-- (tests/test_queries.py checks every plan): the UTC bounds a day wider on each side are
-- then conditions on the row's timestamp that the list's index narrows the scan with,
-- before the exact local-day test.
CREATE FUNCTION on_local_days(at timestamptz, zone text, first_day date, last_day date)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (first_day IS NULL
            OR (at >= (first_day - 1)::timestamp AT TIME ZONE 'UTC'
                AND (at AT TIME ZONE zone)::date >= first_day))
       AND (last_day IS NULL
            OR (at < (last_day + 2)::timestamp AT TIME ZONE 'UTC'
                AND (at AT TIME ZONE zone)::date <= last_day));

COMMENT ON FUNCTION on_local_days(timestamptz, text, date, date) IS 'Whether the instant at falls, in the time zone zone, on a day from first_day to last_day inclusive (NULL: no bound).';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION on_local_days(timestamptz, text, date, date);
