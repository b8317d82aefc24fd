import type { Queryable } from '../../db/database.js';

/** A spend a wallet paid for, as seen by a clawback: its creator leg and how much of it earlier clawbacks covered. */
export interface PaidSpend {
  /** The wallet's leg (`<op>:creator` of a spend, `<op>:capture` of a call minute): the paging cursor. */
  wallet_leg_id: number;
  /** The creator leg `<op>:creator`. */
  id: number;
  key: string;
  kind: string;
  share: number;
  /** What the fan paid for it: the creator leg plus the fee leg `<op>:fee`. */
  gross: number;
  creator_id: string;
  /** The creator's earnings balance now (a clawback never takes it below zero: the account refuses). */
  earnings_balance: number;
  /** Gross of this spend already attributed to earlier refunds' debts. */
  covered: number;
}

/** SQL of the clawback (ledger.clawback.ts), in the refund's transaction. */
export class ClawbackStore {
  /**
   * Spends the wallet paid for after transfer `afterId` (the purchase being reversed), newest first, before a cursor.
   * A spend debits the wallet as `<op>:creator` (and `<op>:fee`); a call minute as `<op>:capture`, its creator leg
   * paid from escrow: both suffixes are 8 characters, so `left(key, -8)` is the operation either way.
   */
  async paidSpends(q: Queryable, walletCode: string, afterId: number, beforeWalletLegId: number | null, limit: number): Promise<PaidSpend[]> {
    const { rows } = await q.query<PaidSpend>(
      `SELECT w.id AS wallet_leg_id, c.id, c.idempotency_key AS key, c.kind, c.amount AS share,
              c.amount + coalesce(f.amount, 0) AS gross, ea.user_id AS creator_id, ea.posted AS earnings_balance,
              coalesce((SELECT sum((x.metadata ->> 'covered')::bigint) FROM ledger_transfers x
                        WHERE x.debit_account_id = ea.id AND x.kind = 'clawback' AND x.metadata ->> 'spendId' = c.id::text), 0)::bigint AS covered
       FROM ledger_transfers w
       JOIN ledger_transfers c ON c.idempotency_key = left(w.idempotency_key, -8) || ':creator'
       JOIN ledger_accounts ea ON ea.id = c.credit_account_id AND ea.kind = 'earnings'
       LEFT JOIN ledger_transfers f ON f.idempotency_key = left(w.idempotency_key, -8) || ':fee'
       WHERE w.debit_account_id = (SELECT id FROM ledger_accounts WHERE code = $1)
         AND w.state = 'posted' AND right(w.idempotency_key, 8) IN (':creator', ':capture')
         AND w.id > $2 AND ($3::bigint IS NULL OR w.id < $3)
       ORDER BY w.id DESC LIMIT $4`,
      [walletCode, afterId, beforeWalletLegId, limit],
    );
    return rows;
  }
}
