-- Empty the two big tables of the seed (they are empty already: the database has no users)
-- inside its transaction, so that COPY FREEZE may write their rows frozen and all-visible.
-- These are the tables whose indexes and keys the seed rebuilds (REBUILT_TABLES in
-- app/seed/load.py); COPY FREEZE fails on a table this statement left out.
-- returns: none
TRUNCATE session_exercises, set_records;
