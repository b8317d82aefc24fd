/*
 * Applies many operations in ONE statement (so one transaction, one commit):
 * the group commit of standalone operations and LedgerService.spendMany.
 *   p_ops: [{shard, legs}, ...]; legs exactly as ledger_apply takes them.
 *   p_atomic: the first operation that fails raises its code (the whole batch
 *   rolls back); otherwise each operation gets its own result and a failing
 *   one changes nothing while the others apply.
 * Returns one entry per operation, in order:
 *   {ok: true, replayed, transfers} | {ok: false, code, detail}
 *
 * Every lock is taken up front, in the order ledger_apply takes its own:
 * the twins' advisory locks (by hash), then every account touched (by id),
 * then every chain head touched (by shard). Two batches, or a batch and a
 * single operation, therefore wait for each other but cannot deadlock,
 * whatever accounts they share. Balances are then computed in memory,
 * checked leg by leg as ledger_apply's CHECK would (an operation that would
 * take a wallet below zero is refused with INSUFFICIENT_CREDITS and undone),
 * and written back once per account at the end; transfers are inserted in
 * one multi-row INSERT. Operations are applied in array order, and each
 * operation's legs extend its shard's chain in order.
 */
-- The plans: each statement below is planned once per connection (force_generic_plan), and a generic plan
-- never scans a table whole nor hashes or merges: index probes in nested loops, the plan a custom plan
-- takes for a batch's few rows. Left to choose, the plan cache settled on a generic plan made while
-- ledger_transfers was small, which then seq-scanned it for the idempotency keys (measured: 18-59 ms a
-- batch at 10k transfers) on a pooled connection that keeps it; planning every statement for its arrays
-- instead (force_custom_plan, as before) was a fifth of PostgreSQL's CPU per batch (BENCHMARKS.md).
CREATE OR REPLACE FUNCTION ledger_apply_batch(p_ops jsonb, p_atomic boolean DEFAULT false) RETURNS jsonb LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off AS $$
DECLARE
  n_ops int := coalesce(jsonb_array_length(p_ops), 0);
  o int;
  i int;
  n int;
  legs jsonb;
  leg jsonb;
  r record;
  h ledger_transfers;
  v_now timestamptz := now();
  v_seqrel regclass := pg_get_serial_sequence('ledger_transfers', 'id')::regclass;
  -- Codes of the accounts named by post/hold legs, and their ids (parallel arrays).
  codes text[] := '{}';
  code_ids bigint[];
  all_keys text[] := '{}';
  first_keys text[] := '{}';
  all_shards int[] := '{}';
  hold_keys text[] := '{}';
  hold_accounts bigint[] := '{}';
  attempt int;
  -- The locked accounts and their balances as this batch changes them (parallel arrays).
  acc_ids bigint[] := '{}';
  acc_neg boolean[] := '{}';
  acc_posted bigint[] := '{}';
  acc_pd bigint[] := '{}';
  acc_pc bigint[] := '{}';
  s_posted bigint[];
  s_pd bigint[];
  s_pc bigint[];
  -- The locked chain heads (parallel arrays).
  ch_shards int[];
  ch_seq bigint[] := '{}';
  ch_head text[] := '{}';
  -- Keys that existed before this batch, and keys this batch has written.
  existing text[];
  batch_keys text[] := '{}';
  op_keys text[];
  has_hold boolean;
  -- ledger_hash's text of created_at, the same for every transfer of the batch: worked out once.
  v_now_txt text := floor(extract(epoch FROM now()) * 1000000)::bigint::text;
  -- One operation's legs once checked.
  l_debit bigint[];
  l_credit bigint[];
  l_pending bigint[];
  l_state text[];
  -- Transfers to insert (parallel arrays), flushed before any check that must see them.
  t_id bigint[] := '{}';
  t_key text[] := '{}';
  t_debit bigint[] := '{}';
  t_credit bigint[] := '{}';
  t_amount bigint[] := '{}';
  t_kind text[] := '{}';
  t_state text[] := '{}';
  t_pending bigint[] := '{}';
  t_expires timestamptz[] := '{}';
  t_meta jsonb[] := '{}';
  t_shard int[] := '{}';
  t_seq bigint[] := '{}';
  t_prev text[] := '{}';
  t_hash text[] := '{}';
  v_shard int;
  v_op text;
  v_amount bigint;
  v_debit bigint;
  v_credit bigint;
  di int;
  ci int;
  k int;
  v_seq bigint;
  v_head text;
  v_id bigint;
  v_hash text;
  v_expires timestamptz;
  v_meta jsonb;
  err text;
  err_detail text;
  res jsonb;
  op_out jsonb;
  results jsonb[] := '{}';
BEGIN
  IF n_ops = 0 THEN RETURN '[]'::jsonb; END IF;

  -- 0. One pass over the legs (plain expressions, no queries): keys, account codes, holds, shards.
  FOR o IN 0 .. n_ops - 1 LOOP
    legs := p_ops -> o -> 'legs';
    all_shards := all_shards || (p_ops -> o ->> 'shard')::int;
    first_keys := first_keys || (legs -> 0 ->> 'key');
    FOR i IN 0 .. coalesce(jsonb_array_length(legs), 0) - 1 LOOP
      leg := legs -> i;
      all_keys := all_keys || (leg ->> 'key');
      IF leg ->> 'op' IN ('post', 'hold') THEN
        codes := codes || (leg ->> 'debit') || (leg ->> 'credit');
      ELSIF leg ->> 'hold' IS NOT NULL THEN
        hold_keys := hold_keys || (leg ->> 'hold');
      END IF;
    END LOOP;
  END LOOP;

  -- 1. Twins (the same operation from two callers, in two batches or processes) serialise on
  --    their first leg's key, as in ledger_apply; taken in hash order so batches cannot deadlock on them.
  PERFORM pg_advisory_xact_lock(20506, s.h)
  FROM (SELECT DISTINCT hashtext(fk) AS h FROM unnest(first_keys) fk WHERE fk IS NOT NULL ORDER BY 1) s;

  -- 2. Accounts: create the missing ones (in code order), then lock every one touched, in id order.
  SELECT coalesce(array_agg(u.c ORDER BY u.c), '{}'), coalesce(array_agg(a.id ORDER BY u.c), '{}') INTO codes, code_ids
  FROM (SELECT DISTINCT c FROM unnest(codes) c WHERE c IS NOT NULL) u LEFT JOIN ledger_accounts a ON a.code = u.c;
  IF array_position(code_ids, NULL) IS NOT NULL THEN
    PERFORM ledger_account_id(c) FROM unnest(codes) c WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.code = c);
    SELECT coalesce(array_agg(a.id ORDER BY u.ord), '{}') INTO code_ids
    FROM unnest(codes) WITH ORDINALITY u(c, ord) LEFT JOIN ledger_accounts a ON a.code = u.c;
  END IF;
  IF cardinality(hold_keys) > 0 THEN
    SELECT coalesce(array_agg(x), '{}') INTO hold_accounts
    FROM ledger_transfers t, unnest(ARRAY[t.debit_account_id, t.credit_account_id]) x WHERE t.idempotency_key = ANY (hold_keys);
  END IF;
  FOR r IN
    SELECT a.id, a.allow_negative, a.posted, a.pending_debits, a.pending_credits FROM ledger_accounts a
    WHERE a.id = ANY (code_ids || hold_accounts)
    ORDER BY a.id FOR UPDATE
  LOOP
    acc_ids := acc_ids || r.id;
    acc_neg := acc_neg || r.allow_negative;
    acc_posted := acc_posted || r.posted;
    acc_pd := acc_pd || r.pending_debits;
    acc_pc := acc_pc || r.pending_credits;
  END LOOP;

  -- 3. Chain heads, last, in shard order (a shard's first use creates its head).
  FOR attempt IN 1 .. 2 LOOP
    ch_shards := '{}';
    ch_seq := '{}';
    ch_head := '{}';
    FOR r IN SELECT c.shard, c.seq, c.head FROM ledger_chains c WHERE c.shard = ANY (all_shards) ORDER BY c.shard FOR UPDATE LOOP
      ch_shards := ch_shards || r.shard;
      ch_seq := ch_seq || r.seq;
      ch_head := ch_head || r.head;
    END LOOP;
    EXIT WHEN attempt = 2 OR NOT EXISTS (SELECT 1 FROM unnest(all_shards) s WHERE s IS NOT NULL AND NOT s = ANY (ch_shards));
    INSERT INTO ledger_chains (shard, seq, head) SELECT DISTINCT s, 0, 'genesis:' || s FROM unnest(all_shards) s WHERE s IS NOT NULL ORDER BY s
    ON CONFLICT (shard) DO NOTHING;
  END LOOP;

  -- 4. Which keys exist already (read after the twins' locks, so a twin's commit is seen).
  SELECT coalesce(array_agg(t.idempotency_key), '{}') INTO existing FROM ledger_transfers t WHERE t.idempotency_key = ANY (all_keys);

  -- 5. Each operation in turn.
  FOR o IN 0 .. n_ops - 1 LOOP
    legs := p_ops -> o -> 'legs';
    n := coalesce(jsonb_array_length(legs), 0);
    v_shard := (p_ops -> o ->> 'shard')::int;
    err := NULL;
    err_detail := NULL;
    res := NULL;
    -- Plain expressions, not queries: this runs for every operation.
    op_keys := '{}';
    has_hold := false;
    FOR i IN 0 .. n - 1 LOOP
      op_keys := op_keys || (legs -> i ->> 'key');
      has_hold := has_hold OR (legs -> i ->> 'op') IN ('post_hold', 'void_hold');
    END LOOP;
    IF n = 0 THEN
      err := 'LEDGER_EMPTY_OPERATION';
    ELSIF v_shard IS NULL OR array_position(ch_shards, v_shard) IS NULL THEN
      err := 'LEDGER_INVALID_OPERATION';
      err_detail := 'no chain shard';
    END IF;

    -- A key seen before, or a hold to resolve: the checks read ledger_transfers, so write this batch's rows first.
    IF err IS NULL AND (op_keys && existing OR op_keys && batch_keys OR has_hold) THEN
      IF cardinality(t_id) > 0 THEN
        INSERT INTO ledger_transfers (id, idempotency_key, debit_account_id, credit_account_id, amount, kind, state,
                                      pending_id, expires_at, metadata, created_at, chain_shard, chain_seq, prev_hash, hash)
        SELECT u.id, u.k, u.d, u.c, u.a, u.kind, u.st, u.p, u.x, u.m, v_now, u.sh, u.sq, u.pv, u.hs
        FROM unnest(t_id, t_key, t_debit, t_credit, t_amount, t_kind, t_state, t_pending, t_expires, t_meta, t_shard, t_seq, t_prev, t_hash)
          AS u(id, k, d, c, a, kind, st, p, x, m, sh, sq, pv, hs);
        t_id := '{}'; t_key := '{}'; t_debit := '{}'; t_credit := '{}'; t_amount := '{}'; t_kind := '{}'; t_state := '{}';
        t_pending := '{}'; t_expires := '{}'; t_meta := '{}'; t_shard := '{}'; t_seq := '{}'; t_prev := '{}'; t_hash := '{}';
      END IF;
      IF op_keys && existing OR op_keys && batch_keys THEN
        BEGIN
          res := ledger_replay(legs);
        EXCEPTION WHEN raise_exception THEN
          err := SQLERRM;
          GET STACKED DIAGNOSTICS err_detail = PG_EXCEPTION_DETAIL;
        END;
      END IF;
    END IF;

    IF err IS NULL AND res IS NULL THEN
      -- Check every leg against the balances as they stand, undoing this operation's changes if one fails.
      s_posted := acc_posted;
      s_pd := acc_pd;
      s_pc := acc_pc;
      l_debit := '{}'; l_credit := '{}'; l_pending := '{}'; l_state := '{}';
      FOR i IN 0 .. n - 1 LOOP
        leg := legs -> i;
        v_op := leg ->> 'op';
        v_amount := (leg ->> 'amount')::bigint;
        IF v_amount IS NULL OR v_amount <= 0 THEN err := 'LEDGER_INVALID_AMOUNT'; EXIT; END IF;
        IF v_op IN ('post', 'hold') THEN
          v_debit := code_ids[array_position(codes, leg ->> 'debit')];
          v_credit := code_ids[array_position(codes, leg ->> 'credit')];
          di := array_position(acc_ids, v_debit);
          ci := array_position(acc_ids, v_credit);
          IF di IS NULL OR ci IS NULL OR di = ci THEN err := 'LEDGER_INVALID_OPERATION'; err_detail := 'debit and credit accounts'; EXIT; END IF;
          IF v_op = 'post' THEN
            acc_posted[di] := acc_posted[di] - v_amount;
            acc_posted[ci] := acc_posted[ci] + v_amount;
          ELSE
            acc_pd[di] := acc_pd[di] + v_amount;
            acc_pc[ci] := acc_pc[ci] + v_amount;
          END IF;
          l_pending := l_pending || NULL::bigint;
          l_state := l_state || (CASE v_op WHEN 'post' THEN 'posted' ELSE 'pending' END);
        ELSIF v_op IN ('post_hold', 'void_hold') THEN
          SELECT * INTO h FROM ledger_transfers WHERE idempotency_key = leg ->> 'hold';
          IF NOT FOUND OR h.state <> 'pending' THEN err := 'HOLD_NOT_FOUND'; err_detail := leg ->> 'hold'; EXIT; END IF;
          v_debit := h.debit_account_id;
          v_credit := h.credit_account_id;
          di := array_position(acc_ids, v_debit);
          ci := array_position(acc_ids, v_credit);
          -- A hold committed by someone else after this batch took its locks: not ours to touch yet.
          IF di IS NULL OR ci IS NULL THEN err := 'HOLD_NOT_FOUND'; err_detail := leg ->> 'hold'; EXIT; END IF;
          IF EXISTS (SELECT 1 FROM ledger_transfers WHERE pending_id = h.id) THEN err := 'HOLD_NOT_PENDING'; err_detail := leg ->> 'hold'; EXIT; END IF;
          IF v_op = 'post_hold' THEN
            IF v_amount > h.amount THEN err := 'HOLD_AMOUNT_EXCEEDED'; EXIT; END IF;
            IF h.expires_at <= v_now THEN err := 'HOLD_EXPIRED'; err_detail := leg ->> 'hold'; EXIT; END IF;
            acc_pd[di] := acc_pd[di] - h.amount;
            acc_posted[di] := acc_posted[di] - v_amount;
            acc_pc[ci] := acc_pc[ci] - h.amount;
            acc_posted[ci] := acc_posted[ci] + v_amount;
            l_state := l_state || 'posted'::text;
          ELSE
            IF v_amount <> h.amount THEN err := 'LEDGER_INVALID_AMOUNT'; err_detail := 'a void releases the whole hold'; EXIT; END IF;
            acc_pd[di] := acc_pd[di] - v_amount;
            acc_pc[ci] := acc_pc[ci] - v_amount;
            l_state := l_state || 'voided'::text;
          END IF;
          l_pending := l_pending || h.id;
        ELSE
          err := 'LEDGER_INVALID_OPERATION';
          err_detail := v_op;
          EXIT;
        END IF;
        -- The CHECK ledger_apply's UPDATEs meet after each leg (ledger_available_nonnegative).
        IF NOT acc_neg[di] AND acc_posted[di] - acc_pd[di] < 0 THEN err := 'INSUFFICIENT_CREDITS'; EXIT; END IF;
        l_debit := l_debit || v_debit;
        l_credit := l_credit || v_credit;
      END LOOP;
      IF err IS NOT NULL THEN
        acc_posted := s_posted;
        acc_pd := s_pd;
        acc_pc := s_pc;
      END IF;
    END IF;

    IF err IS NOT NULL THEN
      IF p_atomic THEN RAISE EXCEPTION '%', err USING DETAIL = coalesce(err_detail, 'operation ' || o); END IF;
      results := results || jsonb_build_object('ok', false, 'code', err, 'detail', err_detail);
    ELSIF res IS NOT NULL THEN
      results := results || (res || jsonb_build_object('ok', true));
    ELSE
      -- Extend this operation's chain, leg by leg.
      k := array_position(ch_shards, v_shard);
      v_seq := ch_seq[k];
      v_head := ch_head[k];
      op_out := '[]'::jsonb;
      FOR i IN 0 .. n - 1 LOOP
        leg := legs -> i;
        v_amount := (leg ->> 'amount')::bigint;
        v_expires := CASE WHEN leg ->> 'op' = 'hold' THEN v_now + make_interval(secs => coalesce((leg ->> 'ttl')::int, 300)) END;
        v_meta := coalesce(leg -> 'metadata', '{}'::jsonb);
        v_id := nextval(v_seqrel);
        v_seq := v_seq + 1;
        -- ledger_hash (ledger_hash.sql) written out, with created_at's text worked out once per batch: this
        -- is the hottest line of the batch. verifyLedger recomputes every hash with ledger_hash itself, so
        -- any drift between the two fails verification rather than passing unseen.
        v_hash := encode(sha256(convert_to(concat_ws('|',
          v_head, v_id::text, leg ->> 'key', l_debit[i + 1]::text, l_credit[i + 1]::text, v_amount::text, leg ->> 'kind', l_state[i + 1],
          coalesce(l_pending[i + 1]::text, '-'),
          coalesce(floor(extract(epoch FROM v_expires) * 1000000)::bigint::text, '-'),
          v_meta::text,
          v_now_txt
        ), 'UTF8')), 'hex');
        t_id := t_id || v_id;
        t_key := t_key || (leg ->> 'key');
        t_debit := t_debit || l_debit[i + 1];
        t_credit := t_credit || l_credit[i + 1];
        t_amount := t_amount || v_amount;
        t_kind := t_kind || (leg ->> 'kind');
        t_state := t_state || l_state[i + 1];
        t_pending := t_pending || l_pending[i + 1];
        t_expires := t_expires || v_expires;
        t_meta := t_meta || v_meta;
        t_shard := t_shard || v_shard;
        t_seq := t_seq || v_seq;
        t_prev := t_prev || v_head;
        t_hash := t_hash || v_hash;
        v_head := v_hash;
        op_out := op_out || jsonb_build_object('id', v_id, 'key', leg ->> 'key', 'state', l_state[i + 1], 'amount', v_amount);
      END LOOP;
      ch_seq[k] := v_seq;
      ch_head[k] := v_head;
      batch_keys := batch_keys || op_keys;
      results := results || jsonb_build_object('ok', true, 'replayed', false, 'transfers', op_out);
    END IF;
  END LOOP;

  -- 6. Write what is left: transfers, the balances that changed, the chain heads that moved.
  IF cardinality(t_id) > 0 THEN
    INSERT INTO ledger_transfers (id, idempotency_key, debit_account_id, credit_account_id, amount, kind, state,
                                  pending_id, expires_at, metadata, created_at, chain_shard, chain_seq, prev_hash, hash)
    SELECT u.id, u.k, u.d, u.c, u.a, u.kind, u.st, u.p, u.x, u.m, v_now, u.sh, u.sq, u.pv, u.hs
    FROM unnest(t_id, t_key, t_debit, t_credit, t_amount, t_kind, t_state, t_pending, t_expires, t_meta, t_shard, t_seq, t_prev, t_hash)
      AS u(id, k, d, c, a, kind, st, p, x, m, sh, sq, pv, hs);
  END IF;
  UPDATE ledger_accounts a SET posted = u.posted, pending_debits = u.pd, pending_credits = u.pc
  FROM unnest(acc_ids, acc_posted, acc_pd, acc_pc) AS u(id, posted, pd, pc)
  WHERE a.id = u.id AND (a.posted, a.pending_debits, a.pending_credits) IS DISTINCT FROM (u.posted, u.pd, u.pc);
  UPDATE ledger_chains c SET seq = u.seq, head = u.head
  FROM unnest(ch_shards, ch_seq, ch_head) AS u(shard, seq, head)
  WHERE c.shard = u.shard AND c.seq <> u.seq;
  RETURN to_jsonb(results);
END $$;
