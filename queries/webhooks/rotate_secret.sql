-- Give one of the caller's webhook subscriptions a new signing secret, if its version is one
-- If-Match accepts (NULL: any). The secret it replaces keeps signing, next to the new one,
-- for 24 hours, unless revoke_previous (it leaked); a secret replaced before that is
-- dropped at once. No row: not theirs, or stale.
-- Its columns are the fields of webhook_subscription_document (see db/schema.sql), then
-- the new secret, shown this once.
-- returns: one WebhookWithSecret
UPDATE webhook_subscriptions AS w
SET secret = %(secret)s,
    previous_secret = CASE WHEN NOT %(revoke_previous)s THEN w.secret END,
    previous_secret_expires_at = CASE WHEN NOT %(revoke_previous)s
                                      THEN now() + interval '24 hours' END,
    version = w.version + 1,
    updated_at = now()
WHERE w.id = %(webhook_id)s AND w.user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR w.version = ANY(%(if_match)s::integer[]))
RETURNING (webhook_subscription_document(w)).*, w.secret;
