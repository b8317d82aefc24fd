import type { Queryable } from '../../db/database.js';

export interface ExportRow {
  id: string;
  user_id: string;
  requested_at: Date;
  ready_at: Date | null;
  expires_at: Date;
}

const COLUMNS = 'id, user_id, requested_at, ready_at, expires_at';

/** Data exports (account_exports): the erasure module's one table. */
export class ErasureStore {
  constructor(private readonly db: Queryable) {}

  /**
   * A new export, unless the user asked for one since `since` (the daily allowance): one statement, so two
   * requests at once cannot both pass. Undefined when refused.
   */
  async insertUnlessSince(userId: string, since: Date, ttlDays: number): Promise<ExportRow | undefined> {
    const { rows } = await this.db.query<ExportRow>(
      `INSERT INTO account_exports (user_id, expires_at)
       SELECT $1::uuid, now() + make_interval(days => $3::int)
       WHERE pg_try_advisory_xact_lock(hashtext('account_exports:' || $1::text))
         AND NOT EXISTS (SELECT 1 FROM account_exports WHERE user_id = $1::uuid AND requested_at > $2::timestamptz)
       RETURNING ${COLUMNS}`,
      [userId, since, ttlDays],
    );
    return rows[0];
  }

  async get(id: string): Promise<ExportRow | undefined> {
    const { rows } = await this.db.query<ExportRow>(`SELECT ${COLUMNS} FROM account_exports WHERE id = $1`, [id]);
    return rows[0];
  }

  async archive(id: string): Promise<unknown> {
    const { rows } = await this.db.query<{ archive: unknown }>(`SELECT archive FROM account_exports WHERE id = $1`, [id]);
    return rows[0]?.archive;
  }

  /** Stores a built archive once: false when another run stored it first. */
  async finish(id: string, archive: unknown): Promise<boolean> {
    const res = await this.db.query(`UPDATE account_exports SET archive = $2, ready_at = now() WHERE id = $1 AND ready_at IS NULL`, [id, JSON.stringify(archive)]);
    return res.rowCount > 0;
  }

  async listOf(userId: string): Promise<ExportRow[]> {
    const { rows } = await this.db.query<ExportRow>(
      `SELECT ${COLUMNS} FROM account_exports WHERE user_id = $1 AND expires_at > now() ORDER BY requested_at DESC LIMIT 20`,
      [userId],
    );
    return rows;
  }

  /** Exports not built a minute after they were asked for: their job was lost. */
  async stale(limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM account_exports WHERE ready_at IS NULL AND requested_at < now() - interval '1 minute' AND expires_at > now() LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  async dropExpired(): Promise<number> {
    const res = await this.db.query(`DELETE FROM account_exports WHERE expires_at <= now()`);
    return res.rowCount;
  }
}
