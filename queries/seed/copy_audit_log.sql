-- Load the registrations of the seeded users into the audit log from the generator's COPY
-- text lines, which hold these columns in this order.
-- returns: none
COPY audit_log (user_id, action, entity_type, metadata, created_at)
FROM STDIN;
