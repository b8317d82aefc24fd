-- The next `p_limit` users after `p_after` (user-id order) of one of a creator's audiences, as mass
-- messages page through them: 'followers' (followers and subscribers whose subscription still gives
-- access), 'subscribers' (those subscribers), 'tier' (subscribers of rank >= p_min_rank), 'expired'
-- (subscribed once, no access now), 'tippers' (tipped the creator at least once). Only the branch of
-- p_kind runs (the others' conditions are false before any row is read); each is an index range scan
-- stopped at p_limit rows, like creator_audience_after. Blocks and account states are the caller's.
CREATE OR REPLACE FUNCTION creator_mass_audience_after(p_creator uuid, p_kind text, p_min_rank integer, p_after uuid, p_limit integer)
RETURNS TABLE (user_id uuid) LANGUAGE sql STABLE AS $$
  SELECT DISTINCT a.user_id FROM (
    (SELECT f.follower_id AS user_id FROM follows f
     WHERE p_kind = 'followers' AND f.creator_id = p_creator AND f.follower_id > p_after
     ORDER BY f.follower_id LIMIT p_limit)
    UNION ALL
    (SELECT s.fan_id FROM subscriptions s JOIN creator_tiers t ON t.id = s.tier_id
     WHERE p_kind IN ('followers', 'subscribers', 'tier') AND s.creator_id = p_creator AND s.fan_id > p_after
       AND s.status IN ('active', 'grace') AND (p_kind <> 'tier' OR t.rank >= p_min_rank)
     ORDER BY s.fan_id LIMIT p_limit)
    UNION ALL
    (SELECT s.fan_id FROM subscriptions s
     WHERE p_kind = 'expired' AND s.creator_id = p_creator AND s.fan_id > p_after AND s.status = 'expired'
     ORDER BY s.fan_id LIMIT p_limit)
    UNION ALL
    (SELECT DISTINCT t.fan_id FROM tips t
     WHERE p_kind = 'tippers' AND t.creator_id = p_creator AND t.fan_id > p_after
     ORDER BY t.fan_id LIMIT p_limit)
  ) a
  ORDER BY a.user_id LIMIT p_limit
$$;
