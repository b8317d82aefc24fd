import type { Notify } from '../notifications/notifications.service.js';
import type { JobPayloads } from '../../../../shared/jobs.js';
import {
  PAYOUT_RETURNED,
  canMove,
  type AdminPayoutView,
  type BatchApproveResult,
  type PayoutMethodView,
  type PayoutProvider,
  type PayoutSchedule,
  type PayoutStatus,
  type PayoutTerms,
  type PayoutView,
  type RazorpayMethodBody,
  type RequestPayoutBody,
} from '../../../../shared/payouts.js';
import type { EarningsSummary } from '../../../../shared/earnings.js';
import { pgError, type Database, type Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { JobContext, JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { Principal } from '../../principal.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EarningsService } from '../earnings/earnings.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import { webAppBase, type RequestOrigin, type WebAppAddress } from '../payments/return-url.js';
import type { UsersStore } from '../users/users.store.js';
import type { VerificationService } from '../verification/verification.service.js';
import { adminPayoutView, methodView, payoutView } from './payouts.views.js';
import type { PayoutRow, PayoutsStore } from './payouts.store.js';
import { PayoutRefused, type PayoutDriver, type PayoutSignal } from './providers/payout-provider.js';
import type { RazorpayX } from './providers/razorpayx.js';
import type { StripeConnect } from './providers/stripe-connect.js';
import type { RequireSecondFactor } from './second-factor.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

type Viewer = Pick<Principal, 'userId' | 'sessionId' | 'role'>;
type AuditAction = JobPayloads['audit.record']['action'];

/** An approved payout whose send has not been recorded after this long is sent again (its job may be lost). */
const STALE_APPROVED_MS = 60_000;

export interface PayoutsOptions {
  /** PAYOUT_MIN_CREDITS. */
  minCredits: number;
  /** Where Stripe's onboarding sends the creator back to (the web app's /payouts). */
  web: WebAppAddress;
}

/**
 * Payouts (issue #13). Money moves only in the ledger, each step in the same transaction as the payout's
 * status and its audit entry: at request earnings -> payouts:clearing (under the earnings account's lock,
 * so concurrent requests queue and each sees what the one before took), on paid clearing -> payouts:paid,
 * on failed / reversed / rejected / cancelled back to earnings. Statuses only move along PAYOUT_NEXT, so a
 * late or replayed provider event that would move one backwards changes nothing.
 */
export class PayoutsService {
  constructor(
    private readonly d: {
      db: Database;
      store: PayoutsStore;
      /** Refuses a session without a recent second factor (see second-factor.ts). */
      requireSecondFactor: RequireSecondFactor;
      ledger: Pick<LedgerService, 'payoutMove' | 'lockEarnings' | 'notify'>;
      earnings: Pick<EarningsService, 'summary'>;
      verification: Pick<VerificationService, 'isVerified'>;
      audit: Pick<AuditService, 'recordIn'>;
      users: Pick<UsersStore, 'summaries' | 'findById'>;
      jobs: JobQueue;
      stripe?: StripeConnect;
      razorpay?: RazorpayX;
      logger: Logger;
      options: PayoutsOptions;
      /** A payout's state as an admin or the provider moved it (one notification per payout, its latest state). */
      notify?: Notify;
      /** Product analytics events, recorded after the commit. */
      events?: EventRecorder;
    },
  ) {}

  private told(creatorId: string, payoutId: string, status: PayoutStatus, reason?: string | null): void {
    const detail = `${status}${reason ? ` (${reason})` : ''}`;
    this.d.notify?.notifyLater(creatorId, { kind: 'payout', subject: payoutId, payload: { detail, ref: status, link: '/payouts' } });
  }

  private driver(provider: PayoutProvider): PayoutDriver {
    const driver = provider === 'stripe' ? this.d.stripe : this.d.razorpay;
    if (!driver) throw new AppError('PROVIDER_NOT_OFFERED', `${provider} payouts are not offered here`);
    return driver;
  }

  terms(): PayoutTerms {
    const drivers: (PayoutDriver | undefined)[] = [this.d.stripe, this.d.razorpay];
    const rates = drivers.filter((x): x is PayoutDriver => !!x).map((x) => ({ provider: x.name, currency: x.currency, minorPerCredit: x.minorPerCredit }));
    return { minCredits: this.d.options.minCredits, rates };
  }

  /** What the payouts page needs at once: the terms, what is available, the methods, the schedule, whether verified. */
  async overview(userId: string): Promise<{
    terms: PayoutTerms;
    earnings: EarningsSummary;
    verified: boolean;
    methods: PayoutMethodView[];
    schedule: { every: PayoutSchedule; provider: PayoutProvider; nextRunAt: string } | null;
  }> {
    const [earnings, verified, methods, schedule] = await Promise.all([
      this.d.earnings.summary(userId),
      this.d.verification.isVerified(userId),
      this.d.store.methods(userId),
      this.d.store.schedule(userId),
    ]);
    return {
      terms: this.terms(),
      earnings,
      verified,
      methods: methods.map(methodView),
      schedule: schedule ? { every: schedule.every, provider: schedule.provider, nextRunAt: schedule.next_run_at.toISOString() } : null,
    };
  }

  async list(userId: string, limit: number, cursor?: string): Promise<{ payouts: PayoutView[]; nextCursor: string | null }> {
    const rows = await this.d.store.listForCreator(userId, limit, cursor);
    return { payouts: rows.map(payoutView), nextCursor: rows.length === limit ? rows.at(-1)!.id : null };
  }

  // ---- methods --------------------------------------------------------------

  /** Creates the creator's Stripe Express account (once) and answers a fresh onboarding link to send them to. */
  async onboardStripe(user: Viewer, from: RequestOrigin): Promise<{ method: PayoutMethodView; url: string }> {
    await this.d.requireSecondFactor(user, 'payout.method');
    const stripe = this.d.stripe;
    if (!stripe) throw new AppError('PROVIDER_NOT_OFFERED', 'stripe payouts are not offered here');
    const existing = await this.d.store.method(user.userId, 'stripe');
    const back = `${webAppBase(this.d.options.web, from)}/payouts`;
    const { accountRef, url } = await stripe.onboard(user.userId, existing?.account_ref, { returnUrl: `${back}?onboarding=done`, refreshUrl: `${back}?onboarding=again` });
    if (!existing) await this.d.store.upsertMethod({ creatorId: user.userId, provider: 'stripe', accountRef, contactRef: null, status: 'onboarding', details: { account: accountRef } });
    const method = await this.d.store.method(user.userId, 'stripe');
    return { method: methodView(method!), url };
  }

  /** Asks Stripe for the account's state (the creator is back from onboarding before the webhook, maybe). */
  async refreshStripe(user: Viewer): Promise<{ method: PayoutMethodView }> {
    const stripe = this.d.stripe;
    if (!stripe) throw new AppError('PROVIDER_NOT_OFFERED', 'stripe payouts are not offered here');
    const existing = await this.d.store.method(user.userId, 'stripe');
    if (!existing) throw new AppError('PAYOUT_METHOD_REQUIRED', 'no Stripe account yet: start onboarding first');
    await this.d.store.setMethodStatus('stripe', existing.account_ref, await stripe.accountStatus(existing.account_ref));
    return { method: methodView((await this.d.store.method(user.userId, 'stripe'))!) };
  }

  /** A RazorpayX contact and fund account (bank account or UPI); it can receive payouts at once. */
  async addRazorpay(user: Viewer, body: RazorpayMethodBody): Promise<{ method: PayoutMethodView }> {
    await this.d.requireSecondFactor(user, 'payout.method');
    const rzp = this.d.razorpay;
    if (!rzp) throw new AppError('PROVIDER_NOT_OFFERED', 'razorpay payouts are not offered here');
    const { contactRef, accountRef, details } = await rzp.addFundAccount(user.userId, body);
    await this.d.store.upsertMethod({ creatorId: user.userId, provider: 'razorpay', accountRef, contactRef, status: 'ready', details });
    return { method: methodView((await this.d.store.method(user.userId, 'razorpay'))!) };
  }

  async setSchedule(user: Viewer, body: { every: PayoutSchedule | null; provider: PayoutProvider }, now = new Date()) {
    await this.d.requireSecondFactor(user, 'payout.schedule');
    if (body.every) this.driver(body.provider);
    await this.d.store.setSchedule(user.userId, body.every ? { every: body.every, provider: body.provider, nextRunAt: nextRun(body.every, now) } : null);
    const s = await this.d.store.schedule(user.userId);
    return { schedule: s ? { every: s.every, provider: s.provider, nextRunAt: s.next_run_at.toISOString() } : null };
  }

  // ---- requests -------------------------------------------------------------

  async request(user: Viewer, body: RequestPayoutBody, ip: string | null): Promise<{ payout: PayoutView; replayed: boolean }> {
    const driver = this.driver(body.provider);
    if (!(await this.d.verification.isVerified(user.userId))) throw new AppError('VERIFICATION_REQUIRED', 'only verified creators may request payouts');
    // Payout notices and any dispute go to the account's address: it must be one the creator has shown to be theirs.
    if (!(await this.d.users.findById(user.userId))?.email_verified_at) throw new AppError('EMAIL_NOT_VERIFIED', 'confirm your email address before requesting a payout');
    await this.d.requireSecondFactor(user, 'payout.request');
    const amountMinor = body.credits * driver.minorPerCredit;
    // Consent to the money: the amount the creator was shown, or nothing.
    if (body.expectedAmountMinor !== amountMinor) {
      throw new AppError('PRICE_CHANGED', `these credits now pay ${amountMinor} (${driver.currency} minor units)`, { details: { price: amountMinor } });
    }
    const result = await this.d.db.transaction((tx) => this.requestIn(tx, user.userId, driver, { id: body.id, credits: body.credits, automatic: false }, user.userId, ip));
    if (!result.replayed) this.d.ledger.notify([user.userId]);
    if (!result.replayed) this.d.events?.record('payout', user.userId, { credits: body.credits });
    return { payout: payoutView(result.row), replayed: result.replayed };
  }

  private async requestIn(
    tx: Queryable,
    creatorId: string,
    driver: PayoutDriver,
    p: { id: string; credits: number; automatic: boolean },
    actorId: string | null,
    ip: string | null,
  ): Promise<{ row: PayoutRow; replayed: boolean }> {
    // Every request of this creator queues here; each then reads what the ones before it took.
    await this.d.ledger.lockEarnings(creatorId, tx);
    const existing = await this.d.store.get(p.id, tx);
    if (existing) {
      if (existing.creator_id !== creatorId || existing.provider !== driver.name || Number(existing.credits) !== p.credits) {
        throw new AppError('IDEMPOTENCY_CONFLICT', 'this payout id was used for another request');
      }
      return { row: existing, replayed: true };
    }
    if (await this.banned(creatorId, tx)) throw new AppError('PAYOUTS_FROZEN', 'payouts of this account are frozen');
    if (p.credits < this.d.options.minCredits) throw new AppError('PAYOUT_BELOW_MINIMUM', `the smallest payout is ${this.d.options.minCredits} credits`, { details: { min: this.d.options.minCredits } });
    const method = await this.d.store.method(creatorId, driver.name, tx);
    if (method?.status !== 'ready') throw new AppError('PAYOUT_METHOD_REQUIRED', `no ready ${driver.name} payout method`);
    const { available } = await this.d.earnings.summary(creatorId, new Date(), tx);
    if (available < p.credits) throw new AppError('INSUFFICIENT_EARNINGS', `${available} credits are available`, { details: { available } });
    let row: PayoutRow;
    try {
      row = await this.d.store.insert(tx, { id: p.id, creatorId, provider: driver.name, credits: p.credits, amountMinor: p.credits * driver.minorPerCredit, currency: driver.currency, automatic: p.automatic });
    } catch (err) {
      // The same id taken by another creator's request meanwhile.
      if (pgError(err)?.code === '23505') throw new AppError('IDEMPOTENCY_CONFLICT', 'this payout id was used for another request');
      throw err;
    }
    await this.d.ledger.payoutMove({ payoutId: row.id, userId: creatorId, credits: p.credits, step: 'request' }, tx);
    await this.audit(tx, row, 'requested', 'payouts.requested', actorId, ip, { automatic: p.automatic });
    return { row, replayed: false };
  }

  /** The creator takes back a request no admin has approved yet; the credits return at once. */
  async cancel(user: Viewer, id: string, ip: string | null): Promise<{ payout: PayoutView }> {
    const row = await this.d.db.transaction(async (tx) => {
      const p = await this.d.store.lock(tx, id);
      if (!p || p.creator_id !== user.userId) throw new AppError('NOT_FOUND', 'no such payout');
      if (p.status === 'cancelled') return p;
      if (!canMove(p.status, 'cancelled')) throw new AppError('PAYOUT_WRONG_STATE', `a payout ${p.status} cannot be cancelled`, { details: { status: p.status } });
      return this.move(tx, p, 'cancelled', { actorId: user.userId, ip, action: 'payouts.cancelled' });
    });
    this.d.ledger.notify([user.userId]);
    return { payout: payoutView(row) };
  }

  // ---- admin ----------------------------------------------------------------

  /**
   * A ban freezes payouts: requests not yet approved are rejected, and approved ones not sent yet are recalled
   * (rejected too, audited as `admin.payout_recalled`): the credits of both go back to earnings through the
   * ledger (`payout:<id>:return`, once). New requests are refused (PAYOUTS_FROZEN) while the ban stands.
   * Under the earnings lock requests take first, so a request racing the ban is either seen here or sees the
   * ban. Payouts the provider has (processing, paid) are past recalling. A send already talking to the
   * provider when the recall lands finds the payout rejected afterwards and takes the transfer back (send).
   * Twice changes nothing more.
   */
  async freeze(creatorId: string, adminId: string | null): Promise<{ rejected: number; recalled: number }> {
    const r = await this.d.db.transaction(async (tx) => {
      await this.d.ledger.lockEarnings(creatorId, tx);
      const open = await this.d.store.lockInStatus(tx, creatorId, ['requested', 'approved']);
      for (const p of open) {
        const recall = p.status === 'approved';
        await this.move(tx, p, 'rejected', {
          actorId: adminId,
          ip: null,
          action: recall ? 'admin.payout_recalled' : 'admin.payout_rejected',
          reason: recall ? 'account banned: recalled before it was sent' : 'account banned',
          decidedBy: adminId ?? undefined,
        });
      }
      const recalled = open.filter((p) => p.status === 'approved').length;
      return { rejected: open.length - recalled, recalled };
    });
    if (r.rejected || r.recalled) this.d.ledger.notify([creatorId]);
    return r;
  }

  private async banned(userId: string, q: Queryable): Promise<boolean> {
    const u = await this.d.users.findById(userId, q);
    return u?.status === 'suspended' && u.suspended_until === null;
  }

  async queue(q: { status: PayoutStatus; limit: number; cursor?: string }): Promise<{ payouts: AdminPayoutView[]; nextCursor: string | null }> {
    const rows = await this.d.store.queue(q.status, q.limit, q.cursor);
    const names = new Map((await this.d.users.summaries([...new Set(rows.map((r) => r.creator_id))])).map((u) => [u.id, u.display_name]));
    return { payouts: rows.map((r) => adminPayoutView(r, names.get(r.creator_id) ?? null)), nextCursor: rows.length === q.limit ? rows.at(-1)!.id : null };
  }

  async approve(admin: Viewer, id: string, ip: string | null): Promise<{ payout: AdminPayoutView }> {
    const row = await this.d.db.transaction(async (tx) => {
      const p = await this.d.store.lock(tx, id);
      if (!p) throw new AppError('NOT_FOUND', 'no such payout');
      if (p.status !== 'requested') {
        if (p.status === 'approved' || p.status === 'processing' || p.status === 'paid') return p; // approved before: the same answer
        throw new AppError('PAYOUT_WRONG_STATE', `a payout ${p.status} cannot be approved`, { details: { status: p.status } });
      }
      return this.move(tx, p, 'approved', { actorId: admin.userId, ip, action: 'admin.payout_approved', decidedBy: admin.userId });
    });
    if (row.status === 'approved') await this.enqueueSend(row.id, `payout:${row.id}:send`);
    this.told(row.creator_id, row.id, row.status);
    // No money moved, but the creator's open payouts page reads again on this push.
    this.d.ledger.notify([row.creator_id]);
    const [u] = await this.d.users.summaries([row.creator_id]);
    return { payout: adminPayoutView(row, u?.display_name ?? null) };
  }

  async reject(admin: Viewer, id: string, reason: string, ip: string | null): Promise<{ payout: AdminPayoutView }> {
    const row = await this.d.db.transaction(async (tx) => {
      const p = await this.d.store.lock(tx, id);
      if (!p) throw new AppError('NOT_FOUND', 'no such payout');
      if (p.status === 'rejected') return p;
      if (p.status !== 'requested') throw new AppError('PAYOUT_WRONG_STATE', `a payout ${p.status} cannot be rejected`, { details: { status: p.status } });
      return this.move(tx, p, 'rejected', { actorId: admin.userId, ip, action: 'admin.payout_rejected', decidedBy: admin.userId, reason });
    });
    this.d.ledger.notify([row.creator_id]);
    this.told(row.creator_id, row.id, row.status, reason);
    const [u] = await this.d.users.summaries([row.creator_id]);
    return { payout: adminPayoutView(row, u?.display_name ?? null) };
  }

  /** Each on its own: one that cannot be approved is reported and the rest go on. */
  async approveMany(admin: Viewer, ids: string[], ip: string | null): Promise<BatchApproveResult> {
    const out: BatchApproveResult = { approved: [], refused: [] };
    for (const id of [...new Set(ids)]) {
      try {
        await this.approve(admin, id, ip);
        out.approved.push(id);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        out.refused.push({ id, code: err.code });
      }
    }
    return out;
  }

  // ---- sending and provider events -------------------------------------------

  private async enqueueSend(payoutId: string, jobId: string): Promise<void> {
    // Lost (Redis down, a crash right here): the sweep finds the payout still approved and sends it.
    await this.d.jobs.enqueue('payouts.send', { payoutId }, { jobId }).catch((err: unknown) => this.d.logger.warn({ err, payoutId }, 'payout send not queued: the sweep will'));
  }

  /**
   * Sends an approved payout. Safe to run any number of times: the provider's idempotency key is the
   * payout's id, so a second send (a retried job, a twin on another worker) answers the first one's result;
   * the status then moves once. A refusal fails the payout (the credits return); an outage throws, and the
   * job is retried.
   */
  async send(payoutId: string, _ctx?: JobContext): Promise<void> {
    const p = await this.d.store.get(payoutId);
    if (!p || p.status !== 'approved') return;
    const driver = this.driver(p.provider);
    const method = await this.d.store.method(p.creator_id, p.provider);
    let outcome: { status: 'processing' | 'paid' | 'failed'; ref?: string; reason?: string };
    if (method?.status !== 'ready') outcome = { status: 'failed', reason: `the ${p.provider} payout method is not ready` };
    else {
      try {
        const r = await driver.send({ payoutId: p.id, accountRef: method.account_ref, amountMinor: Number(p.amount_minor), currency: p.currency, details: method.details });
        outcome = r;
      } catch (err) {
        if (!(err instanceof PayoutRefused)) throw err;
        outcome = { status: 'failed', reason: err.reason };
      }
    }
    const { moved, recalled } = await this.d.db.transaction(async (tx) => {
      const row = await this.d.store.lock(tx, payoutId);
      if (!row) return { moved: false, recalled: false };
      if (outcome.ref && !row.provider_ref) await this.d.store.setStatus(tx, row.id, row.status, { providerRef: outcome.ref });
      // A ban recalled it while the provider had it: the credits are back in earnings already.
      if (row.status === 'rejected') return { moved: false, recalled: outcome.status !== 'failed' };
      if (!canMove(row.status, outcome.status)) return { moved: false, recalled: false };
      await this.move(tx, row, outcome.status, { actorId: null, ip: null, action: 'payouts.status_changed', reason: outcome.reason, providerRef: outcome.ref });
      return { moved: true, recalled: false };
    });
    this.d.ledger.notify([p.creator_id]);
    if (recalled && !driver.reclaim) this.d.logger.error({ payoutId, provider: p.provider }, 'a payout recalled by a ban was sent meanwhile and this provider cannot take it back: reverse it at the provider');
    if (moved) this.told(p.creator_id, p.id, outcome.status, outcome.reason);
    if ((moved && outcome.status === 'failed') || recalled) await this.reclaim(p.provider, p.id);
  }

  /** The credits are back with the creator: money that reached their provider account goes back to the platform. */
  private async reclaim(provider: PayoutProvider, payoutId: string): Promise<void> {
    const driver = this.driver(provider);
    if (!driver.reclaim) return;
    await driver.reclaim(payoutId).catch((err: unknown) => this.d.logger.error({ err, payoutId }, 'payout failed but its transfer could not be taken back: reverse it at the provider'));
  }

  /** A provider's webhook: verified, recorded once (a replay changes nothing), applied in the same transaction. */
  async receiveWebhook(provider: PayoutProvider, raw: Buffer, headers: Record<string, string | string[] | undefined>): Promise<{ received: true; replayed: boolean }> {
    const driver = this.driver(provider);
    const event = driver.verifyWebhook(raw, headers);
    const signal = driver.interpret(event);
    const touched = await this.d.db.transaction(async (tx) => {
      if (!(await this.d.store.recordEvent(tx, provider, event.id, event.type))) return null;
      return this.apply(tx, provider, signal);
    });
    if (touched?.creatorId) {
      this.d.ledger.notify([touched.creatorId]);
      if (touched.status) this.told(touched.creatorId, touched.payoutId, touched.status);
      if (touched.status === 'failed') await this.reclaim(provider, touched.payoutId);
    }
    return { received: true, replayed: touched === null };
  }

  /** Applies a signal; answers the payout it moved, or {} when nothing moved. */
  private async apply(tx: Queryable, provider: PayoutProvider, s: PayoutSignal): Promise<{ creatorId?: string; payoutId: string; status?: PayoutStatus }> {
    if (s.kind === 'account') {
      await this.d.store.setMethodStatus(provider, s.accountRef, s.status, tx);
      return { payoutId: '' };
    }
    if (s.kind !== 'payout') return { payoutId: '' };
    const row = (s.payoutId && isUuid(s.payoutId) ? await this.d.store.lock(tx, s.payoutId) : undefined) ?? (s.ref ? await this.d.store.lockByRef(tx, provider, s.ref) : undefined);
    if (!row || row.provider !== provider) return { payoutId: '' };
    // Out of order or late (processing after paid, paid after failed): not a step forward, so nothing happens.
    if (!canMove(row.status, s.status)) return { payoutId: row.id };
    await this.move(tx, row, s.status, { actorId: null, ip: null, action: 'payouts.status_changed', reason: s.reason, providerRef: s.ref });
    return { creatorId: row.creator_id, payoutId: row.id, status: s.status };
  }

  /** Re-sends approved payouts whose send was lost, then requests the automatic payouts that are due. */
  async sweep(now = new Date()): Promise<{ resent: number; automatic: number }> {
    const stale = await this.d.store.staleApproved(new Date(now.getTime() - STALE_APPROVED_MS), 200);
    const bucket = Math.floor(now.getTime() / STALE_APPROVED_MS);
    for (const id of stale) await this.enqueueSend(id, `payout:${id}:send:${bucket}`);
    let automatic = 0;
    for (let i = 0; i < 100; i++) {
      const done = await this.d.db.transaction(async (tx) => {
        const [due] = await this.d.store.lockDueSchedules(tx, now, 1);
        if (!due) return null;
        await this.d.store.advanceSchedule(tx, due.creator_id, nextRun(due.every, now));
        const driver = due.provider === 'stripe' ? this.d.stripe : this.d.razorpay;
        if (!driver || !(await this.d.verification.isVerified(due.creator_id))) return false;
        const method = await this.d.store.method(due.creator_id, due.provider, tx);
        if (method?.status !== 'ready') return false;
        await this.d.ledger.lockEarnings(due.creator_id, tx);
        const { available } = await this.d.earnings.summary(due.creator_id, now, tx);
        if (available < this.d.options.minCredits) return false;
        await this.requestIn(tx, due.creator_id, driver, { id: crypto.randomUUID(), credits: available, automatic: true }, null, null);
        return true;
      });
      if (done === null) break;
      if (done) automatic++;
    }
    return { resent: stale.length, automatic };
  }

  // ---- the one way a status changes ------------------------------------------

  private async move(
    tx: Queryable,
    row: PayoutRow,
    to: PayoutStatus,
    f: { actorId: string | null; ip: string | null; action: AuditAction; reason?: string; providerRef?: string; decidedBy?: string },
  ): Promise<PayoutRow> {
    const returned = PAYOUT_RETURNED.includes(to);
    // Earnings before the clearing account, as a request takes them: a return racing a request of the same creator queues, never deadlocks.
    if (returned) await this.d.ledger.lockEarnings(row.creator_id, tx);
    const next = await this.d.store.setStatus(tx, row.id, to, { reason: f.reason ?? null, providerRef: f.providerRef ?? null, decidedBy: f.decidedBy ?? null });
    const base = { payoutId: row.id, userId: row.creator_id, credits: Number(row.credits) };
    if (to === 'paid') await this.d.ledger.payoutMove({ ...base, step: 'paid' }, tx);
    if (returned) await this.d.ledger.payoutMove({ ...base, step: row.status === 'paid' ? 'unpay' : 'return' }, tx);
    await this.audit(tx, next, to, f.action, f.actorId, f.ip, { from: row.status, ...(f.reason ? { reason: f.reason } : {}) });
    return next;
  }

  private async audit(tx: Queryable, row: PayoutRow, to: PayoutStatus, action: AuditAction, actorId: string | null, ip: string | null, meta: Record<string, unknown>): Promise<void> {
    await this.d.audit.recordIn(tx, {
      key: `payout:${row.id}:${to}`,
      actorId,
      action,
      ip,
      meta: { payoutId: row.id, creatorId: row.creator_id, status: to, credits: Number(row.credits), provider: row.provider, ...meta },
    });
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (s: string) => UUID.test(s);

/** Weekly: seven days on; monthly: the first of next month, 00:00 UTC. */
export function nextRun(every: PayoutSchedule, from: Date): Date {
  if (every === 'weekly') return new Date(from.getTime() + 7 * 86_400_000);
  return new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
}
