import type { Queryable } from '../../db/database.js';

export type TokenPurpose = 'verify_email' | 'reset_password' | 'email_change_new' | 'email_change_old';

export interface AccountTokenRow {
  user_id: string;
  purpose: TokenPurpose;
  email: string;
  email_change_id: string | null;
}

/** Why a token was not taken: each has its own error code. */
export type TokenRefusal = 'unknown' | 'used' | 'expired';

export interface EmailChangeRow {
  id: string;
  user_id: string;
  new_email: string;
  new_confirmed_at: Date | null;
  old_confirmed_at: Date | null;
  cancelled_at: Date | null;
  completed_at: Date | null;
}

/** Mailed single-use tokens (only their SHA-256 is kept), changes of address, and what a login notice compares with. */
export class AccountsStore {
  constructor(private readonly db: Queryable) {}

  async insertToken(t: { hash: string; userId: string; purpose: TokenPurpose; email: string; ttlSeconds: number; emailChangeId?: string }, q: Queryable = this.db): Promise<void> {
    await q.query(
      `INSERT INTO account_tokens (token_hash, user_id, purpose, email, email_change_id, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`,
      [t.hash, t.userId, t.purpose, t.email, t.emailChangeId ?? null, t.ttlSeconds],
    );
  }

  /**
   * Spends a token of one of `purposes`, in one statement: of two concurrent
   * uses the row lock lets one through. A refusal says why.
   */
  async takeToken(hash: string, purposes: TokenPurpose[], q: Queryable = this.db): Promise<AccountTokenRow | TokenRefusal> {
    const { rows } = await q.query<AccountTokenRow & { taken: boolean; used: boolean }>(
      `WITH taken AS (
         UPDATE account_tokens SET used_at = now()
         WHERE token_hash = $1 AND purpose = ANY($2::text[]) AND used_at IS NULL AND expires_at > now()
         RETURNING user_id, purpose, email, email_change_id
       )
       SELECT user_id, purpose, email, email_change_id, true AS taken, false AS used FROM taken
       UNION ALL
       SELECT user_id, purpose, email, email_change_id, false, used_at IS NOT NULL FROM account_tokens
       WHERE token_hash = $1 AND purpose = ANY($2::text[]) AND NOT EXISTS (SELECT 1 FROM taken)`,
      [hash, purposes],
    );
    const row = rows[0];
    if (!row) return 'unknown';
    if (row.taken) return { user_id: row.user_id, purpose: row.purpose, email: row.email, email_change_id: row.email_change_id };
    return row.used ? 'used' : 'expired';
  }

  /** A reset or a new request makes the user's older links of that purpose worthless. */
  async spendTokensOf(userId: string, purposes: TokenPurpose[], q: Queryable = this.db): Promise<void> {
    await q.query(`UPDATE account_tokens SET used_at = now() WHERE user_id = $1 AND purpose = ANY($2::text[]) AND used_at IS NULL`, [userId, purposes]);
  }

  /** Opens a change of address; any change still open for this user is cancelled (the newest request wins). */
  async openEmailChange(userId: string, newEmail: string, q: Queryable = this.db): Promise<string> {
    await q.query(`UPDATE email_changes SET cancelled_at = now() WHERE user_id = $1 AND completed_at IS NULL AND cancelled_at IS NULL`, [userId]);
    const { rows } = await q.query<{ id: string }>(`INSERT INTO email_changes (user_id, new_email) VALUES ($1, $2) RETURNING id`, [userId, newEmail]);
    return rows[0]!.id;
  }

  /** Records one side's confirmation of an open change (under its row lock) and returns the change as it now stands. */
  async confirmEmailChange(id: string, side: 'new' | 'old', q: Queryable = this.db): Promise<EmailChangeRow | undefined> {
    const column = side === 'new' ? 'new_confirmed_at' : 'old_confirmed_at';
    const { rows } = await q.query<EmailChangeRow>(
      `UPDATE email_changes SET ${column} = coalesce(${column}, now())
       WHERE id = $1 AND completed_at IS NULL AND cancelled_at IS NULL
       RETURNING id, user_id, new_email, new_confirmed_at, old_confirmed_at, cancelled_at, completed_at`,
      [id],
    );
    return rows[0];
  }

  async completeEmailChange(id: string, q: Queryable = this.db): Promise<void> {
    await q.query(`UPDATE email_changes SET completed_at = now() WHERE id = $1`, [id]);
  }

  /** Cancels an open change; false when it was completed or cancelled already. */
  async cancelEmailChange(id: string, q: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await q.query(
      `UPDATE email_changes SET cancelled_at = now() WHERE id = $1 AND completed_at IS NULL AND cancelled_at IS NULL`,
      [id],
    );
    if (rowCount > 0) await q.query(`UPDATE account_tokens SET used_at = now() WHERE email_change_id = $1 AND used_at IS NULL`, [id]);
    return rowCount > 0;
  }
}
