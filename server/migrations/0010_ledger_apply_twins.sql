-- Twins of one operation (a client retry racing its original, the same job on
-- two workers) used to be judged leg by leg while the other committed: under
-- READ COMMITTED each SELECT of step 1 sees what committed meanwhile, so the
-- first leg could read "absent" and the second "present" and the retry was
-- refused with IDEMPOTENCY_CONFLICT instead of replayed. Serialising twins on
-- their first leg's key (a transaction-level advisory lock, released at
-- commit) makes the later one wait and then see every leg: a clean replay.
-- Unrelated operations only meet on a hash collision, and then just wait.
ALTER FUNCTION ledger_apply(int, jsonb) RENAME TO ledger_apply_unserialised;

CREATE FUNCTION ledger_apply(p_shard int, p_legs jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
  -- 20506: this lock family's own namespace, apart from the migrations' and the swipes' locks.
  PERFORM pg_advisory_xact_lock(20506, hashtext(p_legs -> 0 ->> 'key'));
  RETURN ledger_apply_unserialised(p_shard, p_legs);
END $$;
