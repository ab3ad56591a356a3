-- Create a webhook subscription for the caller, with its signing secret, unless they have
-- 10 already (run after lock_owner, so the count is current) or the id is taken (a replayed
-- create, or a clash the caller is told about): then no row. It gets the events after the
-- latest of the caller's change log.
-- Its columns are the fields of webhook_subscription_document (see db/schema.sql), then
-- the secret, shown this once.
-- returns: one WebhookWithSecret
INSERT INTO webhook_subscriptions AS w
    (id, user_id, url, event_types, enabled, disabled_reason, description, secret,
     enqueued_through)
SELECT %(webhook_id)s, %(user_id)s, %(url)s, %(event_types)s::change_event_type[], %(enabled)s,
       CASE WHEN NOT %(enabled)s THEN 'by_user' END::webhook_disabled_reason,
       %(description)s, %(secret)s,
       coalesce((SELECT c.last_position FROM sync_counters c WHERE c.user_id = %(user_id)s), 0)
WHERE (SELECT count(*) FROM webhook_subscriptions WHERE user_id = %(user_id)s) < %(max_count)s
ON CONFLICT (id) DO NOTHING
RETURNING (webhook_subscription_document(w)).*, w.secret;
