-- Safety's one block predicate, for other modules' queries: true when either user blocks the other.
-- Each caller stays one statement and no other module's SQL names the blocks table. PostgreSQL does
-- not inline it (a scalar SQL function whose body has a subquery never is): it runs once per row it
-- filters, each call an index look-up on blocks.
CREATE OR REPLACE FUNCTION blocked_either_way(a uuid, b uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = a AND blocked_id = b) OR (blocker_id = b AND blocked_id = a))
$$;

-- The same predicate as a one-row set-returning function, for a statement that checks many pairs at
-- once (chat's send batch): PostgreSQL inlines a single-SELECT set-returning SQL function joined in
-- FROM, so the caller gets the index look-ups planned with it, where a scalar call above is planned
-- again at every execution of the statement that makes it (~10% of a one-message send batch's CPU).
CREATE OR REPLACE FUNCTION blocks_between(a uuid, b uuid) RETURNS TABLE (blocked boolean) LANGUAGE sql STABLE ROWS 1 AS $$
  SELECT EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = a AND blocked_id = b) OR (blocker_id = b AND blocked_id = a))
$$;
