import type { Queryable } from '../../db/database.js';
import type { LoginRiskOutcome, PaymentRiskDecision } from '../../../../shared/risk.js';

export interface RiskLoginRow {
  id: string;
  user_id: string;
  created_at: Date;
  ip: string | null;
  device: string;
  country: string | null;
  lat: number | null;
  lon: number | null;
  score: number;
  reasons: string[];
  outcome: LoginRiskOutcome;
  passed_at: Date | null;
  confirm_hash: string | null;
  confirm_expires_at: Date | null;
  confirmed_at: Date | null;
}

export interface RiskPaymentRow {
  id: string;
  payment_id: string | null;
  user_id: string;
  created_at: Date;
  provider: string;
  pack_id: string;
  credits: number;
  amount_minor: string | number;
  currency: string;
  score: number;
  reasons: string[];
  decision: PaymentRiskDecision;
  decided_by: string | null;
  decided_at: Date | null;
  note: string | null;
}

/** The history a sign-in is compared with. */
export interface LoginHistory {
  devices: string[];
  countries: string[];
  last: { at: Date; country: string | null; lat: number | null; lon: number | null } | null;
  failures: number;
}

export class RiskStore {
  constructor(private readonly db: Queryable) {}

  async forget(userId: string): Promise<void> {
    await this.db.query(`DELETE FROM risk_logins WHERE user_id = $1`, [userId]);
  }

  /** Devices and countries of sign-ins that opened a session, the last such sign-in, and failed passwords in the window. */
  async loginHistory(userId: string, failureWindowSeconds: number): Promise<LoginHistory> {
    const { rows } = await this.db.query<{ devices: string[] | null; countries: string[] | null; last: LoginHistory['last'] | null; failures: number }>(
      `SELECT
         (SELECT array_agg(DISTINCT device) FROM risk_logins WHERE user_id = $1 AND passed_at IS NOT NULL) AS devices,
         (SELECT array_agg(DISTINCT country) FROM risk_logins WHERE user_id = $1 AND passed_at IS NOT NULL AND country IS NOT NULL) AS countries,
         (SELECT jsonb_build_object('at', passed_at, 'country', country, 'lat', lat, 'lon', lon)
            FROM risk_logins WHERE user_id = $1 AND passed_at IS NOT NULL ORDER BY passed_at DESC LIMIT 1) AS last,
         (SELECT count(*)::int FROM risk_logins
            WHERE user_id = $1 AND outcome = 'failed' AND created_at > now() - make_interval(secs => $2)) AS failures`,
      [userId, failureWindowSeconds],
    );
    const r = rows[0]!;
    const last = r.last ? { ...r.last, at: new Date(r.last.at as unknown as string) } : null;
    return { devices: r.devices ?? [], countries: r.countries ?? [], last, failures: r.failures };
  }

  async insertLogin(l: {
    userId: string;
    ip: string | null;
    device: string;
    place: { country: string; lat: number; lon: number } | null;
    score: number;
    reasons: string[];
    outcome: LoginRiskOutcome;
    passed: boolean;
    confirm?: { hash: string; ttlSeconds: number };
  }): Promise<RiskLoginRow> {
    const { rows } = await this.db.query<RiskLoginRow>(
      `INSERT INTO risk_logins (user_id, ip, device, country, lat, lon, score, reasons, outcome, passed_at, confirm_hash, confirm_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $10 THEN now() END, $11, now() + make_interval(secs => $12))
       RETURNING *`,
      [l.userId, l.ip, l.device, l.place?.country ?? null, l.place?.lat ?? null, l.place?.lon ?? null, l.score, l.reasons, l.outcome, l.passed, l.confirm?.hash ?? null, l.confirm?.ttlSeconds ?? 0],
    );
    return rows[0]!;
  }

  /**
   * A step-up of this user, device and address confirmed by mail and not yet
   * used: taken (it opens one session), so the sign-in goes through.
   */
  async takeConfirmed(userId: string, device: string, ip: string | null, outcomes: LoginRiskOutcome[]): Promise<RiskLoginRow | undefined> {
    const { rows } = await this.db.query<RiskLoginRow>(
      `UPDATE risk_logins SET passed_at = now()
       WHERE id = (
         SELECT id FROM risk_logins
         WHERE user_id = $1 AND device = $2 AND ip IS NOT DISTINCT FROM $3 AND outcome = ANY($4::text[])
           AND confirmed_at IS NOT NULL AND passed_at IS NULL AND confirm_expires_at > now()
         ORDER BY created_at DESC LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [userId, device, ip, outcomes],
    );
    return rows[0];
  }

  /**
   * An admin releases a held sign-in: confirmed as a mailed link would be, for `ttlSeconds`. Undefined when it
   * is not a held sign-in or was released already (two admins at once: one wins).
   */
  async release(id: string, ttlSeconds: number): Promise<RiskLoginRow | undefined> {
    const { rows } = await this.db.query<RiskLoginRow>(
      `UPDATE risk_logins SET confirmed_at = now(), confirm_expires_at = now() + make_interval(secs => $2)
       WHERE id = $1 AND outcome = 'held' AND confirmed_at IS NULL
       RETURNING *`,
      [id, ttlSeconds],
    );
    return rows[0];
  }

  /** A step-up mailed for this user, device and address that is still waiting (not answered yet, not expired). */
  async pendingConfirmation(userId: string, device: string, ip: string | null, withinSeconds: number): Promise<boolean> {
    const { rows } = await this.db.query(
      `SELECT 1 FROM risk_logins
       WHERE user_id = $1 AND device = $2 AND ip IS NOT DISTINCT FROM $3 AND outcome = 'email_confirmation'
         AND confirmed_at IS NULL AND confirm_expires_at > now() AND created_at > now() - make_interval(secs => $4)
       LIMIT 1`,
      [userId, device, ip, withinSeconds],
    );
    return rows.length > 0;
  }

  /** Marks a mailed confirmation answered: 'unknown', 'used' or 'expired' when it cannot be. */
  async confirm(hash: string): Promise<RiskLoginRow | 'unknown' | 'used' | 'expired'> {
    const { rows } = await this.db.query<RiskLoginRow>(
      `UPDATE risk_logins SET confirmed_at = now() WHERE confirm_hash = $1 AND confirmed_at IS NULL AND confirm_expires_at > now() RETURNING *`,
      [hash],
    );
    if (rows[0]) return rows[0];
    const { rows: state } = await this.db.query<{ confirmed: boolean; alive: boolean }>(
      `SELECT confirmed_at IS NOT NULL AS confirmed, confirm_expires_at > now() AS alive FROM risk_logins WHERE confirm_hash = $1`,
      [hash],
    );
    if (!state[0]) return 'unknown';
    return state[0].confirmed ? 'used' : 'expired';
  }

  /** A sign-in that stopped at a second factor went through it (the newest one still waiting, within the challenge's life). */
  async passSecondFactor(userId: string, withinSeconds: number): Promise<void> {
    await this.db.query(
      `UPDATE risk_logins SET passed_at = now()
       WHERE id = (SELECT id FROM risk_logins WHERE user_id = $1 AND outcome = 'two_factor' AND passed_at IS NULL
                     AND created_at > now() - make_interval(secs => $2) ORDER BY created_at DESC LIMIT 1)`,
      [userId, withinSeconds],
    );
  }

  async flaggedLogins(f: { outcome?: string; userId?: string; before?: string; limit: number }): Promise<RiskLoginRow[]> {
    const { rows } = await this.db.query<RiskLoginRow>(
      `SELECT * FROM risk_logins
       WHERE score > 0 AND ($1::text IS NULL OR outcome = $1) AND ($2::uuid IS NULL OR user_id = $2)
         AND ($3::timestamptz IS NULL OR created_at < $3)
       ORDER BY created_at DESC LIMIT $4`,
      [f.outcome ?? null, f.userId ?? null, f.before ?? null, f.limit],
    );
    return rows;
  }

  async insertPayment(
    p: { paymentId: string | null; userId: string; provider: string; packId: string; credits: number; amountMinor: number; currency: string; score: number; reasons: string[]; decision: PaymentRiskDecision },
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO risk_payments (payment_id, user_id, provider, pack_id, credits, amount_minor, currency, score, reasons, decision)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (payment_id) DO NOTHING`,
      [p.paymentId, p.userId, p.provider, p.packId, p.credits, p.amountMinor, p.currency, p.score, p.reasons, p.decision],
    );
  }

  /** The assessment of a payment, locked for the rest of the transaction (an admin's decision). */
  async lockPayment(q: Queryable, paymentId: string): Promise<RiskPaymentRow | undefined> {
    const { rows } = await q.query<RiskPaymentRow>(`SELECT * FROM risk_payments WHERE payment_id = $1 FOR UPDATE`, [paymentId]);
    return rows[0];
  }

  async decidePayment(q: Queryable, paymentId: string, d: { decision: 'approved' | 'rejected'; adminId: string; note: string | null }): Promise<RiskPaymentRow> {
    const { rows } = await q.query<RiskPaymentRow>(
      `UPDATE risk_payments SET decision = $2, decided_by = $3, decided_at = now(), note = $4 WHERE payment_id = $1 RETURNING *`,
      [paymentId, d.decision, d.adminId, d.note],
    );
    return rows[0]!;
  }

  async flaggedPayments(f: { decision: string; before?: string; limit: number }): Promise<RiskPaymentRow[]> {
    const { rows } = await this.db.query<RiskPaymentRow>(
      `SELECT * FROM risk_payments
       WHERE score > 0 AND decision = $1 AND ($2::timestamptz IS NULL OR created_at < $2)
       ORDER BY created_at DESC LIMIT $3`,
      [f.decision, f.before ?? null, f.limit],
    );
    return rows;
  }
}
