-- Safety's one block predicate, for other modules' queries: true when either user blocks the other.
-- A single-SELECT SQL function the planner inlines into the calling query, so each caller stays one
-- statement with the blocks index used as before, and no other module's SQL names the blocks table.
CREATE OR REPLACE FUNCTION blocked_either_way(a uuid, b uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = a AND blocked_id = b) OR (blocker_id = b AND blocked_id = a))
$$;
