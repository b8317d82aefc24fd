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

  /** The audit-log view: newest first, by actor, by target (the user an entry is about: meta.userId) and by action. */
  async search(f: { actorId?: string; targetId?: string; action?: string; beforeId: number | null; limit: number }): Promise<AuditRow[]> {
    const { rows } = await this.db.query<AuditRow>(
      `SELECT id, actor_id, action, meta ->> 'userId' AS target_id, ip, meta, created_at FROM audit_log
       WHERE ($1::uuid IS NULL OR actor_id = $1) AND ($2::text IS NULL OR meta ->> 'userId' = $2)
         AND ($3::text IS NULL OR action = $3) AND ($4::bigint IS NULL OR id < $4)
       ORDER BY id DESC LIMIT $5`,
      [f.actorId ?? null, f.targetId ?? null, f.action ?? null, f.beforeId, f.limit],
    );
    return rows;
  }
}

export interface AuditRow {
  id: number;
  actor_id: string | null;
  action: string;
  target_id: string | null;
  ip: string | null;
  meta: Record<string, unknown>;
  created_at: Date;
}
