-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- Deleting a user must remove everything they own, including custom
-- exercises that their own plans and sets use. Left to the foreign keys alone,
-- that depends on the order PostgreSQL happens to fire the cascades in: if the
-- users -> exercises cascade runs before the users -> workouts -> workout_exercises
-- (or sessions -> session_exercises) cascade, the foreign key check of
-- workout_exercises.exercise_id sees a plan still using the exercise and the
-- whole DELETE fails. That order follows the internal trigger names, which
-- change with every dump/restore, so it cannot be relied on.
--
-- This trigger removes the user's sessions (with their plans and sets) and
-- workouts (with their plans) first; the foreign keys then cascade over rows
-- nothing refers to any more. The rules are unchanged: deleting an
-- exercise someone's plan or sets still use fails, and so does deleting a
-- user whose custom exercise another user's rows refer to (so the API must
-- only let a user use system exercises and their own).
CREATE FUNCTION delete_user_owned_rows() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    DELETE FROM sessions WHERE user_id = OLD.id;
    DELETE FROM workouts WHERE user_id = OLD.id;
    RETURN OLD;
END;
$$;

COMMENT ON FUNCTION delete_user_owned_rows() IS 'BEFORE DELETE on users: deletes the user''s sessions and workouts first, so the cascades to their custom exercises never meet a plan or set still using them.';

CREATE TRIGGER users_delete_owned_rows
    BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION delete_user_owned_rows();

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-trigger -- the down path removes exactly what the up path created
DROP TRIGGER users_delete_owned_rows ON users;
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION delete_user_owned_rows();
