import type { Queryable } from '../../db/database.js';
import type { JobPayloads } from '../../../../shared/jobs.js';

export class AuditStore {
  constructor(private readonly db: Queryable) {}

  /** Idempotent on the entry's key: a retried job writes one row. */
  async insert(e: JobPayloads['audit.record'], q: Queryable = this.db): Promise<void> {
    await q.query(
      `INSERT INTO audit_log (key, actor_id, action, ip, meta, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (key) DO NOTHING`,
      [e.key, e.actorId, e.action, e.ip, JSON.stringify(e.meta ?? {}), e.at],
    );
  }

  /** Many entries in one statement (the service's group commit), idempotent on each key. */
  async insertMany(entries: JobPayloads['audit.record'][]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.query(
      `INSERT INTO audit_log (key, actor_id, action, ip, meta, created_at)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[])
       ON CONFLICT (key) DO NOTHING`,
      [entries.map((e) => e.key), entries.map((e) => e.actorId), entries.map((e) => e.action), entries.map((e) => e.ip), entries.map((e) => JSON.stringify(e.meta ?? {})), entries.map((e) => e.at)],
    );
  }

  async listForActor(actorId: string): Promise<{ key: string; action: string; ip: string | null }[]> {
    const { rows } = await this.db.query<{ key: string; action: string; ip: string | null }>(
      `SELECT key, action, ip FROM audit_log WHERE actor_id = $1 ORDER BY id`,
      [actorId],
    );
    return rows;
  }
}
