-- Take a snapshot of everything the caller has now, for GET /v1/sync/snapshot: in this one
-- statement (so in one MVCC snapshot) copy every entity's document, as change events carry
-- it, into sync_snapshot_items (numbered in entity type and id order), and record in sync_snapshots the caller's last change-log
-- position as this statement sees it. A write that has not committed is in neither (its
-- data and its positions commit together), so the copy is exactly the state at that
-- position. The caller keeps at most 5 snapshots: taking one drops all but the 4 newest
-- of the others (their items go with them). Returns the position (0 when the caller has
-- no change log yet).
-- returns: scalar
WITH dropped AS (
    DELETE FROM sync_snapshots old
    WHERE old.user_id = %(user_id)s
      AND old.id NOT IN (
          SELECT kept.id FROM sync_snapshots kept
          WHERE kept.user_id = %(user_id)s
          ORDER BY kept.created_at DESC
          LIMIT 4
      )
),
snapshot AS (
    INSERT INTO sync_snapshots (id, user_id, "position", expires_at)
    SELECT %(snapshot_id)s, u.id, coalesce(c.last_position, 0), now() + %(ttl)s::interval
    FROM users u
    LEFT JOIN sync_counters c ON c.user_id = u.id
    WHERE u.id = %(user_id)s
    RETURNING id, user_id, "position"
),
documents AS (
    SELECT 'exercise'::change_entity_type AS entity_type, e.id AS entity_id, e.version,
           jsonb_build_object(
               'id', e.id, 'name', e.name, 'category', e.category,
               'primary_muscle', e.primary_muscle,
               'secondary_muscles', e.secondary_muscles::text[],
               'description', e.description, 'custom', true, 'version', e.version,
               'created_at', e.created_at, 'updated_at', e.updated_at
           ) AS document
    FROM exercises e
    WHERE e.user_id = %(user_id)s
    UNION ALL
    SELECT 'workout', w.id, w.version,
           jsonb_build_object(
               'id', w.id, 'name', w.name, 'description', w.description, 'status', w.status,
               'exercises', coalesce((
                   SELECT jsonb_agg(to_jsonb(planned_exercise_document(we, x.name))
                                    ORDER BY we.position)
                   FROM workout_exercises we
                   JOIN exercises x ON x.id = we.exercise_id
                   WHERE we.user_id = w.user_id AND we.workout_id = w.id
               ), '[]'::jsonb),
               'version', w.version, 'created_at', w.created_at, 'updated_at', w.updated_at
           )
    FROM workouts w
    WHERE w.user_id = %(user_id)s
    UNION ALL
    SELECT 'session', s.id, s.version, session_event_document(s)
    FROM sessions s
    WHERE s.user_id = %(user_id)s
    UNION ALL
    SELECT 'set', r.id, r.version, to_jsonb(set_record_document(r, x.name))
    FROM set_records r
    JOIN exercises x ON x.id = r.exercise_id
    WHERE r.user_id = %(user_id)s
    UNION ALL
    SELECT 'profile', u.id, u.version,
           jsonb_build_object(
               'id', u.id, 'email', u.email, 'display_name', u.display_name,
               'preferred_weight_unit', u.preferred_weight_unit, 'version', u.version,
               'created_at', u.created_at, 'updated_at', u.updated_at
           )
    FROM users u
    WHERE u.id = %(user_id)s
    UNION ALL
    SELECT 'body_measurement', m.id, m.version, to_jsonb(body_measurement_document(m))
    FROM body_measurements m
    WHERE m.user_id = %(user_id)s
),
copied AS (
    INSERT INTO sync_snapshot_items
        (user_id, snapshot_id, ordinal, entity_type, entity_id, version, document)
    SELECT sn.user_id, sn.id, row_number() OVER (ORDER BY d.entity_type, d.entity_id),
           d.entity_type, d.entity_id, d.version, d.document
    FROM snapshot sn
    CROSS JOIN documents d
)
SELECT sn."position" FROM snapshot sn;
