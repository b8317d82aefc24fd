/*
 * Applies one operation: a list of legs, atomically, on one chain shard.
 * A leg is {key, op, amount, kind, metadata} plus
 *   op 'post' | 'hold': debit, credit (account codes); 'hold' also ttl (seconds)
 *   op 'post_hold' | 'void_hold': hold (the hold's idempotency key)
 * If every leg's key exists with the same parameters, the original transfers
 * are returned with replayed = true; any other reuse of a key raises
 * IDEMPOTENCY_CONFLICT. Errors are raised with the code as the message.
 * Twins (the same operation applied concurrently) are serialised on their
 * first leg's key, so the later one replays instead of conflicting.
 */
CREATE OR REPLACE FUNCTION ledger_apply(p_shard int, p_legs jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  leg jsonb;
  n int := jsonb_array_length(p_legs);
  i int;
  h ledger_transfers;
  debit_ids bigint[] := '{}';
  credit_ids bigint[] := '{}';
  hold_ids bigint[] := '{}';
  hold_amounts bigint[] := '{}';
  v_debit bigint;
  v_credit bigint;
  v_amount bigint;
  v_op text;
  v_state text;
  v_pending bigint;
  v_expires timestamptz;
  v_seq bigint;
  v_head text;
  v_id bigint;
  v_hash text;
  v_now timestamptz := now();
  out jsonb := '[]'::jsonb;
BEGIN
  IF n IS NULL OR n = 0 THEN RAISE EXCEPTION 'LEDGER_EMPTY_OPERATION'; END IF;

  -- Twins of one operation (a client retry racing its original, the same job on
  -- two workers) used to be judged leg by leg while the other committed: under
  -- READ COMMITTED each SELECT of step 1 sees what committed meanwhile, so the
  -- first leg could read "absent" and the second "present" and the retry was
  -- refused with IDEMPOTENCY_CONFLICT instead of replayed. Serialising twins on
  -- their first leg's key (a transaction-level advisory lock, released at
  -- commit) makes the later one wait and then see every leg: a clean replay.
  -- Unrelated operations only meet on a hash collision, and then just wait.
  -- 20506: this lock family's own namespace, apart from the migrations' and the swipes' locks.
  PERFORM pg_advisory_xact_lock(20506, hashtext(p_legs -> 0 ->> 'key'));

  -- 1. Idempotency: all legs already there (a replay), none (apply), or a conflict (ledger_replay.sql).
  out := ledger_replay(p_legs);
  IF out IS NOT NULL THEN RETURN out; END IF;
  out := '[]'::jsonb;

  -- 2. Resolve accounts and holds.
  FOR i IN 0 .. n - 1 LOOP
    leg := p_legs -> i;
    v_op := leg ->> 'op';
    v_amount := (leg ->> 'amount')::bigint;
    IF v_amount IS NULL OR v_amount <= 0 THEN RAISE EXCEPTION 'LEDGER_INVALID_AMOUNT'; END IF;
    IF v_op IN ('post', 'hold') THEN
      debit_ids := debit_ids || ledger_account_id(leg ->> 'debit');
      credit_ids := credit_ids || ledger_account_id(leg ->> 'credit');
      hold_ids := hold_ids || NULL::bigint;
      hold_amounts := hold_amounts || NULL::bigint;
    ELSIF v_op IN ('post_hold', 'void_hold') THEN
      SELECT * INTO h FROM ledger_transfers WHERE idempotency_key = leg ->> 'hold';
      IF NOT FOUND OR h.state <> 'pending' THEN RAISE EXCEPTION 'HOLD_NOT_FOUND' USING DETAIL = leg ->> 'hold'; END IF;
      debit_ids := debit_ids || h.debit_account_id;
      credit_ids := credit_ids || h.credit_account_id;
      hold_ids := hold_ids || h.id;
      hold_amounts := hold_amounts || h.amount;
    ELSE
      RAISE EXCEPTION 'LEDGER_INVALID_OPERATION' USING DETAIL = v_op;
    END IF;
  END LOOP;

  -- 3. Lock every account in id order (no deadlocks between operations), then the chain head last.
  PERFORM 1 FROM ledger_accounts WHERE id = ANY (debit_ids || credit_ids) ORDER BY id FOR UPDATE;
  INSERT INTO ledger_chains (shard, seq, head) VALUES (p_shard, 0, 'genesis:' || p_shard) ON CONFLICT (shard) DO NOTHING;
  SELECT seq, head INTO v_seq, v_head FROM ledger_chains WHERE shard = p_shard FOR UPDATE;

  -- 4. Balances and transfers, leg by leg. A wallet going below zero fails the CHECK and the whole operation.
  FOR i IN 0 .. n - 1 LOOP
    leg := p_legs -> i;
    v_op := leg ->> 'op';
    v_amount := (leg ->> 'amount')::bigint;
    v_debit := debit_ids[i + 1];
    v_credit := credit_ids[i + 1];
    v_pending := hold_ids[i + 1];
    v_expires := NULL;
    IF v_op = 'post' THEN
      v_state := 'posted';
      UPDATE ledger_accounts SET posted = posted - v_amount WHERE id = v_debit;
      UPDATE ledger_accounts SET posted = posted + v_amount WHERE id = v_credit;
    ELSIF v_op = 'hold' THEN
      v_state := 'pending';
      v_expires := v_now + make_interval(secs => coalesce((leg ->> 'ttl')::int, 300));
      UPDATE ledger_accounts SET pending_debits = pending_debits + v_amount WHERE id = v_debit;
      UPDATE ledger_accounts SET pending_credits = pending_credits + v_amount WHERE id = v_credit;
    ELSE
      IF EXISTS (SELECT 1 FROM ledger_transfers WHERE pending_id = v_pending) THEN
        RAISE EXCEPTION 'HOLD_NOT_PENDING' USING DETAIL = leg ->> 'hold';
      END IF;
      IF v_op = 'post_hold' THEN
        IF v_amount > hold_amounts[i + 1] THEN RAISE EXCEPTION 'HOLD_AMOUNT_EXCEEDED'; END IF;
        IF (SELECT expires_at FROM ledger_transfers WHERE id = v_pending) <= v_now THEN
          RAISE EXCEPTION 'HOLD_EXPIRED' USING DETAIL = leg ->> 'hold';
        END IF;
        v_state := 'posted';
        UPDATE ledger_accounts SET pending_debits = pending_debits - hold_amounts[i + 1], posted = posted - v_amount WHERE id = v_debit;
        UPDATE ledger_accounts SET pending_credits = pending_credits - hold_amounts[i + 1], posted = posted + v_amount WHERE id = v_credit;
      ELSE
        IF v_amount <> hold_amounts[i + 1] THEN RAISE EXCEPTION 'LEDGER_INVALID_AMOUNT' USING DETAIL = 'a void releases the whole hold'; END IF;
        v_state := 'voided';
        UPDATE ledger_accounts SET pending_debits = pending_debits - v_amount WHERE id = v_debit;
        UPDATE ledger_accounts SET pending_credits = pending_credits - v_amount WHERE id = v_credit;
      END IF;
    END IF;

    v_id := nextval(pg_get_serial_sequence('ledger_transfers', 'id'));
    v_seq := v_seq + 1;
    v_hash := ledger_hash(v_head, v_id, leg ->> 'key', v_debit, v_credit, v_amount, leg ->> 'kind', v_state,
                          v_pending, v_expires, coalesce(leg -> 'metadata', '{}'::jsonb), v_now);
    INSERT INTO ledger_transfers (id, idempotency_key, debit_account_id, credit_account_id, amount, kind, state,
                                  pending_id, expires_at, metadata, created_at, chain_shard, chain_seq, prev_hash, hash)
    VALUES (v_id, leg ->> 'key', v_debit, v_credit, v_amount, leg ->> 'kind', v_state,
            v_pending, v_expires, coalesce(leg -> 'metadata', '{}'::jsonb), v_now, p_shard, v_seq, v_head, v_hash);
    v_head := v_hash;
    out := out || jsonb_build_object('id', v_id, 'key', leg ->> 'key', 'state', v_state, 'amount', v_amount);
  END LOOP;

  UPDATE ledger_chains SET seq = v_seq, head = v_head WHERE shard = p_shard;
  RETURN jsonb_build_object('replayed', false, 'transfers', out);
END $$;
