-- Safety's one block predicate, for other modules' queries: true when either user blocks the other.
-- Each caller stays one statement and no other module's SQL names the blocks table. PostgreSQL does
-- not inline it (a scalar SQL function whose body has a subquery never is): it runs once per row it
-- filters, each call an index look-up on blocks.
CREATE OR REPLACE FUNCTION blocked_either_way(a uuid, b uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = a AND blocked_id = b) OR (blocker_id = b AND blocked_id = a))
$$;
