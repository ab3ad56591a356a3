-- Change the fields given (NULL: keep; event_types only when set_event_types, where NULL
-- means every event type) of one of the caller's webhook subscriptions, if its version is
-- one If-Match accepts (NULL: any). Disabling records that its owner did it; enabling
-- clears the reason and the count of failures in a row. No row: not theirs, or stale.
-- Its columns are the fields of webhook_subscription_document (see db/schema.sql).
-- returns: one Webhook
UPDATE webhook_subscriptions AS w
SET url = coalesce(%(url)s, w.url),
    event_types = CASE WHEN %(set_event_types)s THEN %(event_types)s::change_event_type[]
                       ELSE w.event_types END,
    enabled = coalesce(%(enabled)s, w.enabled),
    disabled_reason = CASE %(enabled)s::boolean
                          WHEN true THEN NULL
                          WHEN false THEN coalesce(w.disabled_reason, 'by_user')
                          ELSE w.disabled_reason
                      END,
    consecutive_failures = CASE WHEN %(enabled)s AND NOT w.enabled THEN 0
                                ELSE w.consecutive_failures END,
    description = coalesce(%(description)s, w.description),
    version = w.version + 1,
    updated_at = now()
WHERE w.id = %(webhook_id)s AND w.user_id = %(user_id)s
  AND (%(if_match)s::integer[] IS NULL OR w.version = ANY(%(if_match)s::integer[]))
RETURNING (webhook_subscription_document(w)).*;
