-- After the seed: statistics for the planner, and all-visible pages for index-only scans
-- (VACUUM skips the pages COPY FREEZE marked already, so it is quick). Runs outside a
-- transaction. The tables are those the seed fills (TABLE_NAMES in app/seed/model.py) and
-- personal_bests, computed from them.
-- returns: none
VACUUM (ANALYZE) users, exercises, workouts, workout_exercises, sessions, session_exercises,
    set_records, personal_bests, audit_log;
