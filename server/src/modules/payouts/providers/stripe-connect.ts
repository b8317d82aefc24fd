import type Stripe from 'stripe';
import type { PayoutMethodStatus } from '../../../../../shared/payouts.js';
import type { Breaker } from '../../../breaker.js';
import { AppError } from '../../../errors.js';
import { requirePackage } from '../../../lazy.js';
import { header } from '../../payments/providers/provider.js';
import { PayoutRefused, type PayoutDriver, type PayoutSignal, type SendResult } from './payout-provider.js';

const SIGNATURE_TOLERANCE_SECONDS = 300;
const FUTURE_TOLERANCE_SECONDS = 60;
const MAX_RETRIES = 2;

/** A connected account's state for payouts: ready once Stripe enables payouts on it. */
export function accountStatus(a: Pick<Stripe.Account, 'payouts_enabled' | 'details_submitted'>): PayoutMethodStatus {
  if (a.payouts_enabled) return 'ready';
  return a.details_submitted ? 'restricted' : 'onboarding';
}

function payoutStatus(p: Pick<Stripe.Payout, 'status'>): SendResult['status'] {
  if (p.status === 'paid') return 'paid';
  if (p.status === 'failed' || p.status === 'canceled') return 'failed';
  return 'processing';
}

/** A 4xx from Stripe (invalid_request_error, card/account errors) is a refusal; anything else may pass on retry. */
function isRefusal(err: unknown): boolean {
  const e = err as { statusCode?: unknown; type?: unknown };
  return typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && e.statusCode !== 429 && e.type !== 'StripeIdempotencyError';
}

export interface StripeConnect extends PayoutDriver {
  /** Creates the creator's Express account once (idempotent on the creator) and answers a fresh onboarding link. */
  onboard(creatorId: string, existing: string | undefined, urls: { returnUrl: string; refreshUrl: string }): Promise<{ accountRef: string; url: string }>;
  accountStatus(accountRef: string): Promise<PayoutMethodStatus>;
}

/**
 * Stripe Connect Express through the official SDK. A payout is a Transfer from the platform's balance to
 * the creator's connected account and a Payout from that account to their bank (Stripe-Account header),
 * each with an idempotency key from the payout id. The Connect endpoint's events say the rest:
 * account.updated, payout.paid / payout.failed / payout.canceled (on the connected account), transfer.reversed.
 */
export function createStripeConnect(opts: {
  secretKey: string;
  webhookSecret: string;
  apiBase?: string;
  currency: string;
  minorPerCredit: number;
  timeoutMs?: number;
  breaker?: Breaker;
}): StripeConnect {
  const base = opts.apiBase ? new URL(opts.apiBase) : undefined;
  const guard = <T>(fn: () => Promise<T>): Promise<T> => (opts.breaker ? opts.breaker.run(fn) : fn());
  const stripe = new (requirePackage<typeof Stripe>('stripe'))(opts.secretKey, {
    maxNetworkRetries: MAX_RETRIES,
    timeout: Math.max(100, Math.floor((opts.timeoutMs ?? 45_000) / (MAX_RETRIES + 1))),
    ...(base
      ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' }
      : {}),
  });
  const refused = (err: unknown): never => {
    if (isRefusal(err)) throw new PayoutRefused(`Stripe refused: ${(err as Error).message}`);
    throw err;
  };

  return {
    name: 'stripe',
    currency: opts.currency,
    minorPerCredit: opts.minorPerCredit,
    breaker: opts.breaker,

    async onboard(creatorId, existing, urls) {
      const accountRef =
        existing ??
        (
          await guard(() =>
            stripe.accounts.create(
              { type: 'express', capabilities: { transfers: { requested: true } }, metadata: { creatorId } },
              { idempotencyKey: `pairly-connect-account-${creatorId}` },
            ),
          )
        ).id;
      const link = await guard(() => stripe.accountLinks.create({ account: accountRef, type: 'account_onboarding', return_url: urls.returnUrl, refresh_url: urls.refreshUrl }));
      return { accountRef, url: link.url };
    },

    async accountStatus(accountRef) {
      return accountStatus(await guard(() => stripe.accounts.retrieve(accountRef)));
    },

    async send(req) {
      const metadata = { payoutId: req.payoutId };
      await guard(() =>
        stripe.transfers.create(
          { amount: req.amountMinor, currency: req.currency, destination: req.accountRef, transfer_group: req.payoutId, metadata },
          { idempotencyKey: `pairly-payout-${req.payoutId}-transfer` },
        ),
      ).catch(refused);
      const payout = await guard(() =>
        stripe.payouts.create({ amount: req.amountMinor, currency: req.currency, metadata }, { stripeAccount: req.accountRef, idempotencyKey: `pairly-payout-${req.payoutId}` }),
      ).catch(refused);
      return { ref: payout.id, status: payoutStatus(payout), reason: payout.failure_message ?? undefined };
    },

    async reclaim(payoutId) {
      // The transfer of this payout (its transfer_group), reversed in full; the key makes a second reclaim a replay.
      const transfers = await guard(() => stripe.transfers.list({ transfer_group: payoutId, limit: 10 }));
      for (const t of transfers.data) {
        if (t.reversed || t.amount_reversed >= t.amount) continue;
        await guard(() => stripe.transfers.createReversal(t.id, { amount: t.amount - t.amount_reversed, metadata: { payoutId } }, { idempotencyKey: `pairly-payout-${payoutId}-reclaim-${t.id}` }));
      }
    },

    verifyWebhook(raw, headers) {
      const signature = header(headers, 'stripe-signature');
      if (!signature) throw new AppError('INVALID_SIGNATURE', 'missing Stripe-Signature header');
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(raw, signature, opts.webhookSecret, SIGNATURE_TOLERANCE_SECONDS);
      } catch {
        throw new AppError('INVALID_SIGNATURE', 'Stripe signature verification failed');
      }
      const t = Number(/(?:^|,)t=(\d+)/.exec(signature)?.[1]);
      if (!(t <= Date.now() / 1000 + FUTURE_TOLERANCE_SECONDS)) throw new AppError('INVALID_SIGNATURE', 'Stripe signature is dated in the future');
      return { id: event.id, type: event.type, payload: event };
    },

    interpret(e): PayoutSignal {
      const event = e.payload as Stripe.Event;
      switch (event.type) {
        case 'account.updated': {
          const a = event.data.object;
          return { kind: 'account', accountRef: a.id, status: accountStatus(a) };
        }
        case 'payout.paid':
        case 'payout.failed':
        case 'payout.canceled':
        case 'payout.created':
        case 'payout.updated': {
          const p = event.data.object;
          const status = payoutStatus(p);
          return { kind: 'payout', payoutId: p.metadata?.payoutId, ref: p.id, status, reason: p.failure_message ?? p.failure_code ?? (status === 'failed' ? event.type : undefined) };
        }
        case 'transfer.reversed': {
          const t = event.data.object;
          return { kind: 'payout', payoutId: t.metadata?.payoutId, status: 'reversed', reason: 'transfer reversed' };
        }
        default:
          return { kind: 'ignored' };
      }
    },
  };
}
