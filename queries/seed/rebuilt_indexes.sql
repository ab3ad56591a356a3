-- The indexes of the given tables that back no constraint, each as a statement that drops
-- it and one that creates it again (with its comment), by name. The seed drops them before
-- loading and creates them afterwards, which is faster than maintaining them row by row.
-- returns: many RebuiltObject
SELECT format('DROP INDEX %%I.%%I', n.nspname, i.relname) AS drop_statement,
       pg_get_indexdef(x.indexrelid) || ';'
       || coalesce(format(' COMMENT ON INDEX %%I.%%I IS %%L;', n.nspname, i.relname,
                          obj_description(i.oid, 'pg_class')), '') AS create_statement
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE x.indrelid = ANY(%(tables)s::regclass[])
  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = x.indexrelid
                  AND c.conrelid = x.indrelid)
ORDER BY i.relname;
