-- The next `p_limit` subscribers of a creator (a subscription that still gives access: active or in grace)
-- after `p_after` in user-id order: what the posts module pages through to tell a big creator's subscribers
-- of a new post (big creators get no fan-out, and their followers no notification). One range of
-- subscriptions_creator_fan_idx per page, whatever the number of subscribers.
CREATE OR REPLACE FUNCTION creator_subscribers_after(p_creator uuid, p_after uuid, p_limit integer)
RETURNS TABLE (user_id uuid) LANGUAGE sql STABLE AS $$
  SELECT s.fan_id FROM subscriptions s
  WHERE s.creator_id = p_creator AND s.fan_id > p_after AND s.status IN ('active', 'grace')
  ORDER BY s.fan_id LIMIT p_limit
$$;
