-- The caller's audit history, newest first, keyset on id (audit_log_user_id_id_idx).
-- returns: many AuditEntry
SELECT id, action, entity_type, entity_id, metadata, request_id, created_at
FROM audit_log
WHERE user_id = %(user_id)s
    AND id < coalesce(%(before_id)s::bigint, 9223372036854775807)
ORDER BY id DESC
LIMIT %(limit)s;
