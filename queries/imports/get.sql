-- One background import of the caller.
-- Its columns are the fields of import_document (see db/schema.sql).
-- returns: one ImportJob
SELECT (import_document(i)).*
FROM imports i
WHERE i.id = %(import_id)s AND i.user_id = %(user_id)s;
