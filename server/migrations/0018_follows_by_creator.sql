-- A creator's audience in user-id order: the feed's fan-out pages through
-- creator_audience by user id (WHERE creator_id = $1 AND user_id > $2 ORDER BY
-- user_id), and follows had only (follower_id, creator_id) and the
-- time-ordered (creator_id, created_at, follower_id).
CREATE INDEX follows_creator_follower_idx ON follows (creator_id, follower_id);
CREATE INDEX subscriptions_creator_fan_idx ON subscriptions (creator_id, fan_id) WHERE status IN ('active', 'grace');
