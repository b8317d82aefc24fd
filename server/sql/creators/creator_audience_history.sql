-- Published by creators for the analytics module's creator statistics: when each follow and each
-- subscription began, and when a subscription ended (expired: its last change; NULL while it gives
-- access). An unfollow deletes its row, and a lapsed subscription taken up again restarts its row,
-- so a past day's counts are those of today's relations that existed then (documented in README).
CREATE OR REPLACE VIEW creator_audience_history AS
  SELECT f.creator_id, 'follow'::text AS kind, f.created_at AS since, NULL::timestamptz AS until
  FROM follows f
  UNION ALL
  SELECT s.creator_id, 'subscription'::text, s.started_at, CASE WHEN s.status = 'expired' THEN s.updated_at END
  FROM subscriptions s;
