-- The credits moved by the posted transfers of these idempotency keys: how other modules total what a
-- set of their operations moved (mass messages' revenue: the `unlock:<message>:<fan>:creator` legs)
-- with the ledger as the one record of it. Each key is a look-up on the unique key index.
CREATE OR REPLACE FUNCTION ledger_posted_sum(p_keys text[]) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT coalesce(sum(amount), 0)::bigint FROM ledger_transfers WHERE idempotency_key = ANY(p_keys) AND state = 'posted'
$$;
