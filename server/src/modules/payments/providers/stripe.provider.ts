import Stripe from 'stripe';
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

export function createStripeProvider(opts: { secretKey: string; webhookSecret: string; apiBase?: string }): PaymentProvider {
  const base = opts.apiBase ? new URL(opts.apiBase) : undefined;
  const stripe = new Stripe(opts.secretKey, {
    maxNetworkRetries: 2,
    timeout: 15_000,
    ...(base
      ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' }
      : {}),
  });

  const paymentIdOf = (o: { metadata?: Record<string, string> | null }) => o.metadata?.paymentId;

  return {
    name: 'stripe',
    async createCheckout(req) {
      const pi = await stripe.paymentIntents.create(
        {
          amount: req.amountMinor,
          currency: req.currency,
          automatic_payment_methods: { enabled: true },
          metadata: { paymentId: req.paymentId, userId: req.userId, packId: req.packId, credits: String(req.credits) },
        },
        // Our key, not the SDK's per-call one, so a retry after a crash finds the same PaymentIntent.
        { idempotencyKey: `pairly-checkout-${req.paymentId}` },
      );
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
    async listSince(since) {
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
    },
  };
}
