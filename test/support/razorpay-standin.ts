import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHang, listenLocal, readBody } from './standin-http.js';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRazorpayX, type RazorpayXControls } from './razorpay-standin-x.js';

/**
 * A LOCAL STAND-IN for the Razorpay API: a plain node:http server on
 * 127.0.0.1 that speaks the subset of Razorpay's v1 REST API Pairly uses, so
 * Pairly's code drives it through the official `razorpay` SDK. The SDK
 * hard-codes https://api.razorpay.com in its axios instance; point it here with
 *
 *   const rzp = new Razorpay({ key_id, key_secret });
 *   rzp.api.rq.defaults.baseURL = standin.url;   // `rq` is untyped: see pointRazorpayAt()
 *
 * It is not Razorpay. State lives in memory and dies with close(). The test
 * controls (capture, fail, refund, dispute) play the customer's and the
 * bank's part and return a webhook delivery signed as Razorpay signs them
 * (hex HMAC-SHA256 of the exact body with the webhook secret), which the
 * SDK's own `Razorpay.validateWebhookSignature` accepts.
 *
 * Endpoints: POST /v1/orders, GET /v1/orders (from, to, count, skip, receipt),
 * GET /v1/orders/:id, GET /v1/orders/:id/payments, GET /v1/payments/:id;
 * RazorpayX's contacts, fund accounts and payouts (razorpay-standin-x.ts).
 */

export interface RazorpayStandinOptions {
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  /** The RazorpayX account number payouts must come from (default 2323230000000000). */
  accountNumber?: string;
}

export type RazorpayOrderStatus = 'created' | 'attempted' | 'paid';
export type RazorpayPaymentStatus = 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';

/**
 * Razorpay's notes: a flat key-value object. Like Razorpay, the stand-in
 * answers an empty array (`[]`) when an entity has no notes.
 */
export type RazorpayNotes = Record<string, string | number> | [];

export interface StandinRazorpayOrder {
  id: string;
  entity: 'order';
  amount: number;
  amount_paid: number;
  amount_due: number;
  currency: string;
  receipt: string | null;
  offer_id: null;
  status: RazorpayOrderStatus;
  attempts: number;
  notes: RazorpayNotes;
  created_at: number;
}

export interface StandinRazorpayPayment {
  id: string;
  entity: 'payment';
  amount: number;
  currency: string;
  status: RazorpayPaymentStatus;
  order_id: string;
  invoice_id: null;
  international: false;
  method: 'card';
  amount_refunded: number;
  refund_status: null | 'partial' | 'full';
  captured: boolean;
  description: string | null;
  email: string;
  contact: string;
  notes: RazorpayNotes;
  fee: number | null;
  tax: number | null;
  error_code: string | null;
  error_description: string | null;
  error_reason: string | null;
  created_at: number;
}

export interface StandinRazorpayRefund {
  id: string;
  entity: 'refund';
  amount: number;
  payment_id: string;
  currency: string;
  status: 'processed';
  notes: RazorpayNotes;
  created_at: number;
}

export interface StandinRazorpayDispute {
  id: string;
  entity: 'dispute';
  payment_id: string;
  amount: number;
  currency: string;
  amount_deducted: number;
  reason_code: 'chargeback';
  phase: 'chargeback';
  status: 'open';
  created_at: number;
}

export interface RazorpayWebhookBody<P = Record<string, { entity: unknown }>> {
  entity: 'event';
  account_id: string;
  event: string;
  contains: string[];
  payload: P;
  created_at: number;
}

/**
 * A ready-to-deliver webhook: POST `payload` verbatim with `headers`. Re-POST
 * it to simulate a redelivery. (`payload` is the raw body, as in the Stripe
 * stand-in's deliveries; Razorpay's own `payload` field is `event.payload`.)
 */
export interface RazorpayWebhookDelivery<P = Record<string, { entity: unknown }>> {
  event: RazorpayWebhookBody<P>;
  /** The exact JSON body; the signature covers these bytes. */
  payload: string;
  /** Same as x-razorpay-event-id: unique per event, identical on redeliveries. */
  eventId: string;
  headers: { 'x-razorpay-signature': string; 'x-razorpay-event-id': string; 'content-type': 'application/json' };
}

export type PaymentPayload = { payment: { entity: StandinRazorpayPayment } };
export type RefundPayload = { refund: { entity: StandinRazorpayRefund }; payment: { entity: StandinRazorpayPayment } };
export type DisputePayload = { dispute: { entity: StandinRazorpayDispute }; payment: { entity: StandinRazorpayPayment } };

/** 'server-error': the next request gets 500 SERVER_ERROR without any effect. */
export type RazorpayStandinFault = 'server-error';

export interface RazorpayRecordedRequest {
  method: string;
  path: string;
  status: number;
}

export interface RazorpayStandin extends RazorpayXControls {
  url: string;
  port: number;
  close(): Promise<void>;

  /** The customer paid the order: a captured payment, order 'paid'; `payment.captured`. */
  capture(orderId: string): RazorpayWebhookDelivery<PaymentPayload>;
  /** A failed attempt: payment 'failed', order 'attempted'; `payment.failed`. */
  fail(orderId: string): RazorpayWebhookDelivery<PaymentPayload>;
  /** A refund of `amount` (default: what is left); `refund.processed`. */
  refund(paymentId: string, amount?: number): RazorpayWebhookDelivery<RefundPayload>;
  /** A chargeback on the payment (default: its full amount); `payment.dispute.created`. */
  dispute(paymentId: string, amount?: number): RazorpayWebhookDelivery<DisputePayload>;
  /** Any event around any payload, signed (e.g. an event Pairly does not handle). */
  customEvent<P extends Record<string, { entity: unknown }>>(event: string, payload: P): RazorpayWebhookDelivery<P>;

  /** Changes an order (`order_...`) or payment (`pay_...`) behind Pairly's back, with no webhook. */
  setStatus(id: string, status: RazorpayOrderStatus | RazorpayPaymentStatus): void;
  /** Forgets an order or payment: later fetches answer 400 "The id provided does not exist". */
  remove(id: string): void;

  order(id: string): StandinRazorpayOrder | undefined;
  payment(id: string): StandinRazorpayPayment | undefined;
  requests(): readonly RazorpayRecordedRequest[];
  failNextRequests(count?: number, fault?: RazorpayStandinFault): void;
  /** While on (the default), API requests are held with no answer; off, the held ones are answered late. */
  hang(on?: boolean): void;
  /** API requests held by hang() right now. */
  heldRequests(): number;

  /** Hex HMAC-SHA256 of `body` with the webhook secret (the x-razorpay-signature value). */
  signPayload(body: string): string;
}

/**
 * Points an SDK client at a stand-in. The SDK keeps its axios instance in the
 * untyped `api.rq`; this is the one place that reaches for it.
 */
export function pointRazorpayAt(client: { api: unknown }, url: string): void {
  const api = client.api as { rq?: { defaults?: { baseURL?: string } } };
  if (!api.rq?.defaults) throw new Error('razorpay SDK layout changed: api.rq.defaults is missing');
  api.rq.defaults.baseURL = url;
}

// ---------------------------------------------------------------------------

interface RazorpayErrorBody {
  code: 'BAD_REQUEST_ERROR' | 'SERVER_ERROR';
  description: string;
  field?: string;
  source: string;
  step: string;
  reason: string;
  metadata: Record<string, never>;
}

class RazorpayHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: RazorpayErrorBody,
  ) {
    super(body.description);
  }
}

function badRequest(description: string, field?: string, reason = 'input_validation_failed'): RazorpayHttpError {
  return new RazorpayHttpError(400, {
    code: 'BAD_REQUEST_ERROR',
    description,
    ...(field ? { field } : {}),
    source: 'business',
    step: 'payment_initiation',
    reason,
    metadata: {},
  });
}
const noSuchId = (): RazorpayHttpError => badRequest('The id provided does not exist', 'id');

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function randomToken(length: number): string {
  let out = '';
  for (const b of randomBytes(length)) out += ALPHABET[b % ALPHABET.length];
  return out;
}
const newId = (prefix: string): string => `${prefix}_${randomToken(14)}`;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const ORDER_PARAMS = new Set(['amount', 'currency', 'receipt', 'notes', 'partial_payment', 'payment_capture']);
const ORDER_STATUSES: readonly string[] = ['created', 'attempted', 'paid'];
const PAYMENT_STATUSES: readonly string[] = ['created', 'authorized', 'captured', 'refunded', 'failed'];

function parseNotes(v: unknown): RazorpayNotes {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v) && v.length === 0) return [];
  if (!isPlainObject(v)) throw badRequest('notes should be an object', 'notes');
  const keys = Object.keys(v);
  if (keys.length > 15) throw badRequest('Number of fields in notes should be less than or equal to 15', 'notes');
  const out: Record<string, string | number> = {};
  for (const k of keys) {
    const val = v[k];
    if (typeof val !== 'string' && typeof val !== 'number') throw badRequest(`notes.${k} should be a string or a number`, 'notes');
    if (String(val).length > 256) throw badRequest('The notes value may not be greater than 256 characters.', 'notes');
    out[k] = val;
  }
  return keys.length === 0 ? [] : out;
}

function parseIntParam(v: string | null, field: string): number | undefined {
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`The ${field} must be an integer.`, field);
  return Number(v);
}

export async function startRazorpayStandin(opts: RazorpayStandinOptions): Promise<RazorpayStandin> {
  const orders = new Map<string, StandinRazorpayOrder>();
  const payments = new Map<string, StandinRazorpayPayment>();
  const sequence = new Map<string, number>();
  let seq = 0;
  const log: RazorpayRecordedRequest[] = [];
  const faults: RazorpayStandinFault[] = [];
  const hang = createHang();
  const expectedAuth = Buffer.from(`Basic ${Buffer.from(`${opts.keyId}:${opts.keySecret}`).toString('base64')}`);
  const x = createRazorpayX({
    accountNumber: opts.accountNumber ?? '2323230000000000',
    badRequest,
    noSuchId,
    deliver: (event, payload) => deliver(event, payload),
    newId,
  });

  const clone = <T>(v: T): T => structuredClone(v);
  const byNewest = (a: { id: string; created_at: number }, b: { id: string; created_at: number }) =>
    b.created_at - a.created_at || (sequence.get(b.id) ?? 0) - (sequence.get(a.id) ?? 0);

  // ---- API ----------------------------------------------------------------

  function createOrder(raw: unknown): unknown {
    if (!isPlainObject(raw)) throw badRequest('The request body should be a JSON object');
    const extra = Object.keys(raw).filter((k) => !ORDER_PARAMS.has(k));
    if (extra.length > 0) throw badRequest(`${extra.join(', ')} is/are not required and should not be sent`, extra[0], 'NA');
    const { amount, currency, receipt } = raw;
    if (amount === undefined || amount === null || amount === '') throw badRequest('The amount field is required.', 'amount');
    if (typeof amount !== 'number' || !Number.isInteger(amount)) throw badRequest('The amount must be an integer.', 'amount');
    if (amount < 100) throw badRequest('The amount must be atleast INR 1.00', 'amount');
    if (currency === undefined) throw badRequest('The currency field is required.', 'currency');
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) throw badRequest('Currency is not supported', 'currency');
    if (receipt !== undefined && receipt !== null && typeof receipt !== 'string') throw badRequest('The receipt must be a string.', 'receipt');
    if (typeof receipt === 'string' && receipt.length > 40) throw badRequest('The receipt may not be greater than 40 characters.', 'receipt');
    const order: StandinRazorpayOrder = {
      id: newId('order'),
      entity: 'order',
      amount,
      amount_paid: 0,
      amount_due: amount,
      currency,
      receipt: typeof receipt === 'string' ? receipt : null,
      offer_id: null,
      status: 'created',
      attempts: 0,
      notes: parseNotes(raw.notes),
      created_at: nowSeconds(),
    };
    orders.set(order.id, order);
    sequence.set(order.id, seq++);
    return order;
  }

  function listOrders(q: URLSearchParams): unknown {
    const from = parseIntParam(q.get('from'), 'from');
    const to = parseIntParam(q.get('to'), 'to');
    const count = parseIntParam(q.get('count'), 'count') ?? 10;
    const skip = parseIntParam(q.get('skip'), 'skip') ?? 0;
    if (count < 1 || count > 100) throw badRequest('The count must be between 1 and 100.', 'count');
    const receipt = q.get('receipt');
    const items = [...orders.values()]
      .filter((o) => (from === undefined || o.created_at >= from) && (to === undefined || o.created_at <= to))
      .filter((o) => receipt === null || o.receipt === receipt)
      .sort(byNewest)
      .slice(skip, skip + count);
    return { entity: 'collection', count: items.length, items };
  }

  function route(method: string, url: URL, body: string, headers: IncomingMessage['headers']): unknown {
    const path = url.pathname.replace(/\/+$/, '');
    const xAnswer = x.route(method, path, body, headers);
    if (xAnswer !== undefined) return xAnswer;
    if (path === '/v1/orders') {
      if (method === 'POST') {
        let parsed: unknown;
        try {
          parsed = body === '' ? {} : JSON.parse(body);
        } catch {
          throw badRequest('The request body is not valid JSON');
        }
        return createOrder(parsed);
      }
      if (method === 'GET') return listOrders(url.searchParams);
    }
    let m = /^\/v1\/orders\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const o = orders.get(decodeURIComponent(m[1]!));
      if (!o) throw noSuchId();
      return o;
    }
    m = /^\/v1\/orders\/([^/]+)\/payments$/.exec(path);
    if (m && method === 'GET') {
      const id = decodeURIComponent(m[1]!);
      if (!orders.has(id)) throw noSuchId();
      const items = [...payments.values()].filter((p) => p.order_id === id).sort(byNewest);
      return { entity: 'collection', count: items.length, items };
    }
    m = /^\/v1\/payments\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const p = payments.get(decodeURIComponent(m[1]!));
      if (!p) throw noSuchId();
      return p;
    }
    throw new RazorpayHttpError(404, {
      code: 'BAD_REQUEST_ERROR',
      description: `The requested URL was not found on the server. (${method} ${url.pathname}: not served by the Pairly Razorpay stand-in)`,
      source: 'NA',
      step: 'NA',
      reason: 'NA',
      metadata: {},
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const send = (status: number, payload: unknown) => {
      log.push({ method, path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(payload));
    };
    await hang.wait();
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (auth.length !== expectedAuth.length || !timingSafeEqual(auth, expectedAuth)) {
      return send(401, {
        error: {
          code: 'BAD_REQUEST_ERROR',
          description: 'Authentication failed',
          source: 'NA',
          step: 'NA',
          reason: 'NA',
          metadata: {},
        },
      });
    }
    if (faults.shift() === 'server-error') {
      return send(500, {
        error: {
          code: 'SERVER_ERROR',
          description: 'Injected fault (stand-in): internal server error',
          source: 'NA',
          step: 'NA',
          reason: 'NA',
          metadata: {},
        },
      });
    }
    try {
      send(200, route(method, url, body, req.headers));
    } catch (e) {
      if (e instanceof RazorpayHttpError) return send(e.status, { error: e.body });
      throw e;
    }
  }

  const { server, port } = await listenLocal(handle, (message) => ({ error: { code: 'SERVER_ERROR', description: message } }));

  // ---- webhooks -----------------------------------------------------------

  const signPayload = (body: string): string => createHmac('sha256', opts.webhookSecret).update(body).digest('hex');

  function deliver<P extends Record<string, { entity: unknown }>>(event: string, payload: P): RazorpayWebhookDelivery<P> {
    const body: RazorpayWebhookBody<P> = {
      entity: 'event',
      account_id: 'acc_standin',
      event,
      contains: Object.keys(payload),
      payload: clone(payload),
      created_at: nowSeconds(),
    };
    const text = JSON.stringify(body);
    const eventId = randomToken(14);
    return {
      event: body,
      payload: text,
      eventId,
      headers: { 'x-razorpay-signature': signPayload(text), 'x-razorpay-event-id': eventId, 'content-type': 'application/json' },
    };
  }

  function mustOrder(id: string): StandinRazorpayOrder {
    const o = orders.get(id);
    if (!o) throw new Error(`razorpay stand-in: no order ${id}`);
    return o;
  }
  function mustPayment(id: string): StandinRazorpayPayment {
    const p = payments.get(id);
    if (!p) throw new Error(`razorpay stand-in: no payment ${id}`);
    return p;
  }

  function attempt(order: StandinRazorpayOrder, ok: boolean): StandinRazorpayPayment {
    if (order.status === 'paid') throw new Error(`razorpay stand-in: order ${order.id} is already paid`);
    const payment: StandinRazorpayPayment = {
      id: newId('pay'),
      entity: 'payment',
      amount: order.amount,
      currency: order.currency,
      status: ok ? 'captured' : 'failed',
      order_id: order.id,
      invoice_id: null,
      international: false,
      method: 'card',
      amount_refunded: 0,
      refund_status: null,
      captured: ok,
      description: null,
      email: 'fan@example.test',
      contact: '+919999999999',
      notes: clone(order.notes),
      fee: ok ? Math.round(order.amount * 0.02) : null,
      tax: ok ? 0 : null,
      error_code: ok ? null : 'BAD_REQUEST_ERROR',
      error_description: ok ? null : 'Payment failed because the card was declined by the bank.',
      error_reason: ok ? null : 'payment_failed',
      created_at: nowSeconds(),
    };
    payments.set(payment.id, payment);
    sequence.set(payment.id, seq++);
    order.attempts += 1;
    if (ok) {
      order.status = 'paid';
      order.amount_paid = order.amount;
      order.amount_due = 0;
    } else {
      order.status = 'attempted';
    }
    return payment;
  }

  return {
    ...x.controls,
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        hang.set(false);
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),

    capture(orderId) {
      const payment = attempt(mustOrder(orderId), true);
      return deliver('payment.captured', { payment: { entity: payment } });
    },
    fail(orderId) {
      const payment = attempt(mustOrder(orderId), false);
      return deliver('payment.failed', { payment: { entity: payment } });
    },
    refund(paymentId, amount) {
      const payment = mustPayment(paymentId);
      if (payment.status !== 'captured') throw new Error(`razorpay stand-in: payment ${paymentId} is ${payment.status}; only captured payments refund`);
      const left = payment.amount - payment.amount_refunded;
      const amt = amount ?? left;
      if (!Number.isInteger(amt) || amt < 1 || amt > left) {
        throw new Error(`razorpay stand-in: refund of ${amt} on ${paymentId} is not within 1..${left}`);
      }
      const refund: StandinRazorpayRefund = {
        id: newId('rfnd'),
        entity: 'refund',
        amount: amt,
        payment_id: payment.id,
        currency: payment.currency,
        status: 'processed',
        notes: [],
        created_at: nowSeconds(),
      };
      payment.amount_refunded += amt;
      if (payment.amount_refunded === payment.amount) {
        payment.refund_status = 'full';
        payment.status = 'refunded';
      } else {
        payment.refund_status = 'partial';
      }
      return deliver('refund.processed', { refund: { entity: refund }, payment: { entity: payment } });
    },
    dispute(paymentId, amount) {
      const payment = mustPayment(paymentId);
      const dispute: StandinRazorpayDispute = {
        id: newId('disp'),
        entity: 'dispute',
        payment_id: payment.id,
        amount: amount ?? payment.amount,
        currency: payment.currency,
        amount_deducted: 0,
        reason_code: 'chargeback',
        phase: 'chargeback',
        status: 'open',
        created_at: nowSeconds(),
      };
      return deliver('payment.dispute.created', { dispute: { entity: dispute }, payment: { entity: payment } });
    },
    customEvent: deliver,

    setStatus(id, status) {
      if (id.startsWith('order_')) {
        if (!ORDER_STATUSES.includes(status)) throw new Error(`razorpay stand-in: ${status} is not an order status`);
        mustOrder(id).status = status as RazorpayOrderStatus;
      } else if (id.startsWith('pay_')) {
        if (!PAYMENT_STATUSES.includes(status)) throw new Error(`razorpay stand-in: ${status} is not a payment status`);
        const p = mustPayment(id);
        p.status = status as RazorpayPaymentStatus;
        p.captured = status === 'captured' || status === 'refunded';
      } else throw new Error(`razorpay stand-in: ${id} is neither an order nor a payment id`);
    },
    remove(id) {
      if (id.startsWith('order_')) {
        mustOrder(id);
        orders.delete(id);
      } else {
        mustPayment(id);
        payments.delete(id);
      }
    },

    order: (id) => {
      const o = orders.get(id);
      return o ? clone(o) : undefined;
    },
    payment: (id) => {
      const p = payments.get(id);
      return p ? clone(p) : undefined;
    },
    requests: () => log.slice(),
    failNextRequests(count = 1, fault = 'server-error') {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    hang: (on = true) => hang.set(on),
    heldRequests: () => hang.held(),
    signPayload,
  };
}
