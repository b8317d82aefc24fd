import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../../errors.js';
import { header, type PaymentProvider, type PaymentSignal, type ProviderEvent, type ProviderRecord } from './provider.js';

export interface SandboxEvent {
  id: string;
  type: 'payment.succeeded' | 'payment.failed' | 'payment.refunded' | 'payment.disputed';
  created: number;
  data: { ref: string; paymentId: string; amountMinor: number; currency: string; refundedTotalMinor?: number };
}

/** Deliveries older than this are refused as replays, as Stripe does. */
const TOLERANCE_SECONDS = 300;

/**
 * The embedded-mode provider: checkouts are completed by a local call,
 * which produces a webhook signed like Stripe's (`t=<unix>,v1=<hmac>` over
 * `<t>.<body>`) and delivered through the same webhook path as real
 * providers. It keeps its own records for reconciliation in memory.
 */
export function createSandboxProvider(opts: { secret: string }): PaymentProvider & {
  sign(body: string, timestamp?: number): string;
  makeEvent(type: SandboxEvent['type'], data: SandboxEvent['data']): { body: string; signature: string };
} {
  const records = new Map<string, ProviderRecord>();
  const sign = (body: string, t = Math.floor(Date.now() / 1000)) =>
    `t=${t},v1=${createHmac('sha256', opts.secret).update(`${t}.${body}`).digest('hex')}`;

  return {
    name: 'sandbox',
    flows: ['embedded'],
    sign,
    makeEvent(type, data) {
      const event: SandboxEvent = { id: `sbx_evt_${randomUUID()}`, type, created: Math.floor(Date.now() / 1000), data };
      const rec = records.get(data.ref);
      if (rec) {
        if (type === 'payment.succeeded') rec.status = 'succeeded';
        if (type === 'payment.failed') rec.status = 'failed';
        if (type === 'payment.refunded') rec.refundedMinor = data.refundedTotalMinor ?? rec.amountMinor;
      }
      const body = JSON.stringify(event);
      return { body, signature: sign(body) };
    },
    async createCheckout(req) {
      const ref = `sbx_${req.paymentId}`;
      if (!records.has(ref)) {
        records.set(ref, { ref, paymentId: req.paymentId, status: 'pending', amountMinor: req.amountMinor, currency: req.currency, refundedMinor: 0 });
      }
      return { ref, client: { provider: 'sandbox', flow: 'embedded', completeUrl: `/api/payments/sandbox/${req.paymentId}`, actions: ['succeed', 'fail', 'refund', 'dispute'] } };
    },
    verifyWebhook(raw, headers) {
      const sig = header(headers, 'x-sandbox-signature') ?? '';
      const parts = Object.fromEntries(sig.split(',').map((kv) => kv.split('=') as [string, string]));
      const t = Number(parts.t);
      const expected = Buffer.from(createHmac('sha256', opts.secret).update(`${t}.${raw.toString('utf8')}`).digest('hex'));
      const given = Buffer.from(parts.v1 ?? '');
      if (!Number.isFinite(t) || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new AppError('INVALID_SIGNATURE', 'sandbox signature verification failed');
      }
      if (Math.abs(Date.now() / 1000 - t) > TOLERANCE_SECONDS) throw new AppError('INVALID_SIGNATURE', 'sandbox signature is too old');
      let event: SandboxEvent;
      try {
        event = JSON.parse(raw.toString('utf8')) as SandboxEvent;
      } catch {
        throw new AppError('INVALID_JSON', 'webhook body is not JSON');
      }
      return { id: event.id, type: event.type, payload: event };
    },
    interpret(e: ProviderEvent): PaymentSignal {
      const { type, data } = e.payload as SandboxEvent;
      const base = { ref: data.ref, paymentId: data.paymentId };
      switch (type) {
        case 'payment.succeeded':
          return { kind: 'captured', ...base, amountMinor: data.amountMinor, currency: data.currency };
        case 'payment.failed':
          return { kind: 'failed', ...base };
        case 'payment.refunded':
          return { kind: 'refunded', ...base, refundedTotalMinor: data.refundedTotalMinor ?? data.amountMinor };
        case 'payment.disputed':
          return { kind: 'disputed', ...base };
        default:
          return { kind: 'ignored' };
      }
    },
    async listSince() {
      return [...records.values()];
    },
  };
}
