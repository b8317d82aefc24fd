-- Everyone a user blocks or is blocked by: the set form of blocked_either_way, for callers that
-- filter many candidates at once outside the database (the random-match queue). A single-SELECT
-- set-returning SQL function, which PostgreSQL inlines into the calling query as a subquery.
CREATE OR REPLACE FUNCTION blocked_peers(u uuid) RETURNS SETOF uuid LANGUAGE sql STABLE AS $$
  SELECT blocked_id FROM blocks WHERE blocker_id = u
  UNION
  SELECT blocker_id FROM blocks WHERE blocked_id = u
$$;
