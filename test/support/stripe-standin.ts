import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHang, listenLocal, readBody } from './standin-http.js';
import Stripe from 'stripe';
import {
  canonical,
  invalid,
  newId,
  notFound,
  nowSeconds,
  paginate,
  parseInteger,
  parseMetadata,
  parseStripeForm,
  randomToken,
  StripeHttpError,
  type FormObject,
  type FormValue,
} from './stripe-standin-form.js';

import { createCheckoutSessions, type CheckoutSessionControls } from './stripe-standin-checkout.js';
import { createConnect, type ConnectControls } from './stripe-standin-connect.js';

export { parseStripeForm };
export type { StandinCheckoutSession, StripeWebhookResult } from './stripe-standin-checkout.js';

/**
 * A LOCAL STAND-IN for the Stripe API: a plain node:http server on 127.0.0.1
 * that speaks the subset of Stripe's v1 REST API Pairly uses, so Pairly's
 * code drives it through the official `stripe` SDK:
 *
 *   new Stripe(apiKey, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 2 })
 *
 * It is not Stripe. State lives in memory and dies with close(). The test
 * controls (succeed, fail, refund, dispute) play the customer's and the
 * bank's part and return a webhook delivery signed with the SDK's own helper
 * (`Stripe.webhooks.generateTestHeaderString`), ready to POST to Pairly.
 *
 * Endpoints: POST /v1/payment_intents, GET /v1/payment_intents/:id,
 * GET /v1/payment_intents (limit, starting_after, ending_before, created[...]);
 * Stripe Checkout's sessions and hosted payment page (stripe-standin-checkout.ts);
 * Connect accounts, onboarding, transfers and payouts (stripe-standin-connect.ts).
 */

export interface StripeStandinOptions {
  /** The secret key Pairly is configured with; requests must send `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** The endpoint's signing secret (`whsec_...`) deliveries are signed with. */
  webhookSecret: string;
}

export type StripePaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

export interface StandinLastPaymentError {
  type: 'card_error';
  code: string;
  decline_code: string;
  message: string;
}

/** The PaymentIntent fields the stand-in keeps (a subset of Stripe.PaymentIntent). */
export interface StandinPaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  status: StripePaymentIntentStatus;
  client_secret: string;
  metadata: Record<string, string>;
  description: string | null;
  receipt_email: string | null;
  automatic_payment_methods: { enabled: boolean } | null;
  capture_method: 'automatic';
  created: number;
  latest_charge: string | null;
  last_payment_error: StandinLastPaymentError | null;
  livemode: false;
}

export interface StandinCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  /** Cumulative. */
  amount_refunded: number;
  currency: string;
  payment_intent: string;
  paid: true;
  captured: true;
  status: 'succeeded';
  /** True once amount_refunded === amount. */
  refunded: boolean;
  disputed: boolean;
  metadata: Record<string, string>;
  created: number;
  livemode: false;
}

export interface StandinDispute {
  id: string;
  object: 'dispute';
  amount: number;
  currency: string;
  charge: string;
  payment_intent: string;
  status: 'needs_response';
  reason: 'fraudulent';
  metadata: Record<string, string>;
  created: number;
  livemode: false;
}

export type StripeStandinEventType =
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'charge.refunded'
  | 'charge.dispute.created';

export type StripeStandinObject = StandinPaymentIntent | StandinCharge | StandinDispute;

export interface StripeStandinEvent<T = StripeStandinObject> {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  type: string;
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  data: { object: T };
}

/** A ready-to-deliver webhook: POST `payload` verbatim with `headers`. Re-POST it to simulate a redelivery. */
export interface StripeWebhookDelivery<T = StripeStandinObject> {
  event: StripeStandinEvent<T>;
  /** The exact body Stripe would send (pretty-printed JSON, as Stripe sends it). */
  payload: string;
  headers: { 'stripe-signature': string; 'content-type': 'application/json' };
}

/**
 * Injected faults, consumed one per API request:
 * - 'server-error': answer 500 (api_error) before doing anything; nothing is stored, the SDK retries.
 * - 'drop-response': do the work (and record the idempotent result), then cut the connection
 *   without answering, as a lost response; the SDK retries with the same Idempotency-Key.
 */
export type StripeStandinFault = 'server-error' | 'drop-response';

export interface StripeRecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  status: number;
  /** True when the answer was a replay of a stored idempotent result. */
  replayed: boolean;
}

export interface StripeStandin extends CheckoutSessionControls, ConnectControls {
  url: string;
  port: number;
  close(): Promise<void>;

  /** The customer paid: status 'succeeded', a charge is created; `payment_intent.succeeded`. */
  succeed(paymentIntentId: string): StripeWebhookDelivery<StandinPaymentIntent>;
  /** The card was declined: back to 'requires_payment_method' with last_payment_error; `payment_intent.payment_failed`. */
  fail(paymentIntentId: string): StripeWebhookDelivery<StandinPaymentIntent>;
  /** A refund of `amount` (default: what is left) from the dashboard; `charge.refunded` with the cumulative charge. */
  refund(paymentIntentId: string, amount?: number): StripeWebhookDelivery<StandinCharge>;
  /** The cardholder disputed the charge (default: its full amount); `charge.dispute.created`. */
  dispute(paymentIntentId: string, amount?: number): StripeWebhookDelivery<StandinDispute>;
  /** Any event type around any object, signed (e.g. a type Pairly does not handle). */
  customEvent<T>(type: string, object: T): StripeWebhookDelivery<T>;

  /** Changes a PaymentIntent behind Pairly's back (no webhook), for reconciliation tests. */
  setStatus(paymentIntentId: string, status: StripePaymentIntentStatus): void;
  /** Forgets a PaymentIntent: later retrieves answer 404 and lists leave it out. */
  remove(paymentIntentId: string): void;

  /** A copy of the stand-in's record, or undefined. */
  paymentIntent(id: string): StandinPaymentIntent | undefined;
  charge(id: string): StandinCharge | undefined;
  /** Every API request received so far, in order. */
  requests(): readonly StripeRecordedRequest[];
  /** The next `count` API requests (default 1) meet `fault`. */
  failNextRequests(count?: number, fault?: StripeStandinFault): void;
  /** While on (the default), API requests are held with no answer; off, the held ones are answered late. */
  hang(on?: boolean): void;
  /** API requests held by hang() right now. */
  heldRequests(): number;

  /** A `stripe-signature` header for `payload`; `timestamp` (unix seconds, > 0) defaults to now. */
  signPayload(payload: string, timestamp?: number): string;
}

// ---------------------------------------------------------------------------

const CREATE_PARAMS = new Set([
  'amount',
  'currency',
  'metadata',
  'automatic_payment_methods',
  'description',
  'receipt_email',
  'payment_method_types',
  'statement_descriptor_suffix',
  'expand',
]);

const PI_STATUSES: readonly StripePaymentIntentStatus[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'canceled',
  'succeeded',
];

interface StoredIdempotentResult {
  method: string;
  path: string;
  fingerprint: string;
  status: number;
  body: string;
  requestId: string;
}

interface Answer {
  status: number;
  body: unknown;
}

export async function startStripeStandin(opts: StripeStandinOptions): Promise<StripeStandin> {
  const intents = new Map<string, StandinPaymentIntent>();
  /** Insertion order, for a stable newest-first sort within one second. */
  const sequence = new Map<string, number>();
  let seq = 0;
  const charges = new Map<string, StandinCharge>();
  const idempotent = new Map<string, StoredIdempotentResult>();
  const log: StripeRecordedRequest[] = [];
  const faults: StripeStandinFault[] = [];
  const hang = createHang();
  let baseUrl = '';

  const clone = <T>(v: T): T => structuredClone(v);
  const checkout = createCheckoutSessions({
    base: () => baseUrl,
    openIntent: (f) => storeIntent(f),
    captureIntent: (pi) => captureIntent(pi),
    declineIntent: (pi) => declineIntent(pi),
    intent: (id) => mustIntent(id),
    deliver: (type, object) => deliver(type, object),
  });
  // Connect (accounts, transfers, payouts): stripe-standin-connect.ts.
  const connect = createConnect({ base: () => baseUrl, signPayload: (payload) => signPayload(payload) });

  function mustIntent(id: string): StandinPaymentIntent {
    const pi = intents.get(id);
    if (!pi) throw new Error(`stripe stand-in: no PaymentIntent ${id}`);
    return pi;
  }

  // ---- API ----------------------------------------------------------------

  function createIntent(params: FormObject): Answer {
    for (const key of Object.keys(params)) {
      if (!CREATE_PARAMS.has(key)) throw invalid(`Received unknown parameter: ${key}`, key, 'parameter_unknown');
    }
    const amount = parseInteger(params.amount, 'amount', true)!;
    if (amount < 1) throw invalid('This value must be greater than or equal to 1.', 'amount', 'parameter_invalid_integer');
    if (amount > 99_999_999) throw invalid('Amount must be no more than 99,999,999.', 'amount', 'amount_too_large');
    const currency = params.currency;
    if (currency === undefined) throw invalid('Missing required param: currency.', 'currency', 'parameter_missing');
    if (typeof currency !== 'string' || !/^[a-zA-Z]{3}$/.test(currency)) {
      throw invalid(`Invalid currency: ${typeof currency === 'string' ? currency : 'object'}.`, 'currency', 'parameter_invalid');
    }
    const metadata = parseMetadata(params.metadata);
    let automatic: { enabled: boolean } | null = null;
    const apm = params.automatic_payment_methods;
    if (apm !== undefined) {
      if (typeof apm !== 'object' || (apm.enabled !== 'true' && apm.enabled !== 'false')) {
        throw invalid('Invalid automatic_payment_methods[enabled]: must be a boolean', 'automatic_payment_methods[enabled]');
      }
      automatic = { enabled: apm.enabled === 'true' };
    }
    const str = (v: FormValue | undefined): string | null => (typeof v === 'string' && v !== '' ? v : null);
    const pi = storeIntent({ amount, currency, metadata, description: str(params.description), receipt_email: str(params.receipt_email), automatic_payment_methods: automatic });
    return { status: 200, body: pi };
  }

  function storeIntent(f: {
    amount: number;
    currency: string;
    metadata: Record<string, string>;
    description: string | null;
    receipt_email: string | null;
    automatic_payment_methods?: { enabled: boolean } | null;
  }): StandinPaymentIntent {
    const id = newId('pi');
    const pi: StandinPaymentIntent = {
      id,
      object: 'payment_intent',
      amount: f.amount,
      amount_received: 0,
      currency: f.currency.toLowerCase(),
      status: 'requires_payment_method',
      client_secret: `${id}_secret_${randomToken(25)}`,
      metadata: f.metadata,
      description: f.description,
      receipt_email: f.receipt_email,
      automatic_payment_methods: f.automatic_payment_methods ?? null,
      capture_method: 'automatic',
      created: nowSeconds(),
      latest_charge: null,
      last_payment_error: null,
      livemode: false,
    };
    intents.set(id, pi);
    sequence.set(id, seq++);
    return pi;
  }

  /** The PaymentIntent succeeds: a charge (carrying its metadata) is created. */
  function captureIntent(pi: StandinPaymentIntent): void {
    const charge: StandinCharge = {
      id: newId('ch'),
      object: 'charge',
      amount: pi.amount,
      amount_captured: pi.amount,
      amount_refunded: 0,
      currency: pi.currency,
      payment_intent: pi.id,
      paid: true,
      captured: true,
      status: 'succeeded',
      refunded: false,
      disputed: false,
      metadata: { ...pi.metadata },
      created: nowSeconds(),
      livemode: false,
    };
    charges.set(charge.id, charge);
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.latest_charge = charge.id;
    pi.last_payment_error = null;
  }

  function declineIntent(pi: StandinPaymentIntent): void {
    pi.status = 'requires_payment_method';
    pi.last_payment_error = {
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'generic_decline',
      message: 'Your card was declined.',
    };
  }

  function newestFirst(): StandinPaymentIntent[] {
    return [...intents.values()].sort(
      (a, b) => b.created - a.created || (sequence.get(b.id) ?? 0) - (sequence.get(a.id) ?? 0),
    );
  }

  function listIntents(query: FormObject): Answer {
    return { status: 200, body: paginate(newestFirst(), query, '/v1/payment_intents', 'payment_intent') };
  }

  function route(method: string, path: string, params: FormObject, stripeAccount: string | null): Answer {
    const sessionAnswer = checkout.route(method, path, params);
    if (sessionAnswer) return sessionAnswer;
    const connectAnswer = connect.route(method, path, params, stripeAccount);
    if (connectAnswer) return connectAnswer;
    if (path === '/v1/payment_intents') {
      if (method === 'POST') return createIntent(params);
      if (method === 'GET') return listIntents(params);
    }
    const m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const id = decodeURIComponent(m[1]!);
      const pi = intents.get(id);
      if (!pi) throw notFound('payment_intent', 'intent', id);
      return { status: 200, body: pi };
    }
    throw new StripeHttpError(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}). This is the Pairly Stripe stand-in; it serves only the endpoints Pairly uses.`,
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const requestId = `req_${randomToken(14)}`;
    const idemHeader = req.headers['idempotency-key'];
    const idempotencyKey = typeof idemHeader === 'string' && idemHeader !== '' ? idemHeader : null;
    const body = await readBody(req);

    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'request-id': requestId,
      'stripe-version': typeof req.headers['stripe-version'] === 'string' ? req.headers['stripe-version'] : Stripe.API_VERSION,
    };
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const record = (status: number, replayed = false) =>
      log.push({ method, path, idempotencyKey, status, replayed });
    const send = (status: number, payload: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...headers, ...extra });
      res.end(payload);
    };
    const sendError = (e: StripeHttpError) => {
      record(e.status);
      send(e.status, JSON.stringify({ error: { ...e.body, request_log_url: null } }, null, 2));
    };

    // The hosted payment page is the customer's, in a browser: no API key, no injected faults.
    if (checkout.hostedPage(req, res, path, body)) return;
    if (await connect.onboardingPage(req, res, path, body)) return;
    await hang.wait();
    // Authentication first, as Stripe does.
    const auth = req.headers.authorization;
    if (!auth) {
      return sendError(
        new StripeHttpError(401, {
          type: 'invalid_request_error',
          message: 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').',
        }),
      );
    }
    const bearer = /^Bearer (.+)$/.exec(auth);
    if (!bearer || bearer[1] !== opts.apiKey) {
      const shown = bearer?.[1] ?? '';
      return sendError(
        new StripeHttpError(401, {
          type: 'invalid_request_error',
          message: `Invalid API Key provided: ${shown.slice(0, 8)}${'*'.repeat(Math.max(0, shown.length - 12))}${shown.slice(-4)}`,
        }),
      );
    }

    const fault = faults.shift();
    if (fault === 'server-error') {
      return sendError(new StripeHttpError(500, { type: 'api_error', message: 'Injected fault (stand-in): internal server error.' }));
    }

    let params: FormObject;
    try {
      if (method === 'GET' || method === 'DELETE') params = parseStripeForm(url.search.slice(1));
      else {
        const ctype = req.headers['content-type'] ?? '';
        if (body !== '' && !ctype.startsWith('application/x-www-form-urlencoded')) {
          throw invalid(`Invalid request: unsupported Content-Type ${ctype}. If error persists and you need assistance, please contact support@stripe.com.`);
        }
        params = parseStripeForm(body);
      }
    } catch (e) {
      if (e instanceof StripeHttpError) return sendError(e);
      throw e;
    }

    // Idempotency (POST only, as in Stripe's v1 API).
    const fingerprint = canonical(params);
    if (method === 'POST' && idempotencyKey) {
      const stored = idempotent.get(idempotencyKey);
      if (stored) {
        if (stored.method !== method || stored.path !== path) {
          return sendError(
            new StripeHttpError(400, {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${stored.method} ${stored.path}' vs '${method} ${path}'). Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            }),
          );
        }
        if (stored.fingerprint !== fingerprint) {
          return sendError(
            new StripeHttpError(400, {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            }),
          );
        }
        record(stored.status, true);
        if (fault === 'drop-response') {
          res.socket?.destroy();
          return;
        }
        return send(stored.status, stored.body, { 'idempotent-replayed': 'true', 'original-request': stored.requestId });
      }
    }

    let answer: Answer;
    try {
      const account = req.headers['stripe-account'];
      answer = route(method, path, params, typeof account === 'string' && account !== '' ? account : null);
    } catch (e) {
      // Validation failures are not stored against the key (as in Stripe).
      if (e instanceof StripeHttpError) return sendError(e);
      throw e;
    }
    const payload = JSON.stringify(answer.body, null, 2);
    if (method === 'POST' && idempotencyKey) {
      idempotent.set(idempotencyKey, { method, path, fingerprint, status: answer.status, body: payload, requestId });
    }
    record(answer.status);
    if (fault === 'drop-response') {
      res.socket?.destroy();
      return;
    }
    send(answer.status, payload);
  }

  const { server, port } = await listenLocal(handle, (message) => ({ error: { type: 'api_error', message } }));
  baseUrl = `http://127.0.0.1:${port}`;

  // ---- webhooks -----------------------------------------------------------

  function signPayload(payload: string, timestamp?: number): string {
    return Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: opts.webhookSecret,
      ...(timestamp !== undefined ? { timestamp } : {}),
    });
  }

  function deliver<T>(type: string, object: T): StripeWebhookDelivery<T> {
    const event: StripeStandinEvent<T> = {
      id: newId('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: nowSeconds(),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: clone(object) },
    };
    // Stripe sends pretty-printed JSON; a handler that re-serialises a parsed
    // body instead of verifying the raw bytes fails here as it would in production.
    const payload = JSON.stringify(event, null, 2);
    return {
      event,
      payload,
      headers: { 'stripe-signature': signPayload(payload), 'content-type': 'application/json' },
    };
  }

  function chargeOf(pi: StandinPaymentIntent): StandinCharge {
    const charge = pi.latest_charge ? charges.get(pi.latest_charge) : undefined;
    if (!charge) throw new Error(`stripe stand-in: PaymentIntent ${pi.id} has no charge (call succeed() first)`);
    return charge;
  }

  return {
    ...checkout.controls,
    ...connect.controls,
    url: baseUrl,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        hang.set(false);
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),

    succeed(id) {
      const pi = mustIntent(id);
      if (pi.status === 'succeeded' || pi.status === 'canceled') {
        throw new Error(`stripe stand-in: PaymentIntent ${id} is ${pi.status}; it cannot succeed`);
      }
      captureIntent(pi);
      return deliver('payment_intent.succeeded', pi);
    },

    fail(id) {
      const pi = mustIntent(id);
      if (pi.status === 'succeeded' || pi.status === 'canceled') {
        throw new Error(`stripe stand-in: PaymentIntent ${id} is ${pi.status}; it cannot fail`);
      }
      declineIntent(pi);
      return deliver('payment_intent.payment_failed', pi);
    },

    refund(id, amount) {
      const pi = mustIntent(id);
      const charge = chargeOf(pi);
      const left = charge.amount - charge.amount_refunded;
      const amt = amount ?? left;
      if (!Number.isInteger(amt) || amt < 1 || amt > left) {
        throw new Error(`stripe stand-in: refund of ${amt} on ${charge.id} is not within 1..${left}`);
      }
      charge.amount_refunded += amt;
      charge.refunded = charge.amount_refunded === charge.amount;
      return deliver('charge.refunded', charge);
    },

    dispute(id, amount) {
      const pi = mustIntent(id);
      const charge = chargeOf(pi);
      charge.disputed = true;
      const dispute: StandinDispute = {
        id: newId('dp'),
        object: 'dispute',
        amount: amount ?? charge.amount,
        currency: charge.currency,
        charge: charge.id,
        payment_intent: pi.id,
        status: 'needs_response',
        reason: 'fraudulent',
        metadata: {},
        created: nowSeconds(),
        livemode: false,
      };
      return deliver('charge.dispute.created', dispute);
    },

    customEvent: deliver,

    setStatus(id, status) {
      if (!PI_STATUSES.includes(status)) throw new Error(`stripe stand-in: unknown status ${status}`);
      mustIntent(id).status = status;
    },
    remove(id) {
      mustIntent(id);
      intents.delete(id);
      sequence.delete(id);
    },

    paymentIntent: (id) => {
      const pi = intents.get(id);
      return pi ? clone(pi) : undefined;
    },
    charge: (id) => {
      const ch = charges.get(id);
      return ch ? clone(ch) : undefined;
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
