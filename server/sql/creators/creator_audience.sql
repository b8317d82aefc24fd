-- What other modules (posts: access and the feed's fan-out; chat: who may message a creator) may read
-- of a user's relation to a creator: one row per (creator, user) who follows the creator or holds a
-- subscription that still gives access (active, or in grace), with the subscribed tier's rank (NULL:
-- follows only). A subscriber counts as a follower wherever followers are asked for: test
-- `follows OR tier_rank IS NOT NULL`. The subscription's status is what ends access (the renewal job
-- moves it to grace or expired), not the clock.
-- A plain view: PostgreSQL expands it into the calling query, and a condition on creator_id or user_id
-- reaches both branches (the follows and subscriptions indexes). To drop or retype a column, a migration
-- runs DROP VIEW IF EXISTS creator_audience first and this file creates it again.
CREATE OR REPLACE VIEW creator_audience AS
  SELECT creator_id, user_id, bool_or(follows) AS follows, max(tier_rank) AS tier_rank
  FROM (
    SELECT f.creator_id, f.follower_id AS user_id, true AS follows, NULL::smallint AS tier_rank
    FROM follows f
    UNION ALL
    SELECT s.creator_id, s.fan_id, false, t.rank
    FROM subscriptions s JOIN creator_tiers t ON t.id = s.tier_id
    WHERE s.status IN ('active', 'grace')
  ) a
  GROUP BY creator_id, user_id;
