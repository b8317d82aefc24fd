import type { AdminPaymentView, PaymentDeadLetterView } from '../../../../shared/admin.js';
import type { CheckoutClient, CheckoutFlow, CheckoutResult, CreditPack, PaymentsCatalogue, PaymentView, ProviderName } from '../../../../shared/payments.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { isUnrecoverable, type JobContext, type JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { Queryable } from '../../db/database.js';
import type { RiskService } from '../risk/risk.service.js';
import { transition } from './payment-state.js';
import type { PaymentRow, PaymentsStore } from './payments.store.js';
import type { PaymentProvider, PaymentSignal } from './providers/provider.js';
import type { createSandboxProvider } from './providers/sandbox.provider.js';
import { walletReturnUrls, webAppBase, type RequestOrigin, type WebAppAddress } from './return-url.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

export type SandboxProvider = ReturnType<typeof createSandboxProvider>;

export function toPaymentView(p: PaymentRow): PaymentView {
  return {
    id: p.id,
    provider: p.provider,
    providerRef: p.provider_ref,
    packId: p.pack_id,
    credits: p.credits,
    amountMinor: p.amount_minor,
    currency: p.currency,
    status: p.status,
    createdAt: p.created_at.toISOString(),
  };
}

/**
 * Buying credits. A checkout opens the provider's payment object; the
 * provider's webhook (verified, stored once under its event id) is
 * processed by a job that credits the wallet exactly once per payment,
 * whatever the number or order of deliveries.
 */
export class PaymentsService {
  constructor(
    private readonly d: {
      db: Database;
      store: PaymentsStore;
      ledger: LedgerService;
      providers: Map<ProviderName, PaymentProvider>;
      packs: CreditPack[];
      jobs: JobQueue;
      logger: Logger;
      /** Where hosted checkouts send the browser back to. */
      web: WebAppAddress;
      /** Payment risk scoring: a checkout may be refused, or its payment held for an admin. */
      risk?: Pick<RiskService, 'assessPayment' | 'recordPayment'>;
      /** Product analytics events, recorded after the commit. */
      events?: EventRecorder;
    },
  ) {}

  catalogue(): PaymentsCatalogue {
    return { packs: this.d.packs, providers: [...this.d.providers.keys()] };
  }

  provider(name: ProviderName): PaymentProvider {
    const p = this.d.providers.get(name);
    // Not offered here (the catalogue lists what is): the request's fault, unlike a provider that is down.
    if (!p) throw new AppError('PROVIDER_NOT_OFFERED', `payments through ${name} are not offered here`, { details: { providers: [...this.d.providers.keys()] } });
    return p;
  }

  async checkout(
    userId: string,
    body: { packId: string; provider: ProviderName; currency?: string; flow?: CheckoutFlow },
    key: string,
    from: RequestOrigin = {},
  ): Promise<CheckoutResult> {
    const provider = this.provider(body.provider);
    const pack = this.d.packs.find((p) => p.id === body.packId);
    if (!pack) throw new AppError('NOT_FOUND', `no credit pack "${body.packId}"`);
    const currency = body.currency ?? (body.provider === 'razorpay' ? 'inr' : 'usd');
    const amountMinor = pack.prices[currency];
    if (!amountMinor) throw new AppError('VALIDATION_FAILED', `pack "${pack.id}" has no price in ${currency}`);
    const flow = body.flow ?? provider.flows[0]!;
    if (!provider.flows.includes(flow)) throw new AppError('VALIDATION_FAILED', `${body.provider} takes no ${flow} checkout here (it takes: ${provider.flows.join(', ')})`);
    // Before the payment row: a provider known to be down costs the user no row in state 'error'
    // (a replay of a checkout already opened is still answered from its row).
    try {
      provider.breaker?.assertAvailable();
    } catch (err) {
      if (!(await this.d.store.byUserKey(userId, key))) throw err;
    }

    // A replay is answered from its payment, without a second assessment (nor a second refusal).
    if (await this.d.store.byUserKey(userId, key)) return this.replayCheckout(userId, key, { ...body, currency, flow });
    // Refused here (PAYMENT_RISK_REFUSED) before any payment exists; held, the payment opens as usual but credits nothing until approved.
    const risk = await this.assessCheckout(userId, body.provider, { packId: pack.id, credits: pack.credits, amountMinor, currency });

    const inserted = await this.d.store.insert({ userId, provider: body.provider, key, packId: pack.id, credits: pack.credits, amountMinor, currency, held: risk?.held ?? false });
    if (!inserted) return this.replayCheckout(userId, key, { ...body, currency, flow });
    await risk?.record(inserted.id);

    try {
      const opened = await provider.createCheckout({
        paymentId: inserted.id,
        userId,
        packId: pack.id,
        credits: pack.credits,
        amountMinor,
        currency,
        flow,
        returnUrls: walletReturnUrls(webAppBase(this.d.web, from), inserted.id),
      });
      const row = await this.d.store.opened(inserted.id, opened.ref, opened.client);
      return { payment: toPaymentView(row), client: opened.client };
    } catch (err) {
      this.d.logger.error({ err, paymentId: inserted.id, provider: body.provider }, 'checkout failed at the provider');
      await this.d.store.openFailed(inserted.id, err instanceof Error ? err.message : 'provider error');
      throw err instanceof AppError ? err : new AppError('PROVIDER_ERROR', 'the payment provider could not open the checkout');
    }
  }

  /** The same Idempotency-Key again: the same payment if the request is the same, a conflict otherwise. */
  private async replayCheckout(userId: string, key: string, body: { packId: string; provider: ProviderName; currency: string; flow: CheckoutFlow }): Promise<CheckoutResult> {
    const conflict = () => new AppError('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used for a different checkout');
    for (let waited = 0; ; waited += 100) {
      const p = await this.d.store.byUserKey(userId, key);
      if (!p) throw new AppError('INTERNAL', 'payment vanished');
      if (p.pack_id !== body.packId || p.provider !== body.provider || p.currency !== body.currency) throw conflict();
      if (p.status === 'error') throw new AppError('PROVIDER_ERROR', 'the payment provider could not open the checkout');
      if (p.status !== 'creating' && p.client) {
        // Clients stored before checkouts had flows were all embedded ones, and said neither provider nor flow.
        const client = { provider: p.provider, flow: 'embedded', ...p.client } as CheckoutClient;
        if (client.flow !== body.flow) throw conflict();
        return { payment: toPaymentView(p), client };
      }
      // A twin request is still talking to the provider: wait for it rather than open a second payment.
      if (waited >= 10_000) throw new AppError('PROVIDER_ERROR', 'the checkout is still being opened; retry shortly');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Verifies a webhook delivery, stores it once under its event id and
   * queues its processing. Answers at once; never processes inline.
   */
  async receiveWebhook(name: ProviderName, raw: Buffer, headers: Record<string, string | string[] | undefined>): Promise<{ received: true; duplicate: boolean }> {
    const provider = this.d.providers.get(name);
    if (!provider) throw new AppError('NOT_FOUND', `no webhook endpoint for ${name}`);
    const event = provider.verifyWebhook(raw, headers);
    // payment_events.event_id holds 200 characters: a longer id, even a signed one, is a 400, never a 500.
    if (event.id.length > 200) throw new AppError('VALIDATION_FAILED', 'the event id is longer than 200 characters');
    const stored = await this.d.store.storeEvent({ provider: name, id: event.id, type: event.type, payload: event.payload });
    if (stored.status === 'pending') await this.enqueue(name, event.id);
    return { received: true, duplicate: !stored.inserted };
  }

  private enqueue(provider: ProviderName, eventId: string, suffix = ''): Promise<void> {
    return this.d.jobs.enqueue('payments.process-event', { provider, eventId }, { jobId: `pay:${provider}:${eventId}${suffix}` });
  }

  /** The job: applies one event to its payment and the ledger in one transaction. */
  async processEvent(provider: ProviderName, eventId: string, ctx: JobContext): Promise<void> {
    let purchase: { userId: string; credits: number } | undefined;
    try {
      const touchedUsers = await this.d.db.transaction(async (tx) => {
        // Row lock on the event: two workers with the same event run one after the other; the second sees it done.
        const event = await this.d.store.event(provider, eventId, tx);
        if (!event || event.status !== 'pending') return undefined;
        const signal = this.provider(provider).interpret({ id: event.event_id, type: event.type, payload: event.payload });
        if (signal.kind === 'ignored') {
          await this.d.store.markEvent(tx, provider, eventId, 'ignored');
          return undefined;
        }
        const payment = await this.d.store.lockForEvent(tx, provider, signal.ref, signal.paymentId);
        // Possibly a webhook racing its own checkout's commit: retry; after the last attempt it is dead-lettered.
        if (!payment) throw new Error(`no ${provider} payment for ${signal.ref}`);
        const applied = await this.apply(tx, payment, signal);
        if (applied.purchased) purchase = applied.purchased;
        const touched = applied.wallets;
        await this.d.store.markEvent(tx, provider, eventId, 'processed');
        return touched.length ? touched : undefined;
      });
      if (touchedUsers) this.d.ledger.notify(touchedUsers);
      if (purchase) this.d.events?.record('purchase', purchase.userId, { credits: purchase.credits });
    } catch (err) {
      const final = ctx.attempt >= ctx.maxAttempts || isUnrecoverable(err);
      await this.d.store
        .eventFailed(provider, eventId, err instanceof Error ? err.message : String(err), final)
        .catch((e) => this.d.logger.error({ err: e }, 'could not record the event failure'));
      if (final) this.d.logger.error({ err, provider, eventId }, 'payment event dead-lettered');
      throw err;
    }
  }

  /**
   * One signal applied to a locked payment: the state machine's next state,
   * and the ledger movements it asks for (each under its idempotency key).
   * Returns the wallets changed (the payer's, and creators' clawed back), and the purchase when credits were granted.
   */
  private async apply(
    tx: Queryable,
    payment: PaymentRow,
    signal: Exclude<PaymentSignal, { kind: 'ignored' }>,
  ): Promise<{ wallets: string[]; purchased?: { userId: string; credits: number } }> {
    const provider = payment.provider;
    const ref = payment.provider_ref ?? signal.ref;
    const t = transition(
      {
        status: payment.status,
        credited: payment.credited,
        refundedMinor: payment.refunded_minor,
        disputed: payment.disputed,
        reversedCredits: payment.reversed_credits,
        credits: payment.credits,
        amountMinor: payment.amount_minor,
        currency: payment.currency,
        error: payment.error,
        hold: payment.risk_hold,
        capturedWhileHeld: payment.captured_while_held,
      },
      signal,
    );
    if (t.credit) {
      await this.d.ledger.creditPurchase({ key: `${provider}:${ref}`, provider, userId: payment.user_id, credits: payment.credits, metadata: { paymentId: payment.id } }, tx);
    }
    const touched: string[] = [];
    if (t.reverse > 0) {
      const key = `${provider}:${ref}:reversal:${t.next.reversedCredits}`;
      const r = await this.d.ledger.reversePurchase(
        { key, provider, userId: payment.user_id, credits: t.reverse, reason: t.next.disputed ? 'chargeback' : 'refund' },
        tx,
      );
      // Credits already spent: the creators' shares of what they paid for are taken back (issue #13).
      if (r.debt > 0) touched.push(...(await this.d.ledger.clawback({ key, purchaseKey: `${provider}:${ref}`, userId: payment.user_id, debt: r.debt }, tx)).creators);
    }
    await this.d.store.update(tx, payment.id, {
      ...t.next,
      providerRef: ref,
      providerPaymentRef: 'paymentRef' in signal ? signal.paymentRef : undefined,
      capturedWhileHeld: t.next.capturedWhileHeld ?? false,
    });
    return {
      wallets: t.credit || t.reverse > 0 ? [payment.user_id, ...touched] : [],
      purchased: t.credit ? { userId: payment.user_id, credits: payment.credits } : undefined,
    };
  }

  /**
   * An admin's decision on a payment risk scoring held, in the caller's
   * transaction (risk's, which holds the assessment's lock and the audit
   * entry). Approved: a capture seen meanwhile is replayed, so the credits
   * (less any refund seen meanwhile) are granted now, under the purchase's
   * usual ledger key: once, whatever else runs; one not captured yet is
   * credited by its capture as usual. Rejected: never credited; a captured
   * one is marked 'rejected', its refund made at the provider (no provider
   * API here refunds: the operator refunds it there, and the refund event
   * is recorded as any other).
   */
  async decideHold(tx: Queryable, paymentId: string, decision: 'approved' | 'rejected'): Promise<string[]> {
    const p = await this.d.store.lockById(tx, paymentId);
    if (!p || p.risk_hold !== 'held') throw new AppError('RISK_ALREADY_DECIDED', 'this payment is not held', { details: { decision: p?.risk_hold ?? null } });
    await this.d.store.setHold(tx, paymentId, decision);
    if (decision === 'rejected' || !p.captured_while_held) return [];
    return (await this.apply(tx, { ...p, risk_hold: 'approved' }, { kind: 'captured', ref: p.provider_ref!, amountMinor: p.amount_minor, currency: p.currency })).wallets;
  }

  /** After a decision's commit: the owners of the wallets it changed hear of it. */
  walletsChanged(userIds: string[]): void {
    this.d.ledger.notify(userIds);
  }

  /** Payment risk scoring of this checkout (undefined when scoring is off): whether to hold it, and how to record it once the payment exists. */
  private async assessCheckout(userId: string, provider: ProviderName, pack: { packId: string; credits: number; amountMinor: number; currency: string }) {
    const risk = this.d.risk;
    if (!risk) return undefined;
    const f = await this.d.store.riskFacts(userId, provider);
    const facts = {
      userId,
      provider,
      ...pack,
      checkoutsLastHour: f.last_hour,
      checkoutsLastDay: f.last_day,
      refunds: f.refunds,
      chargebacks: f.chargebacks,
      providers: f.other_providers + 1,
    };
    const assessment = await risk.assessPayment(facts);
    return { held: assessment.action === 'hold', record: (paymentId: string) => risk.recordPayment(paymentId, facts, assessment) };
  }

  /** Embedded-mode stand-in for the customer paying: a signed webhook through the same path as real providers. */
  async sandboxAction(userId: string, paymentId: string, action: 'succeed' | 'fail' | 'refund' | 'dispute', amountMinor?: number): Promise<{ received: true; duplicate: boolean }> {
    const sandbox = this.d.providers.get('sandbox') as SandboxProvider | undefined;
    if (!sandbox) throw new AppError('PROVIDER_NOT_OFFERED', 'the sandbox provider is off', { details: { providers: [...this.d.providers.keys()] } });
    const p = await this.d.store.byId(paymentId);
    if (!p || p.user_id !== userId || p.provider !== 'sandbox' || !p.provider_ref) throw new AppError('NOT_FOUND', 'no such sandbox payment');
    const data = { ref: p.provider_ref, paymentId: p.id, amountMinor: p.amount_minor, currency: p.currency };
    const type = ({ succeed: 'payment.succeeded', fail: 'payment.failed', refund: 'payment.refunded', dispute: 'payment.disputed' } as const)[action];
    const refundedTotalMinor = action === 'refund' ? Math.min(p.amount_minor, p.refunded_minor + (amountMinor ?? p.amount_minor)) : undefined;
    const { body, signature } = sandbox.makeEvent(type, { ...data, refundedTotalMinor });
    return this.receiveWebhook('sandbox', Buffer.from(body), { 'x-sandbox-signature': signature });
  }

  async listForUser(userId: string, before: Date | undefined, limit: number): Promise<PaymentView[]> {
    return (await this.d.store.list({ userId, before, limit })).map(toPaymentView);
  }

  async adminList(f: { status?: string; provider?: string; before?: Date; limit: number }): Promise<AdminPaymentView[]> {
    return (await this.d.store.list(f)).map((p) => ({ ...toPaymentView(p), userId: p.user_id, credited: p.credited, reversedCredits: p.reversed_credits, error: p.error }));
  }

  async deadLetters(limit: number): Promise<PaymentDeadLetterView[]> {
    return (await this.d.store.deadEvents(limit)).map((e) => ({
      provider: e.provider,
      eventId: e.event_id,
      type: e.type,
      attempts: e.attempts,
      lastError: e.last_error,
      receivedAt: e.received_at.toISOString(),
    }));
  }

  async retryDeadLetter(provider: ProviderName, eventId: string): Promise<void> {
    if (!(await this.d.store.revive(provider, eventId))) throw new AppError('NOT_FOUND', 'no such dead-lettered event');
    // A fresh job id: the dead job's id is still known to the queue.
    await this.enqueue(provider, eventId, `:retry:${Date.now()}`);
  }

  /** The dead-letter hook: a job that failed for good without its handler's say (it stalled too often). */
  async eventJobDied(provider: ProviderName, eventId: string, error: string): Promise<void> {
    await this.d.store.markDead(provider, eventId, error);
  }

  /** Re-queues events whose job was lost (stored, never processed). */
  async requeueStale(olderThanSeconds = 60): Promise<number> {
    const stale = await this.d.store.stalePending(olderThanSeconds, 500);
    for (const e of stale) await this.enqueue(e.provider, e.event_id, `:requeue:${Math.floor(Date.now() / 60_000)}`);
    return stale.length;
  }

  /** Checkouts of the last hour and webhook processing lag, for the metrics (PaymentsStore.health). */
  health() {
    return this.d.store.health();
  }
}
