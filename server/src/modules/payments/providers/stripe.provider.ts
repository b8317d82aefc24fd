import Stripe from 'stripe';
import type { Breaker } from '../../../breaker.js';
import { AppError } from '../../../errors.js';
import { header, type PaymentProvider, type PaymentSignal, type ProviderEvent, type ProviderRecord } from './provider.js';

/** Stripe's tolerance for webhook timestamps: older deliveries are refused as replays. */
const SIGNATURE_TOLERANCE_SECONDS = 300;
/**
 * The SDK refuses only timestamps too far in the past, so a signature dated
 * ahead would stay replayable for that much longer. Ahead can only be clock
 * skew, which is seconds on synchronised hosts.
 */
const FUTURE_TOLERANCE_SECONDS = 60;
/** The SDK's own retries of a failed request (same idempotency key). */
const MAX_RETRIES = 2;

/** What counts against the breaker: Stripe not answering, or answering that it is failing (a 4xx means it is up). */
export function stripeOutage(err: unknown): boolean {
  const e = err as { type?: unknown; statusCode?: unknown };
  if (e?.type === 'StripeConnectionError' || e?.type === 'StripeAPIError' || e?.type === 'StripeRateLimitError') return true;
  return typeof e?.statusCode === 'number' && e.statusCode >= 500;
}

export function createStripeProvider(opts: { secretKey: string; webhookSecret: string; apiBase?: string; timeoutMs?: number; breaker?: Breaker }): PaymentProvider {
  const base = opts.apiBase ? new URL(opts.apiBase) : undefined;
  const guard = <T>(fn: () => Promise<T>): Promise<T> => (opts.breaker ? opts.breaker.run(fn) : fn());
  const stripe = new Stripe(opts.secretKey, {
    maxNetworkRetries: MAX_RETRIES,
    // Each attempt gets its share of the call's budget, so retries do not go on after the caller gave up.
    timeout: Math.max(100, Math.floor((opts.timeoutMs ?? 45_000) / (MAX_RETRIES + 1))),
    ...(base
      ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' }
      : {}),
  });

  const paymentIdOf = (o: { metadata?: Record<string, string> | null }) => o.metadata?.paymentId;

  return {
    name: 'stripe',
    breaker: opts.breaker,
    async createCheckout(req) {
      const pi = await guard(() => stripe.paymentIntents.create(
        {
          amount: req.amountMinor,
          currency: req.currency,
          automatic_payment_methods: { enabled: true },
          metadata: { paymentId: req.paymentId, userId: req.userId, packId: req.packId, credits: String(req.credits) },
        },
        // Our key, not the SDK's per-call one, so a retry after a crash finds the same PaymentIntent.
        { idempotencyKey: `pairly-checkout-${req.paymentId}` },
      ));
      return { ref: pi.id, client: { clientSecret: pi.client_secret, paymentIntentId: pi.id } };
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
      // The SDK has verified the signature over `t`, so the timestamp is Stripe's.
      const t = Number(/(?:^|,)t=(\d+)/.exec(signature)?.[1]);
      if (!(t <= Date.now() / 1000 + FUTURE_TOLERANCE_SECONDS)) {
        throw new AppError('INVALID_SIGNATURE', 'Stripe signature is dated in the future');
      }
      return { id: event.id, type: event.type, payload: event };
    },
    interpret(e: ProviderEvent): PaymentSignal {
      const event = e.payload as Stripe.Event;
      switch (event.type) {
        case 'payment_intent.succeeded': {
          const pi = event.data.object;
          return { kind: 'captured', ref: pi.id, paymentId: paymentIdOf(pi), amountMinor: pi.amount_received || pi.amount, currency: pi.currency };
        }
        case 'payment_intent.payment_failed': {
          const pi = event.data.object;
          return { kind: 'failed', ref: pi.id, paymentId: paymentIdOf(pi), reason: pi.last_payment_error?.code };
        }
        case 'charge.refunded': {
          const ch = event.data.object;
          const ref = typeof ch.payment_intent === 'string' ? ch.payment_intent : ch.payment_intent?.id;
          return ref ? { kind: 'refunded', ref, paymentId: paymentIdOf(ch), refundedTotalMinor: ch.amount_refunded } : { kind: 'ignored' };
        }
        case 'charge.dispute.created': {
          const dp = event.data.object;
          const ref = typeof dp.payment_intent === 'string' ? dp.payment_intent : dp.payment_intent?.id;
          return ref ? { kind: 'disputed', ref } : { kind: 'ignored' };
        }
        default:
          return { kind: 'ignored' };
      }
    },
    listSince(since) {
      return guard(async () => {
        const out: ProviderRecord[] = [];
        for await (const pi of stripe.paymentIntents.list({ created: { gte: Math.floor(since.getTime() / 1000) }, limit: 100 })) {
          out.push({
            ref: pi.id,
            paymentId: paymentIdOf(pi),
            status: pi.status === 'succeeded' ? 'succeeded' : pi.status === 'canceled' ? 'failed' : 'pending',
            amountMinor: pi.amount,
            currency: pi.currency,
          });
        }
        return out;
      });
    },
  };
}
