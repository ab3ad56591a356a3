-- The primary keys and unique constraints of the given tables that no foreign key refers
-- to, then their foreign keys (last: adding one back validates every row), each as a
-- statement that drops it and one that adds it again (with its comment). CHECK and NOT NULL
-- constraints are not listed: they stay, as they cost little per row.
-- returns: many RebuiltObject
SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname)
           AS drop_statement,
       format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s;', c.conrelid::regclass, c.conname,
              pg_get_constraintdef(c.oid))
       || coalesce(format(' COMMENT ON CONSTRAINT %%I ON %%s IS %%L;', c.conname,
                          c.conrelid::regclass, obj_description(c.oid, 'pg_constraint')),
                   '') AS create_statement
FROM pg_constraint c
WHERE c.conrelid = ANY(%(tables)s::regclass[])
  AND c.contype IN ('p', 'u', 'f')
  AND NOT EXISTS (SELECT FROM pg_constraint r WHERE r.contype = 'f'
                  AND r.confrelid = c.conrelid AND r.conindid = c.conindid)
ORDER BY c.contype = 'f', c.conname;
