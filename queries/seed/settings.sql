-- The settings of the seed's transaction (set_config(..., true) is SET LOCAL): fail fast
-- rather than queue behind a busy table, no time limit for index builds that may take
-- minutes, and memory to build them.
-- returns: none
SELECT
FROM set_config('lock_timeout', '10s', true) AS lock_timeout,
     set_config('statement_timeout', '0', true) AS statement_timeout,
     set_config('maintenance_work_mem', '1GB', true) AS maintenance_work_mem;
