-- One page of the caller's background imports, newest first, keyset on (created_at, id)
-- (index imports_user_id_created_at_idx).
-- Its columns are the fields of import_document (see db/schema.sql).
-- returns: many ImportJob
SELECT (import_document(i)).*
FROM imports i
WHERE i.user_id = %(user_id)s
  -- the first page starts after the largest possible key, so this is always an index
  -- condition, also in a generic plan of the prepared statement
  AND (i.created_at, i.id) < (coalesce(%(after_created_at)s::timestamptz, 'infinity'),
                              coalesce(%(after_id)s::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY i.created_at DESC, i.id DESC
LIMIT %(limit)s;
