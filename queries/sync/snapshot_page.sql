-- One page of one of the caller's snapshots: its items after ordinal %(after)s, in order
-- (the primary key of sync_snapshot_items), at most %(limit)s, each as the JSON object the
-- snapshot serves (ordinals run 1, 2, ... without gaps, so the caller knows the last one
-- served), with the snapshot's position. No row when the
-- snapshot is not the caller's, or has expired.
-- returns: one SnapshotRead
SELECT sn."position",
       coalesce((
           SELECT json_agg(json_build_object(
                      'entity_type', i.entity_type,
                      'entity_id', i.entity_id,
                      'version', i.version,
                      'document', i.document
                  ) ORDER BY i.ordinal)
           FROM (
               SELECT si.ordinal, si.entity_type, si.entity_id, si.version, si.document
               FROM sync_snapshot_items si
               WHERE si.snapshot_id = sn.id AND si.user_id = %(user_id)s
                 AND si.ordinal > %(after)s
               ORDER BY si.ordinal
               LIMIT %(limit)s
           ) AS i
       ), '[]')::text AS items
FROM sync_snapshots sn
WHERE sn.id = %(snapshot_id)s AND sn.user_id = %(user_id)s AND sn.expires_at > now();
