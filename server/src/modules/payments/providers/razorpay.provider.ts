import { createHash } from 'node:crypto';
import type Razorpay from 'razorpay';
import type { Breaker } from '../../../breaker.js';
import { AppError } from '../../../errors.js';
import { requirePackage } from '../../../lazy.js';
import { header, type PaymentProvider, type PaymentSignal, type ProviderEvent, type ProviderRecord } from './provider.js';

interface RzpPayment {
  id: string;
  order_id: string;
  amount: number;
  currency: string;
  status: string;
  amount_refunded: number;
  notes?: Record<string, string> | [];
}
interface RzpOrder {
  id: string;
  amount: number;
  amount_paid: number;
  currency: string;
  status: string;
  receipt?: string;
  notes?: Record<string, string> | [];
}
interface RzpWebhook {
  event: string;
  payload: { payment?: { entity: RzpPayment }; refund?: { entity: { payment_id: string } } };
}

const EVENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

const notesPaymentId = (notes: RzpPayment['notes']) => (notes && !Array.isArray(notes) ? notes.paymentId : undefined);

/**
 * What counts against the breaker. The SDK rejects with `{ statusCode, error }`
 * when Razorpay answered, and with a TypeError (no response to read) when it did not.
 */
export function razorpayOutage(err: unknown): boolean {
  const status = (err as { statusCode?: unknown })?.statusCode;
  return typeof status !== 'number' || status >= 500 || status === 429;
}

export function createRazorpayProvider(opts: {
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  apiBase?: string;
  timeoutMs?: number;
  breaker?: Breaker;
}): PaymentProvider {
  const RazorpaySdk = requirePackage<typeof Razorpay>('razorpay');
  const rzp = new RazorpaySdk({ key_id: opts.keyId, key_secret: opts.keySecret });
  const defaults = (rzp.api as unknown as { rq: { defaults: { baseURL?: string; timeout?: number } } }).rq.defaults;
  // The SDK hard-codes its host in an axios instance; the base URL is overridden only to reach a stand-in.
  if (opts.apiBase) defaults.baseURL = opts.apiBase;
  // Axios waits forever by default: a request Razorpay never answers would hold its socket after the breaker gave up on it.
  if (opts.timeoutMs) defaults.timeout = opts.timeoutMs;
  const guard = <T>(fn: () => Promise<T>): Promise<T> => (opts.breaker ? opts.breaker.run(fn) : fn());

  return {
    name: 'razorpay',
    breaker: opts.breaker,
    flows: ['embedded'],
    async createCheckout(req) {
      try {
        const order = (await guard(() =>
          rzp.orders.create({
            amount: req.amountMinor,
            currency: req.currency.toUpperCase(),
            receipt: req.paymentId.slice(0, 40),
            notes: { paymentId: req.paymentId, userId: req.userId, packId: req.packId },
          }),
        )) as unknown as RzpOrder;
        return { ref: order.id, client: { provider: 'razorpay', flow: 'embedded', orderId: order.id, keyId: opts.keyId, amount: order.amount, currency: order.currency } };
      } catch (err) {
        if (err instanceof AppError) throw err;
        // The SDK rejects with plain objects ({ statusCode, error }), not Errors.
        throw new AppError('PROVIDER_ERROR', `Razorpay refused the order: ${JSON.stringify((err as { error?: unknown })?.error ?? 'unknown')}`);
      }
    },
    verifyWebhook(raw, headers) {
      const signature = header(headers, 'x-razorpay-signature');
      const eventId = header(headers, 'x-razorpay-event-id');
      if (!signature || !eventId) throw new AppError('INVALID_SIGNATURE', 'missing X-Razorpay-Signature or X-Razorpay-Event-Id');
      // Razorpay's ids are short ([A-Za-z0-9]{14}); anything else is not a delivery of theirs, and a
      // 400 (never a 5xx, which providers retry for days) says so.
      if (!EVENT_ID.test(eventId)) throw new AppError('VALIDATION_FAILED', 'X-Razorpay-Event-Id is not a Razorpay event id');
      let ok = false;
      try {
        ok = RazorpaySdk.validateWebhookSignature(raw.toString('utf8'), signature, opts.webhookSecret);
      } catch {
        ok = false;
      }
      if (!ok) throw new AppError('INVALID_SIGNATURE', 'Razorpay signature verification failed');
      let body: RzpWebhook;
      try {
        body = JSON.parse(raw.toString('utf8')) as RzpWebhook;
      } catch {
        throw new AppError('INVALID_JSON', 'webhook body is not JSON');
      }
      // Stored under what the signature covers: the event id header is not signed, so keying on it
      // would store one signed body replayed under new ids again and again. Razorpay's own retries
      // resend the same body, so they still land on the same key.
      return { id: `sha256:${createHash('sha256').update(raw).digest('hex')}`, type: body.event, payload: body };
    },
    interpret(e: ProviderEvent): PaymentSignal {
      const body = e.payload as RzpWebhook;
      const p = body.payload?.payment?.entity;
      if (!p) return { kind: 'ignored' };
      const base = { ref: p.order_id, paymentId: notesPaymentId(p.notes) };
      switch (body.event) {
        case 'payment.captured':
        case 'order.paid':
          return { kind: 'captured', ...base, amountMinor: p.amount, currency: p.currency.toLowerCase() };
        case 'payment.failed':
          return { kind: 'failed', ...base };
        case 'refund.processed':
        case 'refund.created':
        case 'payment.refunded':
          return { kind: 'refunded', ...base, refundedTotalMinor: p.amount_refunded };
        case 'payment.dispute.created':
          return { kind: 'disputed', ...base };
        default:
          return { kind: 'ignored' };
      }
    },
    listSince(since) {
      return guard(() => listOrders(since));
    },
  };

  async function listOrders(since: Date): Promise<ProviderRecord[]> {
    const out: ProviderRecord[] = [];
    const from = Math.floor(since.getTime() / 1000);
    for (let skip = 0; ; skip += 100) {
      const page = (await rzp.orders.all({ from, count: 100, skip })) as unknown as { items: RzpOrder[] };
      for (const o of page.items) {
        let refundedMinor = 0;
        if (o.status === 'paid') {
          const payments = (await rzp.orders.fetchPayments(o.id)) as unknown as { items: RzpPayment[] };
          refundedMinor = payments.items.reduce((sum, p) => sum + (p.amount_refunded ?? 0), 0);
        }
        out.push({
          ref: o.id,
          paymentId: notesPaymentId(o.notes),
          status: o.status === 'paid' ? 'succeeded' : 'pending',
          amountMinor: o.amount,
          currency: o.currency.toLowerCase(),
          refundedMinor,
        });
      }
      if (page.items.length < 100) break;
    }
    return out;
  }
}
