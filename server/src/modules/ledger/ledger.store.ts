import type { Queryable } from '../../db/database.js';

export type Leg =
  | { op: 'post' | 'hold'; key: string; debit: string; credit: string; amount: number; kind: string; metadata?: object; ttl?: number }
  | { op: 'post_hold' | 'void_hold'; key: string; hold: string; amount: number; kind: string; metadata?: object };

export interface ApplyResult {
  replayed: boolean;
  transfers: { id: number; key: string; state: 'pending' | 'posted' | 'voided'; amount: number }[];
}

export interface AccountRow {
  id: number;
  code: string;
  kind: string;
  user_id: string | null;
  posted: number;
  pending_debits: number;
  pending_credits: number;
  flagged_reason: string | null;
}

export interface TransferRow {
  id: number;
  idempotency_key: string;
  debit: string;
  credit: string;
  amount: number;
  kind: string;
  state: 'pending' | 'posted' | 'voided';
  pending_id: number | null;
  expires_at: Date | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

/** One operation of a batch: its legs on its chain shard (ledger_apply_batch.sql). */
export interface BatchOp {
  shard: number;
  legs: Leg[];
}

/** One operation's outcome in a batch: applied or replayed, or refused with a code (nothing of it written). */
export type BatchResult = ({ ok: true } & ApplyResult) | { ok: false; code: string; detail: string | null };

const TRANSFER_COLUMNS = `t.id, t.idempotency_key, d.code AS debit, c.code AS credit, t.amount, t.kind, t.state,
  t.pending_id, t.expires_at, t.metadata, t.created_at`;

/** SQL of the ledger. The money path itself is one call of ledger_apply (server/sql/ledger/ledger_apply.sql). */
export class LedgerStore {
  constructor(private readonly db: Queryable) {}

  /** Keeps a scheduled verification's result (the last 100 runs). */
  async recordVerification(ok: boolean, report: unknown): Promise<void> {
    await this.db.query(
      `WITH ins AS (INSERT INTO ledger_verifications (ok, report) VALUES ($1, $2::jsonb))
       DELETE FROM ledger_verifications WHERE id <= (SELECT max(id) - 100 FROM ledger_verifications)`,
      [ok, JSON.stringify(report)],
    );
  }

  /** The last scheduled verification: whether it passed and how long ago it ran. */
  async lastVerification(): Promise<{ ok: boolean; age_seconds: number } | undefined> {
    const { rows } = await this.db.query<{ ok: boolean; age_seconds: number }>(
      `SELECT ok, extract(epoch FROM now() - checked_at)::float8 AS age_seconds FROM ledger_verifications ORDER BY checked_at DESC LIMIT 1`,
    );
    return rows[0];
  }

  async apply(shard: number, legs: Leg[], q: Queryable = this.db): Promise<ApplyResult> {
    const { rows } = await q.query<{ r: ApplyResult }>('SELECT ledger_apply($1, $2::jsonb) AS r', [shard, JSON.stringify(legs)]);
    return rows[0]!.r;
  }

  /**
   * Many operations in one statement (one transaction when `q` is the pool): every lock taken up front in a
   * fixed order. `atomic`: the first refusal raises its code and nothing is written; otherwise each
   * operation gets its own result.
   */
  async applyBatch(ops: BatchOp[], atomic: boolean, q: Queryable = this.db): Promise<BatchResult[]> {
    const { rows } = await q.query<{ r: BatchResult[] }>('SELECT ledger_apply_batch($1::jsonb, $2) AS r', [JSON.stringify(ops), atomic]);
    return rows[0]!.r;
  }

  /**
   * Locks an account row for the rest of the transaction (creating it if new) and returns it.
   * Two statements: a row created by ledger_account_id is not visible to the statement that called it.
   */
  async lockAccount(code: string, q: Queryable): Promise<AccountRow> {
    const created = await q.query<{ id: number }>(`SELECT ledger_account_id($1) AS id`, [code]);
    const { rows } = await q.query<AccountRow>(
      `SELECT id, code, kind, user_id, posted, pending_debits, pending_credits, flagged_reason
       FROM ledger_accounts WHERE id = $1 FOR UPDATE`,
      [created.rows[0]!.id],
    );
    return rows[0]!;
  }

  async account(code: string, q: Queryable = this.db): Promise<AccountRow | undefined> {
    const { rows } = await q.query<AccountRow>(
      `SELECT id, code, kind, user_id, posted, pending_debits, pending_credits, flagged_reason
       FROM ledger_accounts WHERE code = $1`,
      [code],
    );
    return rows[0];
  }

  async accountsByCodes(codes: string[]): Promise<AccountRow[]> {
    const { rows } = await this.db.query<AccountRow>(
      `SELECT id, code, kind, user_id, posted, pending_debits, pending_credits, flagged_reason
       FROM ledger_accounts WHERE code = ANY($1::text[])`,
      [codes],
    );
    return rows;
  }

  async flag(code: string, reason: string | null, q: Queryable = this.db): Promise<void> {
    await q.query(`UPDATE ledger_accounts SET flagged_reason = $2 WHERE code = $1`, [code, reason]);
  }

  /** Transfers touching one account, newest first, keyset-paginated by id. */
  async transfersOf(code: string, beforeId: number | null, limit: number): Promise<TransferRow[]> {
    const { rows } = await this.db.query<TransferRow>(
      `SELECT ${TRANSFER_COLUMNS}
       FROM ledger_transfers t
       JOIN ledger_accounts d ON d.id = t.debit_account_id
       JOIN ledger_accounts c ON c.id = t.credit_account_id
       WHERE t.id IN (
         (SELECT id FROM ledger_transfers WHERE debit_account_id = (SELECT id FROM ledger_accounts WHERE code = $1)
            AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3)
         UNION ALL
         (SELECT id FROM ledger_transfers WHERE credit_account_id = (SELECT id FROM ledger_accounts WHERE code = $1)
            AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3)
       )
       ORDER BY t.id DESC LIMIT $3`,
      [code, beforeId, limit],
    );
    return rows;
  }

  async searchTransfers(f: {
    accountCode?: string;
    kind?: string;
    keyPrefix?: string;
    beforeId: number | null;
    limit: number;
  }): Promise<TransferRow[]> {
    const { rows } = await this.db.query<TransferRow>(
      `SELECT ${TRANSFER_COLUMNS}
       FROM ledger_transfers t
       JOIN ledger_accounts d ON d.id = t.debit_account_id
       JOIN ledger_accounts c ON c.id = t.credit_account_id
       WHERE ($1::text IS NULL OR d.code = $1 OR c.code = $1)
         AND ($2::text IS NULL OR t.kind = $2)
         AND ($3::text IS NULL OR t.idempotency_key LIKE replace(replace($3, '%', '\\%'), '_', '\\_') || '%')
         AND ($4::bigint IS NULL OR t.id < $4)
       ORDER BY t.id DESC LIMIT $5`,
      [f.accountCode ?? null, f.kind ?? null, f.keyPrefix ?? null, f.beforeId, f.limit],
    );
    return rows;
  }

  async transferByKey(key: string, q: Queryable = this.db): Promise<TransferRow | undefined> {
    const { rows } = await q.query<TransferRow>(
      `SELECT ${TRANSFER_COLUMNS}
       FROM ledger_transfers t
       JOIN ledger_accounts d ON d.id = t.debit_account_id
       JOIN ledger_accounts c ON c.id = t.credit_account_id
       WHERE t.idempotency_key = $1`,
      [key],
    );
    return rows[0];
  }

  async isResolved(holdId: number, q: Queryable = this.db): Promise<boolean> {
    const { rows } = await q.query(`SELECT 1 FROM ledger_transfers WHERE pending_id = $1`, [holdId]);
    return rows.length > 0;
  }

  async transfersByKeys(keys: string[]): Promise<Map<string, TransferRow>> {
    if (keys.length === 0) return new Map();
    const { rows } = await this.db.query<TransferRow>(
      `SELECT ${TRANSFER_COLUMNS}
       FROM ledger_transfers t
       JOIN ledger_accounts d ON d.id = t.debit_account_id
       JOIN ledger_accounts c ON c.id = t.credit_account_id
       WHERE t.idempotency_key = ANY($1::text[])`,
      [keys],
    );
    return new Map(rows.map((r) => [r.idempotency_key, r]));
  }

  /** Holds past their expiry that nothing has posted or voided yet. */
  async expiredHolds(limit: number): Promise<{ key: string; amount: number; shard: number }[]> {
    const { rows } = await this.db.query<{ key: string; amount: number; shard: number }>(
      `SELECT h.idempotency_key AS key, h.amount, h.chain_shard AS shard
       FROM ledger_transfers h
       WHERE h.state = 'pending' AND h.expires_at <= now()
         AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = h.id)
       ORDER BY h.expires_at LIMIT $1`,
      [limit],
    );
    return rows;
  }

  /** Transfers whose hash or link does not match what the chain says. */
  async brokenChainLinks(): Promise<{ id: number; shard: number; seq: number; problem: string }[]> {
    const { rows } = await this.db.query<{ id: number; shard: number; seq: number; problem: string }>(
      `WITH ordered AS (
         SELECT t.*, lag(t.hash) OVER w AS expected_prev, lag(t.chain_seq) OVER w AS prev_seq
         FROM ledger_transfers t
         WINDOW w AS (PARTITION BY chain_shard ORDER BY chain_seq)
       )
       SELECT id, chain_shard AS shard, chain_seq AS seq,
         CASE
           WHEN hash <> ledger_hash(prev_hash, id, idempotency_key, debit_account_id, credit_account_id, amount, kind,
                                    state, pending_id, expires_at, metadata, created_at) THEN 'hash_mismatch'
           WHEN expected_prev IS NULL AND prev_hash <> 'genesis:' || chain_shard THEN 'bad_genesis'
           WHEN expected_prev IS NOT NULL AND prev_hash <> expected_prev THEN 'broken_link'
           WHEN prev_seq IS NOT NULL AND chain_seq <> prev_seq + 1 THEN 'sequence_gap'
         END AS problem
       FROM ordered
       WHERE hash <> ledger_hash(prev_hash, id, idempotency_key, debit_account_id, credit_account_id, amount, kind,
                                 state, pending_id, expires_at, metadata, created_at)
          OR (expected_prev IS NULL AND prev_hash <> 'genesis:' || chain_shard)
          OR (expected_prev IS NOT NULL AND prev_hash <> expected_prev)
          OR (prev_seq IS NOT NULL AND chain_seq <> prev_seq + 1)
       ORDER BY id`,
    );
    return rows;
  }

  /** Chains whose head row does not match their last transfer (a deleted tail). */
  async chainHeadMismatches(): Promise<{ shard: number; problem: string }[]> {
    const { rows } = await this.db.query<{ shard: number; problem: string }>(
      `SELECT c.shard, 'head_mismatch' AS problem
       FROM ledger_chains c
       LEFT JOIN LATERAL (SELECT hash, chain_seq FROM ledger_transfers WHERE chain_shard = c.shard ORDER BY chain_seq DESC LIMIT 1) t ON true
       WHERE c.seq <> coalesce(t.chain_seq, 0) OR (t.hash IS NOT NULL AND c.head <> t.hash)`,
    );
    return rows;
  }

  /** Accounts whose stored balances differ from the sums of their transfers. */
  async balanceMismatches(): Promise<
    { id: number; code: string; posted: number; expected_posted: number; pending_debits: number; expected_pending_debits: number }[]
  > {
    const { rows } = await this.db.query<{
      id: number;
      code: string;
      posted: number;
      expected_posted: number;
      pending_debits: number;
      expected_pending_debits: number;
    }>(
      `WITH open_holds AS (
         SELECT h.* FROM ledger_transfers h
         WHERE h.state = 'pending' AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = h.id)
       ), sums AS (
         SELECT a.id,
           coalesce((SELECT sum(amount) FROM ledger_transfers WHERE credit_account_id = a.id AND state = 'posted'), 0)
             - coalesce((SELECT sum(amount) FROM ledger_transfers WHERE debit_account_id = a.id AND state = 'posted'), 0) AS expected_posted,
           coalesce((SELECT sum(amount) FROM open_holds WHERE debit_account_id = a.id), 0) AS expected_pending_debits,
           coalesce((SELECT sum(amount) FROM open_holds WHERE credit_account_id = a.id), 0) AS expected_pending_credits
         FROM ledger_accounts a
       )
       SELECT a.id, a.code, a.posted, s.expected_posted::bigint AS expected_posted,
              a.pending_debits, s.expected_pending_debits::bigint AS expected_pending_debits
       FROM ledger_accounts a JOIN sums s ON s.id = a.id
       WHERE a.posted <> s.expected_posted OR a.pending_debits <> s.expected_pending_debits
          OR a.pending_credits <> s.expected_pending_credits
       ORDER BY a.id`,
    );
    return rows;
  }

  /** Sum of every account's posted balance: zero while no money was created or destroyed. */
  async totalPosted(): Promise<number> {
    const { rows } = await this.db.query<{ total: number }>(`SELECT coalesce(sum(posted), 0)::bigint AS total FROM ledger_accounts`);
    return rows[0]!.total;
  }
}
