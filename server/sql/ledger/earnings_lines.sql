/*
 * Published by the ledger for the earnings module: every posted transfer into or out of a
 * user's earnings account, one row each, signed from the creator's side.
 *   credit (a spend's creator leg `<op>:creator`): share > 0, gross = share + the op's fee leg
 *     `<op>:fee` (found by its unique key), so a statement shows what the fan paid.
 *   debit (a clawback, later a payout): share < 0; a clawback's metadata names the spend's kind
 *     (spend_kind) and the gross of the spend it covered.
 * Payouts (kinds payout, payout_return) are lines too: the request a debit, the return of a payout that
 * did not reach the creator a credit; neither is inside the hold (earned_at -infinity).
 * earned_at is when the money counted as earned, for the hold: a credit's own time; a clawback's
 * spend's time (taking back a pending spend lowers pending, not available); -infinity for any other
 * debit (a payout is taken from available whenever it happens).
 * A plain view over UNION ALL: a caller's `creator_id = $1 AND created_at >= …` is pushed into
 * both branches (the account by ledger_accounts_user_idx, its transfers by the
 * (account, created_at) indexes of 0022).
 */
CREATE OR REPLACE VIEW earnings_lines AS
SELECT a.user_id AS creator_id, t.id, t.created_at, t.kind, t.kind AS spend_kind,
       t.amount AS share, t.amount + coalesce(f.amount, 0) AS gross, coalesce(f.amount, 0) AS fee,
       t.idempotency_key AS key, CASE WHEN t.kind = 'payout_return' THEN '-infinity'::timestamptz ELSE t.created_at END AS earned_at
FROM ledger_accounts a
JOIN ledger_transfers t ON t.credit_account_id = a.id
LEFT JOIN ledger_transfers f ON right(t.idempotency_key, 8) = ':creator' AND f.idempotency_key = left(t.idempotency_key, -8) || ':fee'
WHERE a.kind = 'earnings' AND t.state = 'posted'
UNION ALL
SELECT a.user_id, t.id, t.created_at, t.kind, coalesce(t.metadata ->> 'spendKind', t.kind),
       -t.amount, -coalesce((t.metadata ->> 'covered')::bigint, t.amount),
       -(coalesce((t.metadata ->> 'covered')::bigint, t.amount) - t.amount),
       t.idempotency_key, coalesce(s.created_at, '-infinity'::timestamptz)
FROM ledger_accounts a
JOIN ledger_transfers t ON t.debit_account_id = a.id
LEFT JOIN ledger_transfers s ON t.kind = 'clawback' AND s.id = (t.metadata ->> 'spendId')::bigint
WHERE a.kind = 'earnings' AND t.state = 'posted';
