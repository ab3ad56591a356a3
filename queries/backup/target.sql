-- The database a backup reads or a restore writes: its name and its tables outside
-- PostgreSQL's own schemas (`schema.table`, sorted); a restore refuses one that has any.
-- returns: one BackupTarget
SELECT current_database() AS database,
       coalesce(
         (SELECT array_agg(n.nspname || '.' || c.relname ORDER BY n.nspname, c.relname)
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p')
            AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\_%%'),
         '{}'
       ) AS tables;
