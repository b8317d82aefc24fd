import type Stripe from 'stripe';
import type { Breaker } from '../../../breaker.js';
import { AppError } from '../../../errors.js';
import { requirePackage } from '../../../lazy.js';
import type { CheckoutClient } from '../../../../../shared/payments.js';
import { header, type CheckoutRequest, type PaymentProvider, type PaymentSignal, type ProviderEvent, type ProviderRecord } from './provider.js';

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
const HOSTED = 'hosted' as const;

const idOf = (v: string | { id: string } | null | undefined): string | undefined => (typeof v === 'string' ? v : v?.id);

/** A Checkout Session's payment id: ours in client_reference_id, or in its metadata. */
const sessionPaymentId = (s: Stripe.Checkout.Session): string | undefined => s.client_reference_id ?? s.metadata?.paymentId;

/** What counts against the breaker: Stripe not answering, or answering that it is failing (a 4xx means it is up). */
export function stripeOutage(err: unknown): boolean {
  const e = err as { type?: unknown; statusCode?: unknown };
  if (e?.type === 'StripeConnectionError' || e?.type === 'StripeAPIError' || e?.type === 'StripeRateLimitError') return true;
  return typeof e?.statusCode === 'number' && e.statusCode >= 500;
}

export function createStripeProvider(opts: { secretKey: string; webhookSecret: string; apiBase?: string; timeoutMs?: number; breaker?: Breaker }): PaymentProvider {
  const base = opts.apiBase ? new URL(opts.apiBase) : undefined;
  const guard = <T>(fn: () => Promise<T>): Promise<T> => (opts.breaker ? opts.breaker.run(fn) : fn());
  const stripe = new (requirePackage<typeof Stripe>('stripe'))(opts.secretKey, {
    maxNetworkRetries: MAX_RETRIES,
    // Each attempt gets its share of the call's budget, so retries do not go on after the caller gave up.
    timeout: Math.max(100, Math.floor((opts.timeoutMs ?? 45_000) / (MAX_RETRIES + 1))),
    ...(base
      ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' }
      : {}),
  });

  const paymentIdOf = (o: { metadata?: Record<string, string> | null }) => o.metadata?.paymentId;

  /** The hosted flow: a Stripe Checkout Session, whose PaymentIntent Stripe creates when the customer pays. */
  async function createSession(req: CheckoutRequest): Promise<{ ref: string; client: CheckoutClient }> {
    const metadata = { paymentId: req.paymentId, userId: req.userId, packId: req.packId, credits: String(req.credits) };
    const session = await guard(() =>
      stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              quantity: 1,
              price_data: { currency: req.currency, unit_amount: req.amountMinor, product_data: { name: `${req.credits.toLocaleString('en')} Pairly credits` } },
            },
          ],
          client_reference_id: req.paymentId,
          metadata,
          // On the PaymentIntent too, so its own events (and its charge's) name the payment; `flow` tells them apart.
          payment_intent_data: { metadata: { ...metadata, flow: HOSTED } },
          success_url: req.returnUrls.success,
          cancel_url: req.returnUrls.cancel,
        },
        // Not the PaymentIntent's key: Stripe refuses one key for two endpoints.
        { idempotencyKey: `pairly-checkout-session-${req.paymentId}` },
      ),
    );
    if (!session.url) throw new AppError('PROVIDER_ERROR', 'Stripe opened a Checkout Session without a payment page URL');
    return {
      ref: session.id,
      client: { provider: 'stripe', flow: 'hosted', checkoutUrl: session.url, sessionId: session.id, expiresAt: new Date(session.expires_at * 1000).toISOString() },
    };
  }

  async function createIntent(req: CheckoutRequest): Promise<{ ref: string; client: CheckoutClient }> {
    const pi = await guard(() =>
      stripe.paymentIntents.create(
        {
          amount: req.amountMinor,
          currency: req.currency,
          automatic_payment_methods: { enabled: true },
          metadata: { paymentId: req.paymentId, userId: req.userId, packId: req.packId, credits: String(req.credits) },
        },
        // Our key, not the SDK's per-call one, so a retry after a crash finds the same PaymentIntent.
        { idempotencyKey: `pairly-checkout-${req.paymentId}` },
      ),
    );
    if (!pi.client_secret) throw new AppError('PROVIDER_ERROR', 'Stripe opened a PaymentIntent without a client secret');
    return { ref: pi.id, client: { provider: 'stripe', flow: 'embedded', clientSecret: pi.client_secret, paymentIntentId: pi.id } };
  }

  return {
    name: 'stripe',
    breaker: opts.breaker,
    flows: ['embedded', HOSTED],
    createCheckout: (req) => (req.flow === HOSTED ? createSession(req) : createIntent(req)),
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
        case 'checkout.session.completed':
        case 'checkout.session.async_payment_succeeded': {
          const cs = event.data.object;
          const target = { ref: cs.id, paymentId: sessionPaymentId(cs), paymentRef: idOf(cs.payment_intent) };
          if (cs.payment_status === 'paid') return { kind: 'captured', ...target, amountMinor: cs.amount_total ?? 0, currency: cs.currency ?? '' };
          // Completed, with the money still on its way (a bank debit): async_payment_succeeded or _failed follows.
          return target.paymentRef ? { kind: 'linked', ...target, paymentRef: target.paymentRef } : { kind: 'ignored' };
        }
        case 'checkout.session.async_payment_failed':
        case 'checkout.session.expired': {
          const cs = event.data.object;
          return { kind: 'failed', ref: cs.id, paymentId: sessionPaymentId(cs), paymentRef: idOf(cs.payment_intent), reason: event.type === 'checkout.session.expired' ? 'expired' : 'async_payment_failed' };
        }
        case 'payment_intent.succeeded': {
          const pi = event.data.object;
          return { kind: 'captured', ref: pi.id, paymentId: paymentIdOf(pi), paymentRef: pi.id, amountMinor: pi.amount_received || pi.amount, currency: pi.currency };
        }
        case 'payment_intent.payment_failed': {
          const pi = event.data.object;
          // On Stripe's hosted page a declined card is one attempt: the person may try another card on the same
          // page. Only the session's expiry or an asynchronous failure is the payment's verdict.
          if (pi.metadata?.flow === HOSTED) return { kind: 'linked', ref: pi.id, paymentId: paymentIdOf(pi), paymentRef: pi.id };
          return { kind: 'failed', ref: pi.id, paymentId: paymentIdOf(pi), paymentRef: pi.id, reason: pi.last_payment_error?.code };
        }
        case 'charge.refunded': {
          const ch = event.data.object;
          const ref = idOf(ch.payment_intent);
          return ref ? { kind: 'refunded', ref, paymentId: paymentIdOf(ch), paymentRef: ref, refundedTotalMinor: ch.amount_refunded } : { kind: 'ignored' };
        }
        case 'charge.dispute.created': {
          const dp = event.data.object;
          const ref = idOf(dp.payment_intent);
          return ref ? { kind: 'disputed', ref, paymentRef: ref } : { kind: 'ignored' };
        }
        default:
          return { kind: 'ignored' };
      }
    },
    listSince(since) {
      return guard(async () => {
        const created = { gte: Math.floor(since.getTime() / 1000) };
        const out: ProviderRecord[] = [];
        // A hosted checkout is its session: open, paid, or expired (failed).
        for await (const cs of stripe.checkout.sessions.list({ created, limit: 100 })) {
          out.push({
            ref: cs.id,
            paymentId: sessionPaymentId(cs),
            status: cs.payment_status === 'paid' ? 'succeeded' : cs.status === 'expired' ? 'failed' : 'pending',
            amountMinor: cs.amount_total ?? 0,
            currency: cs.currency ?? '',
          });
        }
        for await (const pi of stripe.paymentIntents.list({ created, limit: 100 })) {
          // A session's PaymentIntent is counted through its session (it may also be younger than `since` when its session is not).
          if (pi.metadata?.flow === HOSTED) continue;
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
