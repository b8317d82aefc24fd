import type { Queryable } from '../../db/database.js';

export interface Discrepancy {
  kind: string;
  provider: string;
  paymentId: string | null;
  providerRef: string | null;
  details: Record<string, unknown>;
}

export class ReconciliationStore {
  constructor(private readonly db: Queryable) {}

  async start(): Promise<number> {
    const { rows } = await this.db.query<{ id: number }>(`INSERT INTO reconciliation_runs DEFAULT VALUES RETURNING id`);
    return rows[0]!.id;
  }

  async finish(runId: number, discrepancies: Discrepancy[], summary: Record<string, unknown>): Promise<void> {
    if (discrepancies.length) {
      await this.db.query(
        `INSERT INTO reconciliation_discrepancies (run_id, kind, provider, payment_id, provider_ref, details)
         SELECT $1, d.kind, d.provider, d.payment_id, d.provider_ref, d.details
         FROM jsonb_to_recordset($2::jsonb) AS d(kind text, provider text, payment_id uuid, provider_ref text, details jsonb)`,
        [runId, JSON.stringify(discrepancies.map((d) => ({ kind: d.kind, provider: d.provider, payment_id: d.paymentId, provider_ref: d.providerRef, details: d.details })))],
      );
    }
    await this.db.query(`UPDATE reconciliation_runs SET finished_at = now(), summary = $2 WHERE id = $1`, [runId, JSON.stringify(summary)]);
  }

  async latest(): Promise<{ id: number; started_at: Date; finished_at: Date | null; summary: Record<string, unknown>; discrepancies: Discrepancy[] } | undefined> {
    const { rows } = await this.db.query<{ id: number; started_at: Date; finished_at: Date | null; summary: Record<string, unknown>; discrepancies: Discrepancy[] }>(
      `SELECT r.id, r.started_at, r.finished_at, r.summary,
         coalesce((SELECT jsonb_agg(jsonb_build_object('kind', d.kind, 'provider', d.provider, 'paymentId', d.payment_id,
                     'providerRef', d.provider_ref, 'details', d.details) ORDER BY d.id)
                   FROM reconciliation_discrepancies d WHERE d.run_id = r.id), '[]'::jsonb) AS discrepancies
       FROM reconciliation_runs r WHERE r.finished_at IS NOT NULL ORDER BY r.id DESC LIMIT 1`,
    );
    return rows[0];
  }
}
