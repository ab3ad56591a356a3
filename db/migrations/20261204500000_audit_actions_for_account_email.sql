-- migrate:up transaction:false
-- squawk-ignore-file require-timeout-settings, require-statement-timeout, require-enum-value-ordering -- dbmate runs this file outside a transaction; ALTER TYPE ... ADD VALUE takes no lock on audit_log; the new values go last on purpose (after whatever earlier migrations added)
-- What the password-reset, email-verification and email-change flows write to the audit
-- log. Appended after the existing values (their order is the sort order).
ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'password_reset_request';
ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'password_reset';
ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'email_verification_request';
ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'email_verified';
ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'email_change_request';
ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'email_change';

-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
-- PostgreSQL cannot remove an ENUM value: the type is rebuilt with every value but these
-- (whatever other migrations added), and the rows that used them are deleted.
DELETE FROM audit_log
WHERE action::text IN (
    'password_reset_request', 'password_reset', 'email_verification_request',
    'email_verified', 'email_change_request', 'email_change'
);
-- squawk-ignore renaming-object -- the down path rebuilds the type under its own name
ALTER TYPE audit_action RENAME TO audit_action_before_down;
DO $$
DECLARE
    kept text;
BEGIN
    SELECT string_agg(quote_literal(enumlabel), ', ' ORDER BY enumsortorder)
    INTO kept
    FROM pg_enum
    WHERE enumtypid = 'audit_action_before_down'::regtype
        AND enumlabel NOT IN (
            'password_reset_request', 'password_reset', 'email_verification_request',
            'email_verified', 'email_change_request', 'email_change'
        );
    EXECUTE 'CREATE TYPE audit_action AS ENUM (' || kept || ')';
END;
$$;
-- squawk-ignore changing-column-type -- only on the way down, which rewrites audit_log once
ALTER TABLE audit_log ALTER COLUMN action TYPE audit_action USING action::text::audit_action;
-- squawk-ignore ban-drop-type -- the old copy of the type, no longer used by any column
DROP TYPE audit_action_before_down;
