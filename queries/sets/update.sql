-- Change the fields listed in `fields` (others keep their value; a listed NULL clears a
-- measurement) of one set of one of the caller's sessions, if its version is one If-Match
-- accepts (NULL: any). The weight is kept in the unit it is shown in: changing only
-- weight_unit re-reads the shown number in the new unit (a fix of a wrongly chosen unit).
-- No row: not theirs, or stale.
-- Its columns are the fields of set_record_document (see db/schema.sql).
-- returns: one SetRecord
UPDATE set_records AS r
SET exercise_id = CASE WHEN 'exercise_id' = ANY(%(fields)s::text[])
                       THEN %(exercise_id)s::uuid ELSE r.exercise_id END,
    set_type = coalesce(%(set_type)s::set_type, r.set_type),
    reps = CASE WHEN 'reps' = ANY(%(fields)s::text[]) THEN %(reps)s::integer ELSE r.reps END,
    weight_kg = weight_to_kg(
        CASE WHEN 'weight' = ANY(%(fields)s::text[])
             THEN %(weight)s::numeric ELSE weight_from_kg(r.weight_kg, r.weight_unit) END,
        coalesce(%(weight_unit)s::weight_unit, r.weight_unit)),
    weight_unit = coalesce(%(weight_unit)s::weight_unit, r.weight_unit),
    duration_s = CASE WHEN 'duration_s' = ANY(%(fields)s::text[])
                      THEN %(duration_s)s::integer ELSE r.duration_s END,
    distance_m = CASE WHEN 'distance_m' = ANY(%(fields)s::text[])
                      THEN %(distance_m)s::numeric ELSE r.distance_m END,
    rpe = CASE WHEN 'rpe' = ANY(%(fields)s::text[]) THEN %(rpe)s::numeric ELSE r.rpe END,
    performed_at = coalesce(%(performed_at)s::timestamptz, r.performed_at),
    notes = coalesce(%(notes)s::text, r.notes),
    version = r.version + 1,
    updated_at = now()
WHERE r.id = %(set_id)s AND r.session_id = %(session_id)s AND r.user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR r.version = ANY(%(if_match)s::integer[]))
RETURNING (set_record_document(
    r, (SELECT e.name FROM exercises e WHERE e.id = r.exercise_id))).*;
