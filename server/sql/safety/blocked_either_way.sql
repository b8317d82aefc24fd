-- Safety's one block predicate, for other modules' queries: true when either user blocks the other.
-- Each caller stays one statement and no other module's SQL names the blocks table.
--
-- blocks_between: the predicate, as a one-row set-returning function. Joined in FROM (chat's send
-- batch, many pairs at once), PostgreSQL inlines a single-SELECT set-returning SQL function, so the
-- caller's plan holds the index look-ups on blocks and nothing is planned again per execution.
CREATE OR REPLACE FUNCTION blocks_between(a uuid, b uuid) RETURNS TABLE (blocked boolean) LANGUAGE sql STABLE ROWS 1 AS $$
  SELECT EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = a AND blocked_id = b) OR (blocker_id = b AND blocked_id = a))
$$;

-- blocked_either_way: the same predicate as a boolean, for a WHERE or a select list. PostgreSQL does
-- not inline it (a scalar SQL function whose body has a subquery never is): its body is planned once
-- per execution of the calling statement and runs once per row it filters, an index look-up each.
-- Where that planning counts (a statement run many times a second for a row or two), join
-- blocks_between instead.
CREATE OR REPLACE FUNCTION blocked_either_way(a uuid, b uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT blocked FROM blocks_between(a, b)
$$;
