import type { Queryable } from '../../db/database.js';
import type { ProviderName } from '../../../../shared/payments.js';

export interface PaymentRow {
  id: string;
  user_id: string;
  provider: ProviderName;
  provider_ref: string | null;
  /** The provider's payment object where it differs from provider_ref's checkout object (a Stripe Checkout Session's PaymentIntent), once an event named it. */
  provider_payment_ref: string | null;
  idempotency_key: string;
  pack_id: string;
  credits: number;
  amount_minor: number;
  currency: string;
  status: string;
  credited: boolean;
  refunded_minor: number;
  disputed: boolean;
  reversed_credits: number;
  client: Record<string, unknown> | null;
  error: string | null;
  /** Risk scoring's hold: see payment-state.ts. */
  risk_hold: 'none' | 'held' | 'approved' | 'rejected';
  captured_while_held: boolean;
  created_at: Date;
}

export interface PaymentEventRow {
  provider: ProviderName;
  event_id: string;
  type: string;
  payload: unknown;
  status: 'pending' | 'processed' | 'ignored' | 'dead';
  attempts: number;
  last_error: string | null;
  received_at: Date;
}

export class PaymentsStore {
  constructor(private readonly db: Queryable) {}

  /** Returns undefined when this user already used the idempotency key. */
  async insert(p: { userId: string; provider: ProviderName; key: string; packId: string; credits: number; amountMinor: number; currency: string; held: boolean }): Promise<PaymentRow | undefined> {
    const { rows } = await this.db.query<PaymentRow>(
      `INSERT INTO payments (user_id, provider, idempotency_key, pack_id, credits, amount_minor, currency, status, risk_hold)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'creating', CASE WHEN $8 THEN 'held' ELSE 'none' END)
       ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING *`,
      [p.userId, p.provider, p.key, p.packId, p.credits, p.amountMinor, p.currency, p.held],
    );
    return rows[0];
  }

  /** What risk scoring asks of a payer's purchases: checkouts in the last hour and day, refunds, chargebacks, other providers used in 30 days. */
  async riskFacts(userId: string, provider: ProviderName): Promise<{ last_hour: number; last_day: number; refunds: number; chargebacks: number; other_providers: number }> {
    const { rows } = await this.db.query<{ last_hour: number; last_day: number; refunds: number; chargebacks: number; other_providers: number }>(
      `SELECT count(*) FILTER (WHERE created_at > now() - interval '1 hour')::int AS last_hour,
              count(*) FILTER (WHERE created_at > now() - interval '1 day')::int AS last_day,
              count(*) FILTER (WHERE refunded_minor > 0)::int AS refunds,
              count(*) FILTER (WHERE disputed)::int AS chargebacks,
              count(DISTINCT provider) FILTER (WHERE created_at > now() - interval '30 days' AND provider <> $2)::int AS other_providers
       FROM payments WHERE user_id = $1`,
      [userId, provider],
    );
    return rows[0]!;
  }

  async lockById(q: Queryable, id: string): Promise<PaymentRow | undefined> {
    const { rows } = await q.query<PaymentRow>(`SELECT * FROM payments WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0];
  }

  /** An admin's decision on a held payment; a rejected one already captured gets status 'rejected' (its money to refund at the provider). */
  async setHold(q: Queryable, id: string, hold: 'approved' | 'rejected'): Promise<void> {
    await q.query(
      `UPDATE payments SET risk_hold = $2, status = CASE WHEN $2 = 'rejected' AND captured_while_held THEN 'rejected' ELSE status END, updated_at = now()
       WHERE id = $1`,
      [id, hold],
    );
  }

  async byUserKey(userId: string, key: string): Promise<PaymentRow | undefined> {
    const { rows } = await this.db.query<PaymentRow>(`SELECT * FROM payments WHERE user_id = $1 AND idempotency_key = $2`, [userId, key]);
    return rows[0];
  }

  async byId(id: string, q: Queryable = this.db): Promise<PaymentRow | undefined> {
    const { rows } = await q.query<PaymentRow>(`SELECT * FROM payments WHERE id = $1`, [id]);
    return rows[0];
  }

  async opened(id: string, ref: string, client: Record<string, unknown>): Promise<PaymentRow> {
    const { rows } = await this.db.query<PaymentRow>(
      `UPDATE payments SET provider_ref = $2, client = $3, status = CASE WHEN status = 'creating' THEN 'pending' ELSE status END, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [id, ref, JSON.stringify(client)],
    );
    return rows[0]!;
  }

  async openFailed(id: string, error: string): Promise<void> {
    await this.db.query(`UPDATE payments SET status = 'error', error = $2, updated_at = now() WHERE id = $1 AND status = 'creating'`, [id, error.slice(0, 500)]);
  }

  /** The payment an event is about (by the object it names, else by our id it carries), locked for the rest of the transaction. */
  async lockForEvent(q: Queryable, provider: ProviderName, ref: string, paymentId: string | undefined): Promise<PaymentRow | undefined> {
    const { rows } = await q.query<PaymentRow>(
      `SELECT * FROM payments
       WHERE provider = $1 AND (provider_ref = $2 OR provider_payment_ref = $2 OR ($3::uuid IS NOT NULL AND id = $3::uuid))
       ORDER BY coalesce(provider_ref = $2 OR provider_payment_ref = $2, false) DESC LIMIT 1 FOR UPDATE`,
      [provider, ref, paymentId && /^[0-9a-f-]{36}$/i.test(paymentId) ? paymentId : null],
    );
    return rows[0];
  }

  async update(
    q: Queryable,
    id: string,
    patch: {
      status: string;
      credited: boolean;
      refundedMinor: number;
      disputed: boolean;
      reversedCredits: number;
      providerRef: string;
      providerPaymentRef: string | undefined;
      error: string | null;
      capturedWhileHeld: boolean;
    },
  ): Promise<void> {
    await q.query(
      `UPDATE payments SET status = $2, credited = $3, refunded_minor = $4, disputed = $5, reversed_credits = $6,
         provider_ref = coalesce(provider_ref, $7), provider_payment_ref = coalesce(provider_payment_ref, $9), error = $8,
         captured_while_held = $10, updated_at = now()
       WHERE id = $1`,
      [id, patch.status, patch.credited, patch.refundedMinor, patch.disputed, patch.reversedCredits, patch.providerRef, patch.error, patch.providerPaymentRef ?? null, patch.capturedWhileHeld],
    );
  }

  async list(f: { status?: string; provider?: string; userId?: string; before?: Date; limit: number }): Promise<PaymentRow[]> {
    const { rows } = await this.db.query<PaymentRow>(
      `SELECT * FROM payments
       WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR provider = $2) AND ($3::uuid IS NULL OR user_id = $3)
         AND ($4::timestamptz IS NULL OR created_at < $4)
       ORDER BY created_at DESC LIMIT $5`,
      [f.status ?? null, f.provider ?? null, f.userId ?? null, f.before ?? null, f.limit],
    );
    return rows;
  }

  async createdSince(provider: ProviderName, since: Date): Promise<PaymentRow[]> {
    const { rows } = await this.db.query<PaymentRow>(`SELECT * FROM payments WHERE provider = $1 AND created_at >= $2`, [provider, since]);
    return rows;
  }

  /** Stores a verified event once; returns false when it was already stored (a redelivery). */
  async storeEvent(e: { provider: ProviderName; id: string; type: string; payload: unknown }): Promise<{ inserted: boolean; status: string }> {
    const { rows } = await this.db.query<{ inserted: boolean; status: string }>(
      `WITH ins AS (
         INSERT INTO payment_events (provider, event_id, type, payload) VALUES ($1, $2, $3, $4)
         ON CONFLICT (provider, event_id) DO NOTHING RETURNING status
       )
       SELECT true AS inserted, status FROM ins
       UNION ALL
       SELECT false, status FROM payment_events WHERE provider = $1 AND event_id = $2 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [e.provider, e.id, e.type, JSON.stringify(e.payload)],
    );
    return rows[0] ?? { inserted: false, status: 'pending' };
  }

  async event(provider: string, eventId: string, q: Queryable = this.db): Promise<PaymentEventRow | undefined> {
    const { rows } = await q.query<PaymentEventRow>(`SELECT * FROM payment_events WHERE provider = $1 AND event_id = $2 FOR UPDATE`, [provider, eventId]);
    return rows[0];
  }

  async markEvent(q: Queryable, provider: string, eventId: string, status: 'processed' | 'ignored'): Promise<void> {
    await q.query(`UPDATE payment_events SET status = $3, processed_at = now(), attempts = attempts + 1, last_error = NULL WHERE provider = $1 AND event_id = $2`, [provider, eventId, status]);
  }

  async eventFailed(provider: string, eventId: string, error: string, dead: boolean): Promise<void> {
    await this.db.query(
      `UPDATE payment_events SET attempts = attempts + 1, last_error = $3, status = CASE WHEN $4 THEN 'dead' ELSE status END
       WHERE provider = $1 AND event_id = $2 AND status IN ('pending', 'dead')`,
      [provider, eventId, error.slice(0, 1000), dead],
    );
  }

  /** Dead-letters an event whose job died without its handler deciding (it stalled too often). */
  async markDead(provider: string, eventId: string, error: string): Promise<void> {
    await this.db.query(
      `UPDATE payment_events SET status = 'dead', last_error = $3 WHERE provider = $1 AND event_id = $2 AND status = 'pending'`,
      [provider, eventId, error.slice(0, 1000)],
    );
  }

  async deadEvents(limit: number): Promise<PaymentEventRow[]> {
    const { rows } = await this.db.query<PaymentEventRow>(`SELECT * FROM payment_events WHERE status = 'dead' ORDER BY received_at DESC LIMIT $1`, [limit]);
    return rows;
  }

  /** Moves a dead event back to pending; false when it is not dead. */
  async revive(provider: string, eventId: string): Promise<boolean> {
    const res = await this.db.query(`UPDATE payment_events SET status = 'pending', last_error = NULL WHERE provider = $1 AND event_id = $2 AND status = 'dead' RETURNING 1`, [provider, eventId]);
    return res.rowCount > 0;
  }

  /** Events stored but not processed for a while (their job was lost): to enqueue again. */
  async stalePending(olderThanSeconds: number, limit: number): Promise<{ provider: ProviderName; event_id: string }[]> {
    const { rows } = await this.db.query<{ provider: ProviderName; event_id: string }>(
      `SELECT provider, event_id FROM payment_events WHERE status = 'pending' AND received_at < now() - make_interval(secs => $1) ORDER BY received_at LIMIT $2`,
      [olderThanSeconds, limit],
    );
    return rows;
  }

  /**
   * What operators watch (the payments metrics): checkouts of the last hour by status and provider, and
   * webhook events by how far behind their processing is (pending: the oldest's age; dead: how many).
   */
  async health(): Promise<{ checkouts: { provider: string; status: string; n: number }[]; pending: number; oldest_pending_seconds: number; dead: number }> {
    const [checkouts, events] = await Promise.all([
      this.db.query<{ provider: string; status: string; n: number }>(
        `SELECT provider, status, count(*)::int AS n FROM payments WHERE created_at > now() - interval '1 hour' GROUP BY provider, status`,
      ),
      this.db.query<{ pending: number; oldest_pending_seconds: number; dead: number }>(
        `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
                coalesce(extract(epoch FROM now() - min(received_at) FILTER (WHERE status = 'pending')), 0)::float8 AS oldest_pending_seconds,
                count(*) FILTER (WHERE status = 'dead')::int AS dead
         FROM payment_events WHERE status IN ('pending', 'dead')`,
      ),
    ]);
    return { checkouts: checkouts.rows, ...events.rows[0]! };
  }
}
