/*
 * The idempotency check of one operation (its legs, as ledger_apply takes them):
 * NULL when none of its keys exists (apply it), the original transfers as
 * {replayed: true, transfers} when every leg exists with the same parameters,
 * IDEMPOTENCY_CONFLICT raised otherwise. Shared by ledger_apply and
 * ledger_apply_batch so that a replay means the same thing on both paths.
 */
CREATE OR REPLACE FUNCTION ledger_replay(p_legs jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  leg jsonb;
  n int := jsonb_array_length(p_legs);
  i int;
  n_found int := 0;
  ex ledger_transfers;
  v_op text;
  out jsonb := '[]'::jsonb;
BEGIN
  FOR i IN 0 .. n - 1 LOOP
    leg := p_legs -> i;
    v_op := leg ->> 'op';
    SELECT * INTO ex FROM ledger_transfers WHERE idempotency_key = leg ->> 'key';
    IF FOUND THEN
      n_found := n_found + 1;
      IF ex.amount <> (leg ->> 'amount')::bigint OR ex.kind <> leg ->> 'kind' THEN
        RAISE EXCEPTION 'IDEMPOTENCY_CONFLICT' USING DETAIL = leg ->> 'key';
      END IF;
      IF v_op IN ('post', 'hold') THEN
        IF ex.state <> (CASE v_op WHEN 'post' THEN 'posted' ELSE 'pending' END)
           OR ex.pending_id IS NOT NULL
           OR ex.debit_account_id IS DISTINCT FROM (SELECT id FROM ledger_accounts WHERE code = leg ->> 'debit')
           OR ex.credit_account_id IS DISTINCT FROM (SELECT id FROM ledger_accounts WHERE code = leg ->> 'credit') THEN
          RAISE EXCEPTION 'IDEMPOTENCY_CONFLICT' USING DETAIL = leg ->> 'key';
        END IF;
      ELSE
        IF ex.state <> (CASE v_op WHEN 'post_hold' THEN 'posted' ELSE 'voided' END)
           OR ex.pending_id IS DISTINCT FROM (SELECT id FROM ledger_transfers WHERE idempotency_key = leg ->> 'hold') THEN
          RAISE EXCEPTION 'IDEMPOTENCY_CONFLICT' USING DETAIL = leg ->> 'key';
        END IF;
      END IF;
      out := out || jsonb_build_object('id', ex.id, 'key', ex.idempotency_key, 'state', ex.state, 'amount', ex.amount);
    END IF;
  END LOOP;
  IF n_found = n THEN
    RETURN jsonb_build_object('replayed', true, 'transfers', out);
  ELSIF n_found > 0 THEN
    RAISE EXCEPTION 'IDEMPOTENCY_CONFLICT' USING DETAIL = 'some legs of this operation exist and some do not';
  END IF;
  RETURN NULL;
END $$;
