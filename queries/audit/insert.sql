-- Record one action in the audit log (inside the caller's transaction).
-- returns: none
INSERT INTO audit_log (user_id, action, entity_type, entity_id, metadata, request_id)
VALUES (%(user_id)s, %(action)s, %(entity_type)s, %(entity_id)s, %(metadata)s, %(request_id)s);
