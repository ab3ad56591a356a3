-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

-- The lists a workout's and a session's documents nest, and the rows a plan in JSON
-- becomes, each defined once for the queries that return or store them (the document
-- shapes of their items are planned_exercise_document and set_record_document).
--
-- Each is a set-returning function of one SELECT in LANGUAGE sql, neither STRICT nor
-- SECURITY DEFINER nor VOLATILE, so the planner inlines it where a query calls it in FROM
-- (`CROSS JOIN LATERAL workout_plan_document(w.user_id, w.id) AS plan`): the query runs as
-- if the subquery were written out in it (tests/test_queries.py checks every plan). A list
-- is one row whatever the number of items (json_agg over none is '[]'). The owner and the
-- id are arguments, rather than the whole row, so no copy of the row is made for the call.

-- The exercises of the workout `workout` of the user `owner`, in order (Workout.exercises).
CREATE FUNCTION workout_plan_document(owner uuid, workout uuid)
    RETURNS TABLE (exercises json)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT coalesce(json_agg(planned_exercise_document(we, e.name) ORDER BY we.position), '[]')
    FROM workout_exercises we
    JOIN exercises e ON e.id = we.exercise_id
    WHERE we.user_id = owner AND we.workout_id = workout;
END;

COMMENT ON FUNCTION workout_plan_document(uuid, uuid) IS 'A workout''s exercises in order, as the API shows them (a json list of planned_exercise_document); one row.';

-- The plan and the sets of the session `session` of the user `owner`, each in order
-- (Session.exercises, Session.sets).
CREATE FUNCTION session_lists_document(owner uuid, session uuid)
    RETURNS TABLE (exercises json, sets json)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT coalesce((
               SELECT json_agg(planned_exercise_document(se, e.name) ORDER BY se.position)
               FROM session_exercises se
               JOIN exercises e ON e.id = se.exercise_id
               WHERE se.user_id = owner AND se.session_id = session
           ), '[]'),
           coalesce((
               SELECT json_agg(set_record_document(r, e.name) ORDER BY r.position)
               FROM set_records r
               JOIN exercises e ON e.id = r.exercise_id
               WHERE r.user_id = owner AND r.session_id = session
           ), '[]');
END;

COMMENT ON FUNCTION session_lists_document(uuid, uuid) IS 'A session''s plan and sets in order, as the API shows them (json lists of planned_exercise_document and set_record_document); one row.';

-- The rows of a plan sent as JSON (PUT .../exercises, a list of PlannedExerciseIn), in
-- the columns workout_exercises and session_exercises share: positions from 0 in list
-- order; members of a group (same group.key) numbered 0, 1, 2 ... inside it, by their
-- group.position when given, then by their order in the list.
CREATE FUNCTION plan_rows(plan jsonb)
    RETURNS TABLE (
        "position" bigint, exercise_id uuid, target_sets smallint, target_reps smallint,
        target_weight_kg numeric, target_rest_s integer, notes text, group_key text,
        group_kind exercise_group_kind, group_position bigint
    )
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT item.ord - 1, x.exercise_id, x.target_sets, x.target_reps, x.target_weight_kg,
           x.target_rest_s, coalesce(x.notes, ''), g.key, g.kind,
           CASE WHEN g.key IS NOT NULL
                THEN row_number() OVER (PARTITION BY g.key
                                        ORDER BY g.position NULLS LAST, item.ord) - 1
           END
    FROM jsonb_array_elements(plan) WITH ORDINALITY AS item(doc, ord)
    CROSS JOIN LATERAL jsonb_to_record(item.doc) AS x(
        exercise_id uuid, target_sets smallint, target_reps smallint, target_weight_kg numeric,
        target_rest_s integer, notes text, "group" jsonb)
    CROSS JOIN LATERAL jsonb_to_record(coalesce(x."group", '{}')) AS g(
        key text, kind exercise_group_kind, position smallint);
END;

COMMENT ON FUNCTION plan_rows(jsonb) IS 'The rows of a plan sent as JSON, positions and group positions numbered, in the columns of workout_exercises and session_exercises.';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION plan_rows(jsonb);
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION session_lists_document(uuid, uuid);
-- squawk-ignore ban-drop-function -- the down path removes exactly what the up path created
DROP FUNCTION workout_plan_document(uuid, uuid);
