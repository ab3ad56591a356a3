-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '10min';

-- Validates the CHECKs 20261203200000_exercise_groups added NOT VALID. VALIDATE CONSTRAINT
-- scans each table under a SHARE UPDATE EXCLUSIVE lock: plans are read and written
-- meanwhile.
ALTER TABLE workout_exercises VALIDATE CONSTRAINT workout_exercises_group_check;
ALTER TABLE session_exercises VALIDATE CONSTRAINT session_exercises_group_check;

-- migrate:down
-- Nothing to undo: a validated constraint cannot be made NOT VALID again, and the previous
-- migration's down path drops it with its columns.
SELECT 1;
