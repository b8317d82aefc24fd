import type { PayoutMethodStatus, PayoutProvider, PayoutSchedule, PayoutStatus } from '../../../../shared/payouts.js';
import type { Queryable } from '../../db/database.js';

export interface PayoutRow {
  id: string;
  creator_id: string;
  provider: PayoutProvider;
  credits: number;
  amount_minor: number;
  currency: string;
  status: PayoutStatus;
  reason: string | null;
  provider_ref: string | null;
  automatic: boolean;
  decided_by: string | null;
  requested_at: Date;
  updated_at: Date;
}

export interface MethodRow {
  creator_id: string;
  provider: PayoutProvider;
  account_ref: string;
  contact_ref: string | null;
  status: PayoutMethodStatus;
  details: Record<string, string>;
  updated_at: Date;
}

export interface ScheduleRow {
  creator_id: string;
  every: PayoutSchedule;
  provider: PayoutProvider;
  next_run_at: Date;
}

const COLUMNS = 'id, creator_id, provider, credits, amount_minor, currency, status, reason, provider_ref, automatic, decided_by, requested_at, updated_at';

/** payouts, payout_methods, payout_events, payout_schedules: the payouts module's tables. */
export class PayoutsStore {
  constructor(private readonly db: Queryable) {}

  async get(id: string, q: Queryable = this.db): Promise<PayoutRow | undefined> {
    const { rows } = await q.query<PayoutRow>(`SELECT ${COLUMNS} FROM payouts WHERE id = $1`, [id]);
    return rows[0];
  }

  async lock(q: Queryable, id: string): Promise<PayoutRow | undefined> {
    const { rows } = await q.query<PayoutRow>(`SELECT ${COLUMNS} FROM payouts WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0];
  }

  /** A creator's requests no admin has decided yet, locked (a ban rejects them). */
  /** A creator's payouts in these statuses, locked (a ban takes the requested and the approved ones). */
  async lockInStatus(q: Queryable, creatorId: string, statuses: PayoutStatus[]): Promise<PayoutRow[]> {
    const { rows } = await q.query<PayoutRow>(`SELECT ${COLUMNS} FROM payouts WHERE creator_id = $1 AND status = ANY($2::text[]) ORDER BY id FOR UPDATE`, [creatorId, statuses]);
    return rows;
  }

  async lockByRef(q: Queryable, provider: PayoutProvider, ref: string): Promise<PayoutRow | undefined> {
    const { rows } = await q.query<PayoutRow>(`SELECT ${COLUMNS} FROM payouts WHERE provider = $1 AND provider_ref = $2 FOR UPDATE`, [provider, ref]);
    return rows[0];
  }

  async insert(q: Queryable, p: { id: string; creatorId: string; provider: PayoutProvider; credits: number; amountMinor: number; currency: string; automatic: boolean }): Promise<PayoutRow> {
    const { rows } = await q.query<PayoutRow>(
      `INSERT INTO payouts (id, creator_id, provider, credits, amount_minor, currency, status, automatic)
       VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7) RETURNING ${COLUMNS}`,
      [p.id, p.creatorId, p.provider, p.credits, p.amountMinor, p.currency, p.automatic],
    );
    return rows[0]!;
  }

  async setStatus(q: Queryable, id: string, status: PayoutStatus, f: { reason?: string | null; providerRef?: string | null; decidedBy?: string | null } = {}): Promise<PayoutRow> {
    const { rows } = await q.query<PayoutRow>(
      `UPDATE payouts SET status = $2, reason = coalesce($3, reason), provider_ref = coalesce($4, provider_ref),
              decided_by = coalesce($5, decided_by), updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, status, f.reason ?? null, f.providerRef ?? null, f.decidedBy ?? null],
    );
    return rows[0]!;
  }

  /** The creator's payouts, newest first, after a cursor payout. */
  async listForCreator(creatorId: string, limit: number, cursor?: string): Promise<PayoutRow[]> {
    const { rows } = await this.db.query<PayoutRow>(
      `SELECT ${COLUMNS} FROM payouts WHERE creator_id = $1
         AND ($3::uuid IS NULL OR (requested_at, id) < (SELECT requested_at, id FROM payouts WHERE id = $3))
       ORDER BY requested_at DESC, id DESC LIMIT $2`,
      [creatorId, limit, cursor ?? null],
    );
    return rows;
  }

  /** One status, oldest first (the admin queue), after a cursor payout. */
  async queue(status: PayoutStatus, limit: number, cursor?: string): Promise<PayoutRow[]> {
    const { rows } = await this.db.query<PayoutRow>(
      `SELECT ${COLUMNS} FROM payouts WHERE status = $1
         AND ($3::uuid IS NULL OR (requested_at, id) > (SELECT requested_at, id FROM payouts WHERE id = $3))
       ORDER BY requested_at, id LIMIT $2`,
      [status, limit, cursor ?? null],
    );
    return rows;
  }

  /** Approved payouts whose sending has not been recorded a while after approval: their job may be lost. */
  async staleApproved(olderThan: Date, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM payouts WHERE status = 'approved' AND updated_at < $1 ORDER BY updated_at LIMIT $2`, [olderThan, limit]);
    return rows.map((r) => r.id);
  }

  async methods(creatorId: string, q: Queryable = this.db): Promise<MethodRow[]> {
    const { rows } = await q.query<MethodRow>(
      `SELECT creator_id, provider, account_ref, contact_ref, status, details, updated_at FROM payout_methods WHERE creator_id = $1 ORDER BY provider`,
      [creatorId],
    );
    return rows;
  }

  async method(creatorId: string, provider: PayoutProvider, q: Queryable = this.db): Promise<MethodRow | undefined> {
    return (await this.methods(creatorId, q)).find((m) => m.provider === provider);
  }

  async upsertMethod(m: { creatorId: string; provider: PayoutProvider; accountRef: string; contactRef: string | null; status: PayoutMethodStatus; details: Record<string, string> }): Promise<void> {
    await this.db.query(
      `INSERT INTO payout_methods (creator_id, provider, account_ref, contact_ref, status, details)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb)
       ON CONFLICT (creator_id, provider) DO UPDATE SET account_ref = EXCLUDED.account_ref, contact_ref = EXCLUDED.contact_ref,
         status = EXCLUDED.status, details = EXCLUDED.details, updated_at = now()`,
      [m.creatorId, m.provider, m.accountRef, m.contactRef, m.status, JSON.stringify(m.details)],
    );
  }

  /** A provider's word on an account (account.updated, or a retrieval). */
  async setMethodStatus(provider: PayoutProvider, accountRef: string, status: PayoutMethodStatus, q: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await q.query(`UPDATE payout_methods SET status = $3, updated_at = now() WHERE provider = $1 AND account_ref = $2`, [provider, accountRef, status]);
    return (rowCount ?? 0) > 0;
  }

  /** Records a delivery; false when it was recorded before (a replay). */
  async recordEvent(q: Queryable, provider: PayoutProvider, eventId: string, type: string): Promise<boolean> {
    const { rowCount } = await q.query(`INSERT INTO payout_events (provider, event_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [provider, eventId, type]);
    return (rowCount ?? 0) > 0;
  }

  async schedule(creatorId: string): Promise<ScheduleRow | undefined> {
    const { rows } = await this.db.query<ScheduleRow>(`SELECT creator_id, every, provider, next_run_at FROM payout_schedules WHERE creator_id = $1`, [creatorId]);
    return rows[0];
  }

  async setSchedule(creatorId: string, s: { every: PayoutSchedule; provider: PayoutProvider; nextRunAt: Date } | null): Promise<void> {
    if (!s) {
      await this.db.query(`DELETE FROM payout_schedules WHERE creator_id = $1`, [creatorId]);
      return;
    }
    await this.db.query(
      `INSERT INTO payout_schedules (creator_id, every, provider, next_run_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (creator_id) DO UPDATE SET every = EXCLUDED.every, provider = EXCLUDED.provider, next_run_at = EXCLUDED.next_run_at, updated_at = now()`,
      [creatorId, s.every, s.provider, s.nextRunAt],
    );
  }

  /** Due schedules, locked (another node's sweep skips them) until the caller's transaction ends. */
  async lockDueSchedules(q: Queryable, now: Date, limit: number): Promise<ScheduleRow[]> {
    const { rows } = await q.query<ScheduleRow>(
      `SELECT creator_id, every, provider, next_run_at FROM payout_schedules WHERE next_run_at <= $1 ORDER BY next_run_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    return rows;
  }

  async advanceSchedule(q: Queryable, creatorId: string, nextRunAt: Date): Promise<void> {
    await q.query(`UPDATE payout_schedules SET next_run_at = $2, updated_at = now() WHERE creator_id = $1`, [creatorId, nextRunAt]);
  }
}
