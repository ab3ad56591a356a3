-- The versions of the migrations applied to this database (dbmate's schema_migrations),
-- for readiness: an empty list when none is.
-- returns: scalar
SELECT coalesce(array_agg(version ORDER BY version), '{}') AS versions
FROM schema_migrations;
