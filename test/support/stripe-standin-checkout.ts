import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalid, newId, notFound, nowSeconds, paginate, parseInteger, parseMetadata, parseStripeForm, type FormObject, type FormValue } from './stripe-standin-form.js';
import type { StandinPaymentIntent, StripeWebhookDelivery } from './stripe-standin.js';

/**
 * Stripe Checkout, the hosted payment page, in the LOCAL STAND-IN for the
 * Stripe API (stripe-standin.ts). It is not Stripe.
 *
 * API: POST /v1/checkout/sessions (mode=payment with price_data line items),
 * GET /v1/checkout/sessions/:id, GET /v1/checkout/sessions (created[...],
 * status, payment_intent, cursors).
 *
 * The hosted page: a session's `url` is `<stand-in>/c/pay/<session id>`, a
 * plain HTML page (no authentication, as Stripe's) showing the line items
 * with a "Pay" button (and one paying with a card that is declined, which
 * leaves the session open) and a link back to `cancel_url`. Paying there does what
 * a card payment through Stripe Checkout does: the session completes, its
 * PaymentIntent is created (only now, as Stripe creates it lazily) with
 * `payment_intent_data.metadata` and succeeds with a charge, the browser is
 * sent to `success_url` (303), and `checkout.session.completed` and
 * `payment_intent.succeeded` are signed and POSTed to the webhook endpoint,
 * unordered, as Stripe sends them. With no endpoint set, or while webhooks are
 * held, the deliveries wait in an outbox until releaseWebhooks().
 *
 * The test controls (completeSession, settleSession, expireSession) play the
 * same parts without a browser and return the deliveries for the test to POST.
 */

export type CheckoutSessionStatus = 'open' | 'complete' | 'expired';

/** The Checkout Session fields the stand-in keeps (a subset of Stripe.Checkout.Session). */
export interface StandinCheckoutSession {
  id: string;
  object: 'checkout.session';
  mode: 'payment';
  ui_mode: 'hosted_page';
  status: CheckoutSessionStatus;
  payment_status: 'unpaid' | 'paid';
  amount_subtotal: number;
  amount_total: number;
  currency: string;
  client_reference_id: string | null;
  metadata: Record<string, string>;
  /** Null until the customer pays: Stripe creates a session's PaymentIntent then. */
  payment_intent: string | null;
  payment_method_types: string[];
  customer: null;
  customer_email: string | null;
  customer_details: { email: string | null; name: string | null } | null;
  locale: string | null;
  success_url: string | null;
  cancel_url: string | null;
  /** The hosted page, while the session is open. */
  url: string | null;
  created: number;
  expires_at: number;
  livemode: false;
}

export interface StandinLineItem {
  name: string;
  unitAmount: number;
  quantity: number;
}

/** What happened to a webhook the hosted page sent (the HTTP status, 0 when it could not be sent). */
export interface StripeWebhookResult {
  type: string;
  eventId: string;
  status: number;
}

export interface CheckoutSessionControls {
  /**
   * The customer paid on the hosted page. A card (the default): the session
   * completes `paid` and its PaymentIntent succeeds: `completed` and
   * `succeeded`. `async: true` (a bank debit): the session completes `unpaid`
   * and its PaymentIntent is `processing`: `completed` only; settleSession()
   * decides later.
   */
  completeSession(
    id: string,
    opts?: { async?: boolean },
  ): { completed: StripeWebhookDelivery<StandinCheckoutSession>; succeeded?: StripeWebhookDelivery<StandinPaymentIntent> };
  /**
   * A card declined on the hosted page: the session's PaymentIntent is created
   * if it was not yet and records the failed attempt; the session stays open
   * for another card. `payment_intent.payment_failed`.
   */
  declineSession(id: string): StripeWebhookDelivery<StandinPaymentIntent>;
  /** An asynchronous payment's outcome: `checkout.session.async_payment_succeeded|failed` and `payment_intent.succeeded|payment_failed`. */
  settleSession(
    id: string,
    outcome: 'succeeded' | 'failed',
  ): { session: StripeWebhookDelivery<StandinCheckoutSession>; paymentIntent: StripeWebhookDelivery<StandinPaymentIntent> };
  /** The session expired unpaid (the customer never paid): `checkout.session.expired`. */
  expireSession(id: string): StripeWebhookDelivery<StandinCheckoutSession>;
  /** A copy of the stand-in's record, or undefined. */
  checkoutSession(id: string): StandinCheckoutSession | undefined;
  lineItems(id: string): StandinLineItem[];
  /** Where the hosted page's webhooks go (Pairly's /api/payments/webhooks/stripe); null: kept in the outbox. */
  webhookEndpoint(url: string | null): void;
  /** While on, the hosted page's webhooks wait in the outbox. */
  holdWebhooks(on?: boolean): void;
  /** Sends the outbox, one after the other, and says how each was answered. */
  releaseWebhooks(): Promise<StripeWebhookResult[]>;
  /** Every webhook the hosted page sent so far. */
  webhookResults(): readonly StripeWebhookResult[];
}

export interface CheckoutDeps {
  /** The stand-in's own base URL (the hosted page lives there). */
  base(): string;
  /** Stores a new PaymentIntent (requires_payment_method), as the session's payment creates one. */
  openIntent(fields: { amount: number; currency: string; metadata: Record<string, string>; description: string | null; receipt_email: string | null }): StandinPaymentIntent;
  /** The PaymentIntent succeeds with a charge. */
  captureIntent(pi: StandinPaymentIntent): void;
  /** The PaymentIntent's attempt failed. */
  declineIntent(pi: StandinPaymentIntent): void;
  intent(id: string): StandinPaymentIntent;
  deliver<T>(type: string, object: T): StripeWebhookDelivery<T>;
}

interface Answer {
  status: number;
  body: unknown;
}

interface Stored {
  session: StandinCheckoutSession;
  items: StandinLineItem[];
  piData: { metadata: Record<string, string>; description: string | null; receipt_email: string | null };
  seq: number;
}

const CREATE_PARAMS = new Set([
  'mode',
  'ui_mode',
  'line_items',
  'client_reference_id',
  'metadata',
  'payment_intent_data',
  'success_url',
  'cancel_url',
  'customer_email',
  'expires_at',
  'payment_method_types',
  'locale',
  'submit_type',
  'expand',
]);
const PI_DATA_PARAMS = new Set(['metadata', 'description', 'receipt_email', 'statement_descriptor_suffix']);
const DAY = 24 * 3600;

/** Items of a form-encoded array (`a[0][x]=…&a[1][x]=…`), in index order. */
function formArray(value: FormValue | undefined, param: string): FormObject[] {
  if (value === undefined) return [];
  if (typeof value === 'string') throw invalid(`Invalid array`, param);
  const keys = Object.keys(value);
  if (!keys.every((k) => /^\d+$/.test(k))) throw invalid(`Invalid array`, param);
  return keys
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => {
      const item = value[k]!;
      if (typeof item === 'string') throw invalid(`Invalid object`, `${param}[${k}]`);
      return item;
    });
}

function str(value: FormValue | undefined, param: string): string | null {
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string') throw invalid(`Invalid string: an object`, param);
  return value;
}

function absoluteUrl(value: FormValue | undefined, param: string): string | null {
  const v = str(value, param);
  if (v === null) return null;
  try {
    const u = new URL(v);
    if (u.protocol === 'http:' || u.protocol === 'https:') return v;
  } catch {
    // answered below
  }
  throw invalid('Not a valid URL', param, 'url_invalid');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function money(amountMinor: number, currency: string): string {
  try {
    const fmt = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
    return fmt.format(amountMinor / 10 ** (fmt.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    return `${amountMinor} ${currency.toUpperCase()}`;
  }
}

export function createCheckoutSessions(deps: CheckoutDeps) {
  const sessions = new Map<string, Stored>();
  let seq = 0;
  let endpoint: string | null = null;
  let held = false;
  const outbox: StripeWebhookDelivery<unknown>[] = [];
  const results: StripeWebhookResult[] = [];
  const clone = <T>(v: T): T => structuredClone(v);

  function must(id: string): Stored {
    const s = sessions.get(id);
    if (!s) throw new Error(`stripe stand-in: no Checkout Session ${id}`);
    return s;
  }

  // ---- API ----------------------------------------------------------------

  function create(params: FormObject): Answer {
    for (const key of Object.keys(params)) {
      if (!CREATE_PARAMS.has(key)) throw invalid(`Received unknown parameter: ${key}`, key, 'parameter_unknown');
    }
    const mode = str(params.mode, 'mode');
    if (mode === null) throw invalid('Missing required param: mode.', 'mode', 'parameter_missing');
    if (mode !== 'payment') throw invalid(`The Pairly Stripe stand-in serves mode=payment only (got ${mode}).`, 'mode');
    const uiMode = str(params.ui_mode, 'ui_mode');
    if (uiMode !== null && uiMode !== 'hosted_page') throw invalid(`The Pairly Stripe stand-in serves the hosted page only (got ui_mode=${uiMode}).`, 'ui_mode');

    const rawItems = formArray(params.line_items, 'line_items');
    if (rawItems.length === 0) throw invalid('Missing required param: line_items.', 'line_items', 'parameter_missing');
    let currency: string | undefined;
    const items = rawItems.map((li, i): StandinLineItem => {
      const p = `line_items[${i}]`;
      if (li.price !== undefined) throw invalid('The Pairly Stripe stand-in has no Prices: use price_data.', `${p}[price]`);
      const quantity = parseInteger(li.quantity, `${p}[quantity]`, true)!;
      if (quantity < 1) throw invalid('This value must be greater than or equal to 1.', `${p}[quantity]`);
      const pd = li.price_data;
      if (pd === undefined || typeof pd === 'string') throw invalid(`You must specify either \`price\` or \`price_data\` in ${p}.`, `${p}[price_data]`, 'parameter_missing');
      const cur = str(pd.currency, `${p}[price_data][currency]`);
      if (cur === null) throw invalid('Missing required param: currency.', `${p}[price_data][currency]`, 'parameter_missing');
      if (!/^[a-zA-Z]{3}$/.test(cur)) throw invalid(`Invalid currency: ${cur}.`, `${p}[price_data][currency]`);
      if (currency !== undefined && cur.toLowerCase() !== currency) throw invalid('All line items must share one currency.', `${p}[price_data][currency]`);
      currency = cur.toLowerCase();
      const unitAmount = parseInteger(pd.unit_amount, `${p}[price_data][unit_amount]`, true)!;
      if (unitAmount < 0) throw invalid('This value must be greater than or equal to 0.', `${p}[price_data][unit_amount]`);
      const product = pd.product_data;
      const name = product !== undefined && typeof product !== 'string' ? str(product.name, `${p}[price_data][product_data][name]`) : null;
      if (name === null) throw invalid('Missing required param: product_data[name].', `${p}[price_data][product_data][name]`, 'parameter_missing');
      return { name, unitAmount, quantity };
    });
    const total = items.reduce((sum, it) => sum + it.unitAmount * it.quantity, 0);
    if (total < 1) throw invalid('The Checkout Session\'s total amount must be greater than 0.', 'line_items', 'amount_too_small');
    if (total > 99_999_999) throw invalid('Amount must be no more than 99,999,999.', 'line_items', 'amount_too_large');

    const ref = str(params.client_reference_id, 'client_reference_id');
    if (ref !== null && ref.length > 200) throw invalid('client_reference_id can be at most 200 characters.', 'client_reference_id');

    const pid = params.payment_intent_data;
    if (pid !== undefined && typeof pid === 'string') throw invalid('Invalid object', 'payment_intent_data');
    for (const key of Object.keys(pid ?? {})) {
      if (!PI_DATA_PARAMS.has(key)) throw invalid(`Received unknown parameter: payment_intent_data[${key}]`, `payment_intent_data[${key}]`, 'parameter_unknown');
    }

    const created = nowSeconds();
    const expiresAt = parseInteger(params.expires_at, 'expires_at', false) ?? created + DAY;
    if (expiresAt < created + 1800 || expiresAt > created + DAY) {
      throw invalid('The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.', 'expires_at');
    }
    const id = newId('cs_test');
    const session: StandinCheckoutSession = {
      id,
      object: 'checkout.session',
      mode: 'payment',
      ui_mode: 'hosted_page',
      status: 'open',
      payment_status: 'unpaid',
      amount_subtotal: total,
      amount_total: total,
      currency: currency!,
      client_reference_id: ref,
      metadata: parseMetadata(params.metadata),
      payment_intent: null,
      payment_method_types: ['card'],
      customer: null,
      customer_email: str(params.customer_email, 'customer_email'),
      customer_details: null,
      locale: str(params.locale, 'locale'),
      success_url: absoluteUrl(params.success_url, 'success_url'),
      cancel_url: absoluteUrl(params.cancel_url, 'cancel_url'),
      url: `${deps.base()}/c/pay/${id}`,
      created,
      expires_at: expiresAt,
      livemode: false,
    };
    const piData = {
      metadata: parseMetadata(pid?.metadata),
      description: str(pid?.description, 'payment_intent_data[description]'),
      receipt_email: str(pid?.receipt_email, 'payment_intent_data[receipt_email]'),
    };
    sessions.set(id, { session, items, piData, seq: seq++ });
    return { status: 200, body: session };
  }

  function list(query: FormObject): Answer {
    const { status, payment_intent: pi, ...rest } = query;
    let all = [...sessions.values()].sort((a, b) => b.session.created - a.session.created || b.seq - a.seq).map((s) => s.session);
    if (typeof status === 'string') all = all.filter((s) => s.status === status);
    if (typeof pi === 'string') all = all.filter((s) => s.payment_intent === pi);
    return { status: 200, body: paginate(all, rest, '/v1/checkout/sessions', 'checkout.session') };
  }

  /** The API paths it serves; undefined for any other. */
  function route(method: string, path: string, params: FormObject): Answer | undefined {
    if (path === '/v1/checkout/sessions') {
      if (method === 'POST') return create(params);
      if (method === 'GET') return list(params);
    }
    const m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const id = decodeURIComponent(m[1]!);
      const s = sessions.get(id);
      if (!s) throw notFound('checkout.session', 'session', id);
      return { status: 200, body: s.session };
    }
    return undefined;
  }

  // ---- the customer's side ---------------------------------------------------

  /** The session's PaymentIntent, created at the first attempt to pay (one per session, whatever the attempts). */
  function intentOf(s: Stored): StandinPaymentIntent {
    if (s.session.payment_intent) return deps.intent(s.session.payment_intent);
    const pi = deps.openIntent({ amount: s.session.amount_total, currency: s.session.currency, ...s.piData });
    s.session.payment_intent = pi.id;
    return pi;
  }

  function declineSession(id: string) {
    const s = must(id);
    if (s.session.status !== 'open') throw new Error(`stripe stand-in: Checkout Session ${id} is ${s.session.status}; no card can be tried`);
    const pi = intentOf(s);
    deps.declineIntent(pi);
    return deps.deliver('payment_intent.payment_failed', pi);
  }

  function completeSession(id: string, opts: { async?: boolean } = {}) {
    const s = must(id);
    if (s.session.status !== 'open') throw new Error(`stripe stand-in: Checkout Session ${id} is ${s.session.status}; it cannot be paid`);
    const pi = intentOf(s);
    s.session.status = 'complete';
    s.session.url = null;
    s.session.customer_details = { email: s.session.customer_email ?? 'customer@example.test', name: 'Stand-in Customer' };
    if (opts.async) {
      pi.status = 'processing';
      return { completed: deps.deliver('checkout.session.completed', s.session) };
    }
    deps.captureIntent(pi);
    s.session.payment_status = 'paid';
    return { completed: deps.deliver('checkout.session.completed', s.session), succeeded: deps.deliver('payment_intent.succeeded', pi) };
  }

  function settleSession(id: string, outcome: 'succeeded' | 'failed') {
    const s = must(id);
    const pi = s.session.payment_intent ? deps.intent(s.session.payment_intent) : undefined;
    if (s.session.status !== 'complete' || s.session.payment_status !== 'unpaid' || pi?.status !== 'processing') {
      throw new Error(`stripe stand-in: Checkout Session ${id} has no asynchronous payment in progress`);
    }
    if (outcome === 'succeeded') {
      deps.captureIntent(pi);
      s.session.payment_status = 'paid';
      return { session: deps.deliver('checkout.session.async_payment_succeeded', s.session), paymentIntent: deps.deliver('payment_intent.succeeded', pi) };
    }
    deps.declineIntent(pi);
    return { session: deps.deliver('checkout.session.async_payment_failed', s.session), paymentIntent: deps.deliver('payment_intent.payment_failed', pi) };
  }

  function expireSession(id: string) {
    const s = must(id);
    if (s.session.status !== 'open') throw new Error(`stripe stand-in: Checkout Session ${id} is ${s.session.status}; it cannot expire`);
    s.session.status = 'expired';
    s.session.url = null;
    return deps.deliver('checkout.session.expired', s.session);
  }

  async function send(d: StripeWebhookDelivery<unknown>): Promise<StripeWebhookResult> {
    let status = 0;
    try {
      const res = await fetch(endpoint!, { method: 'POST', headers: d.headers, body: d.payload });
      await res.arrayBuffer();
      status = res.status;
    } catch {
      status = 0;
    }
    const r = { type: d.event.type, eventId: d.event.id, status };
    results.push(r);
    return r;
  }

  function emit(deliveries: StripeWebhookDelivery<unknown>[]): void {
    if (!endpoint || held) {
      outbox.push(...deliveries);
      return;
    }
    // Side by side, as Stripe sends them: in no promised order.
    for (const d of deliveries) void send(d);
  }

  // ---- the hosted page -------------------------------------------------------

  function html(res: ServerResponse, status: number, title: string, body: string): void {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<link rel="icon" href="data:,"><title>${escapeHtml(title)}</title></head><body><main>` +
        `<p>Stripe Checkout: a local stand-in for tests, not Stripe.</p>${body}</main></body></html>`,
    );
  }

  function page(res: ServerResponse, s: Stored, note = ''): void {
    const { session } = s;
    const total = money(session.amount_total, session.currency);
    if (session.status === 'expired') return html(res, 200, 'Session expired', '<h1>This checkout session has expired.</h1>');
    if (session.status === 'complete') {
      const back = session.success_url ? `<p><a href="${escapeHtml(session.success_url)}">Return to the merchant</a></p>` : '';
      return html(res, 200, 'Paid', `<h1>Payment complete</h1><p>${escapeHtml(total)} paid.</p>${back}`);
    }
    const items = s.items
      .map((it) => `<li>${escapeHtml(it.name)} × ${it.quantity}: ${escapeHtml(money(it.unitAmount * it.quantity, session.currency))}</li>`)
      .join('');
    const cancel = session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">Back</a></p>` : '';
    html(
      res,
      200,
      `Pay ${total}`,
      `<h1>Pay ${escapeHtml(total)}</h1>${note ? `<p role="alert">${escapeHtml(note)}</p>` : ''}<ul aria-label="Items">${items}</ul>` +
        `<p>Total: <strong>${escapeHtml(total)}</strong></p><form method="post" action="/c/pay/${encodeURIComponent(session.id)}">` +
        `<button type="submit" name="action" value="pay">Pay ${escapeHtml(total)}</button> ` +
        `<button type="submit" name="action" value="decline">Pay with a card that is declined</button></form>${cancel}`,
    );
  }

  /** GET and POST /c/pay/:id; false for any other path. */
  function hostedPage(req: IncomingMessage, res: ServerResponse, path: string, body: string): boolean {
    const m = /^\/c\/pay\/([^/]+)$/.exec(path);
    if (!m) return false;
    const s = sessions.get(decodeURIComponent(m[1]!));
    if (!s) {
      html(res, 404, 'Not found', '<h1>Something went wrong</h1><p>The page you were looking for could not be found.</p>');
      return true;
    }
    const action = req.method === 'POST' && s.session.status === 'open' ? parseStripeForm(body).action : undefined;
    if (action === 'decline') {
      emit([declineSession(s.session.id)]);
      page(res, s, 'Your card was declined. Try another card.');
      return true;
    }
    if (action === 'pay') {
      const { completed, succeeded } = completeSession(s.session.id);
      emit([completed, succeeded!]);
      if (s.session.success_url) {
        res.writeHead(303, { location: s.session.success_url });
        res.end();
        return true;
      }
    }
    page(res, s);
    return true;
  }

  const controls: CheckoutSessionControls = {
    completeSession,
    declineSession,
    settleSession,
    expireSession,
    checkoutSession: (id) => {
      const s = sessions.get(id);
      return s ? clone(s.session) : undefined;
    },
    lineItems: (id) => clone(must(id).items),
    webhookEndpoint: (url) => {
      endpoint = url;
    },
    holdWebhooks: (on = true) => {
      held = on;
    },
    async releaseWebhooks() {
      if (!endpoint) throw new Error('stripe stand-in: no webhook endpoint to release webhooks to');
      const out: StripeWebhookResult[] = [];
      while (outbox.length) out.push(await send(outbox.shift()!));
      return out;
    },
    webhookResults: () => results.slice(),
  };

  return { route, hostedPage, controls };
}
