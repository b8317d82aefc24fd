import type { Queryable } from '../../db/database.js';
import type { OidcProviderName } from './oidc.js';

export type TicketPurpose = 'login' | 'signup' | 'link';

export interface OidcTicketRow {
  purpose: TicketPurpose;
  provider: OidcProviderName;
  subject: string;
  email: string | null;
  user_id: string | null;
}

/** Who signed in where (user_identities), and the flow's single-use tickets (oidc_tickets; only a SHA-256 is kept). */
export class OidcStore {
  constructor(private readonly db: Queryable) {}

  async userOf(provider: OidcProviderName, subject: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ user_id: string }>(`SELECT user_id FROM user_identities WHERE provider = $1 AND subject = $2`, [provider, subject]);
    return rows[0]?.user_id;
  }

  /** Links the identity to the user; false when it is linked already (to them or to someone else). */
  async link(i: { provider: OidcProviderName; subject: string; userId: string; email: string | null }, q: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await q.query(
      `INSERT INTO user_identities (provider, subject, user_id, email) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [i.provider, i.subject, i.userId, i.email],
    );
    return rowCount > 0;
  }

  /** The user's identities, oldest first, locked when `q` is a transaction (an unlink counts them). */
  async identitiesOf(userId: string, q: Queryable = this.db, lock = false): Promise<{ provider: OidcProviderName; email: string | null; created_at: Date }[]> {
    const { rows } = await q.query<{ provider: OidcProviderName; email: string | null; created_at: Date }>(
      `SELECT provider, email, created_at FROM user_identities WHERE user_id = $1 ORDER BY created_at${lock ? ' FOR UPDATE' : ''}`,
      [userId],
    );
    return rows;
  }

  async unlink(userId: string, provider: OidcProviderName, q: Queryable = this.db): Promise<number> {
    const { rowCount } = await q.query(`DELETE FROM user_identities WHERE user_id = $1 AND provider = $2`, [userId, provider]);
    return rowCount;
  }

  async insertTicket(t: { hash: string; ttlSeconds: number } & { purpose: TicketPurpose; provider: OidcProviderName; subject: string; email: string | null; userId: string | null }): Promise<void> {
    // Expired tickets are worthless: each insert sweeps a few, so the table never grows with abandoned flows.
    await this.db.query(`DELETE FROM oidc_tickets WHERE ticket_hash IN (SELECT ticket_hash FROM oidc_tickets WHERE expires_at < now() - interval '1 day' LIMIT 20)`);
    await this.db.query(
      `INSERT INTO oidc_tickets (ticket_hash, purpose, provider, subject, email, user_id, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))`,
      [t.hash, t.purpose, t.provider, t.subject, t.email, t.userId, t.ttlSeconds],
    );
  }

  /** Spends a ticket of `purpose` in one statement (of two concurrent uses one wins); a refusal says why. */
  async takeTicket(hash: string, purpose: TicketPurpose, q: Queryable = this.db): Promise<OidcTicketRow | 'unknown' | 'used' | 'expired'> {
    const { rows } = await q.query<OidcTicketRow & { taken: boolean; used: boolean }>(
      `WITH taken AS (
         UPDATE oidc_tickets SET used_at = now()
         WHERE ticket_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
         RETURNING purpose, provider, subject, email, user_id
       )
       SELECT purpose, provider, subject, email, user_id, true AS taken, false AS used FROM taken
       UNION ALL
       SELECT purpose, provider, subject, email, user_id, false, used_at IS NOT NULL FROM oidc_tickets
       WHERE ticket_hash = $1 AND purpose = $2 AND NOT EXISTS (SELECT 1 FROM taken)`,
      [hash, purpose],
    );
    const row = rows[0];
    if (!row) return 'unknown';
    if (row.taken) return { purpose: row.purpose, provider: row.provider, subject: row.subject, email: row.email, user_id: row.user_id };
    return row.used ? 'used' : 'expired';
  }
}
