import type { Queryable } from '../../db/database.js';
import type { JobFailure } from '../../jobs/jobs.js';

export interface DeadLetterRow {
  id: number;
  job_name: string;
  job_id: string;
  enqueued_at: Date;
  payload: unknown;
  error: string;
  attempts: number;
  stalled: boolean;
  failed_at: Date;
  retried_at: Date | null;
  retried_by: string | null;
}

export class DeadLettersStore {
  constructor(private readonly db: Queryable) {}

  /** False when this job's failure is already recorded (two listeners, or a repeated event). */
  async insert(f: JobFailure): Promise<boolean> {
    const res = await this.db.query(
      `INSERT INTO job_dead_letters (job_name, job_id, enqueued_at, payload, error, attempts, stalled)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (job_name, job_id, enqueued_at) DO NOTHING
       RETURNING id`,
      [f.name, f.jobId, f.enqueuedAt, JSON.stringify(f.payload ?? null), f.error.slice(0, 2000), f.attempts, f.stalled],
    );
    return res.rowCount > 0;
  }

  async list(f: { open: boolean; limit: number }): Promise<DeadLetterRow[]> {
    const { rows } = await this.db.query<DeadLetterRow>(
      `SELECT * FROM job_dead_letters WHERE ($1::boolean IS FALSE OR retried_at IS NULL) ORDER BY failed_at DESC, id DESC LIMIT $2`,
      [f.open, f.limit],
    );
    return rows;
  }

  /** Dead letters nobody has retried yet (the metric operators alert on). */
  async openCount(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM job_dead_letters WHERE retried_at IS NULL`);
    return rows[0]?.n ?? 0;
  }

  async get(id: number): Promise<DeadLetterRow | undefined> {
    const { rows } = await this.db.query<DeadLetterRow>(`SELECT * FROM job_dead_letters WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Deletes up to `limit` letters retried before `before`; how many went. */
  async pruneRetried(before: Date, limit: number): Promise<number> {
    const res = await this.db.query(
      `DELETE FROM job_dead_letters WHERE id IN (SELECT id FROM job_dead_letters WHERE retried_at < $1 ORDER BY id LIMIT $2)`,
      [before, limit],
    );
    return res.rowCount;
  }

  /** Marks it retried; false when it already was. */
  async markRetried(id: number, by: string): Promise<boolean> {
    const res = await this.db.query(`UPDATE job_dead_letters SET retried_at = now(), retried_by = $2 WHERE id = $1 AND retried_at IS NULL`, [id, by]);
    return res.rowCount > 0;
  }

  /** Marks retried the open dead letters of one job whose payload contains `match` (retried through another path). */
  async markRetriedWhere(jobName: string, match: Record<string, unknown>, by: string): Promise<void> {
    await this.db.query(
      `UPDATE job_dead_letters SET retried_at = now(), retried_by = $3 WHERE job_name = $1 AND payload @> $2::jsonb AND retried_at IS NULL`,
      [jobName, JSON.stringify(match), by],
    );
  }
}
