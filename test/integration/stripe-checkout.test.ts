import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, nextEvent, waitFor } from '../support/client.js';
import { newAdmin } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';
import { startStripeStandin, type StripeStandin } from '../support/stripe-standin.js';
import { verifyLedger } from '../../server/src/modules/ledger/ledger.verify.js';

/**
 * Buying credits through Stripe Checkout, the hosted payment page the web
 * app sends people to (`flow: "hosted"`): Pairly drives the official Stripe
 * SDK against the local Stripe stand-in (test/support), which plays Stripe's
 * hosted page and signs webhooks with the SDK's own helper; BullMQ in this
 * process runs the processing jobs on real PostgreSQL and Redis.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;
let stripe: StripeStandin;

const STRIPE = { apiKey: 'sk_test_standin_checkout_1', webhookSecret: 'whsec_standin_checkout_2' };
const PUBLIC_URL = 'https://pairly.example';
const DEV_ORIGIN = 'http://localhost:5173';

beforeAll(async () => {
  [backing, stripe] = await Promise.all([createBacking(), startStripeStandin(STRIPE)]);
  node = await startInProcess({
    ...backing.env,
    RUN_WORKERS: 'true',
    JOB_ATTEMPTS: '3',
    JOB_BACKOFF_MS: '50',
    STRIPE_SECRET_KEY: STRIPE.apiKey,
    STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret,
    STRIPE_API_BASE: stripe.url,
    PAYMENTS_SANDBOX: 'true',
    PUBLIC_URL,
    CORS_ORIGINS: `${PUBLIC_URL},${DEV_ORIGIN}`,
  });
  url = node.url;
});
afterAll(async () => {
  await node?.stop();
  await stripe?.close();
  await backing?.cleanup();
});

/** As the web app asks: the hosted flow, from the page's own origin. */
const checkout = (token: string, body: object = {}, opts: { key?: string; origin?: string | null } = {}) =>
  http(url, 'POST', '/api/payments/checkout', {
    token,
    body: { packId: 'starter', provider: 'stripe', flow: 'hosted', ...body },
    headers: { 'idempotency-key': opts.key ?? randomUUID(), ...(opts.origin === null ? {} : { origin: opts.origin ?? url }) },
  });
const deliver = (d: { payload: string; headers: Record<string, string> }) => http(url, 'POST', '/api/payments/webhooks/stripe', { raw: d.payload, headers: d.headers });
const wallet = async (token: string) => (await http(url, 'GET', '/api/wallet', { token })).body.wallet;
const paymentRow = async (id: string) => (await pgQuery<any>(backing.databaseUrl, 'SELECT * FROM payments WHERE id = $1', [id]))[0];
const settled = (id: string, status: string) => waitFor(async () => ((await paymentRow(id))?.status === status ? true : undefined), 10_000, `payment ${status}`);
const eventDone = (eventId: string) =>
  waitFor(async () => {
    const [e] = await pgQuery<{ status: string }>(backing.databaseUrl, 'SELECT status FROM payment_events WHERE event_id = $1', [eventId]);
    return e && e.status !== 'pending' ? e.status : undefined;
  }, 10_000, `event ${eventId} processed`);
const ledgerLegs = async (sessionId: string) =>
  (await pgQuery<{ idempotency_key: string; amount: string }>(backing.databaseUrl, `SELECT idempotency_key, amount::text FROM ledger_transfers WHERE idempotency_key LIKE $1 ORDER BY id`, [`stripe:${sessionId}%`])).map(
    (l) => [l.idempotency_key, Number(l.amount)],
  );

describe('opening a Stripe Checkout Session', () => {
  it('answers the hosted page to send the browser to, priced and labelled from the pack, returning to the wallet', async () => {
    const u = await newUser(url);
    const key = randomUUID();
    const res = await checkout(u.accessToken, {}, { key });
    expect(res.status).toBe(201);
    const { payment, client } = res.body;
    expect(payment).toMatchObject({ provider: 'stripe', packId: 'starter', credits: 100, amountMinor: 499, currency: 'usd', status: 'pending' });
    expect(client).toEqual({ provider: 'stripe', flow: 'hosted', checkoutUrl: `${stripe.url}/c/pay/${payment.providerRef}`, sessionId: payment.providerRef, expiresAt: expect.any(String) });
    expect(payment.providerRef).toMatch(/^cs_test_/);
    const session = stripe.checkoutSession(payment.providerRef)!;
    expect(session).toMatchObject({
      mode: 'payment',
      status: 'open',
      amount_total: 499,
      currency: 'usd',
      client_reference_id: payment.id,
      metadata: { paymentId: payment.id, userId: u.user.id, packId: 'starter', credits: '100' },
      payment_intent: null,
      success_url: `${url}/wallet?payment=${payment.id}`,
      cancel_url: `${url}/wallet?payment=${payment.id}&checkout=cancelled`,
    });
    expect(new Date(client.expiresAt).getTime()).toBe(session.expires_at * 1000);
    expect(stripe.lineItems(payment.providerRef)).toEqual([{ name: '100 Pairly credits', unitAmount: 499, quantity: 1 }]);
    const created = stripe.requests().filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions');
    expect(created.at(-1)).toMatchObject({ idempotencyKey: `pairly-checkout-session-${payment.id}`, status: 200 });

    // The same Idempotency-Key: the same payment and page, and Stripe is not asked again; another flow under it is a conflict.
    const again = await checkout(u.accessToken, {}, { key });
    expect(again.body).toEqual(res.body);
    expect(stripe.requests().filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions')).toHaveLength(created.length);
    const otherFlow = await checkout(u.accessToken, { flow: 'embedded' }, { key });
    expect(otherFlow.status).toBe(409);
    expect(otherFlow.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('returns to the origin the request came from only when it is this server or an allowed one, else to PUBLIC_URL', async () => {
    const u = await newUser(url);
    const returnsTo = async (origin: string | null) => {
      const { payment } = (await checkout(u.accessToken, {}, { origin })).body;
      return stripe.checkoutSession(payment.providerRef)!.success_url;
    };
    expect(await returnsTo(DEV_ORIGIN)).toMatch(new RegExp(`^${DEV_ORIGIN}/wallet\\?payment=`));
    expect(await returnsTo('https://evil.example')).toMatch(new RegExp(`^${PUBLIC_URL}/wallet\\?payment=`));
    expect(await returnsTo(null)).toMatch(new RegExp(`^${PUBLIC_URL}/wallet\\?payment=`));
  });

  it('keeps the PaymentIntent flow for API clients, and refuses a hosted checkout where the provider has none', async () => {
    const u = await newUser(url);
    const embedded = await checkout(u.accessToken, { flow: undefined });
    expect(embedded.status).toBe(201);
    expect(embedded.body.client).toMatchObject({ provider: 'stripe', flow: 'embedded', clientSecret: expect.stringMatching(/^pi_.*_secret_/) });
    const sandbox = await checkout(u.accessToken, { provider: 'sandbox' });
    expect(sandbox.status).toBe(400);
    expect(sandbox.body.error.code).toBe('VALIDATION_FAILED');
    expect((await checkout(u.accessToken, { flow: 'redirect' })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await checkout(u.accessToken, { provider: 'sandbox', flow: 'embedded' })).body.client).toMatchObject({ provider: 'sandbox', flow: 'embedded' });
  });
});

describe('Checkout Session webhooks', () => {
  it('credits once whether the session or its PaymentIntent is heard first, and however often each is delivered', async () => {
    const u = await newUser(url);
    const s = await connect(url, u.accessToken);
    const first = (await checkout(u.accessToken)).body.payment;
    const second = (await checkout(u.accessToken)).body.payment;

    // PaymentIntent first: found through the metadata Pairly put on it; the session's own events follow, twice over.
    const a = stripe.completeSession(first.providerRef);
    const pushed = nextEvent<any>(s, 'wallet:updated');
    expect((await deliver(a.succeeded!)).status).toBe(200);
    await settled(first.id, 'succeeded');
    expect(await pushed).toMatchObject({ available: 100 });
    const replays = await Promise.all([deliver(a.completed), deliver(a.completed), deliver(a.succeeded!), deliver(a.completed)]);
    expect(replays.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(await eventDone(a.completed.event.id)).toBe('processed');

    // The session first, then its PaymentIntent.
    const b = stripe.completeSession(second.providerRef);
    await Promise.all([deliver(b.completed), deliver(b.completed)]);
    await settled(second.id, 'succeeded');
    await deliver(b.succeeded!);
    expect(await eventDone(b.succeeded!.event.id)).toBe('processed');

    expect(await wallet(u.accessToken)).toMatchObject({ available: 200, held: 0, debt: 0 });
    for (const [p, d] of [
      [first, a],
      [second, b],
    ] as const) {
      // One credit, keyed on the session (the payment's reference), and the PaymentIntent recorded beside it.
      expect(await ledgerLegs(p.providerRef)).toEqual([[`stripe:${p.providerRef}`, 100]]);
      const row = await paymentRow(p.id);
      expect(row).toMatchObject({ provider_ref: p.providerRef, provider_payment_ref: d.succeeded!.event.data.object.id, credited: true });
    }
    s.close();
  });

  it('a declined card leaves the payment open for another; an expired session fails it and changes nothing', async () => {
    const u = await newUser(url);
    const p = (await checkout(u.accessToken)).body.payment;
    const declined = stripe.declineSession(p.providerRef);
    await deliver(declined);
    expect(await eventDone(declined.event.id)).toBe('processed');
    expect(await paymentRow(p.id)).toMatchObject({ status: 'pending', provider_payment_ref: declined.event.data.object.id });
    const paid = stripe.completeSession(p.providerRef);
    expect(paid.succeeded!.event.data.object.id).toBe(declined.event.data.object.id);
    await deliver(paid.completed);
    await settled(p.id, 'succeeded');

    const gone = (await checkout(u.accessToken)).body.payment;
    const expired = stripe.expireSession(gone.providerRef);
    await Promise.all([deliver(expired), deliver(expired)]);
    await settled(gone.id, 'failed');
    expect(await ledgerLegs(gone.providerRef)).toEqual([]);
    expect(await wallet(u.accessToken)).toMatchObject({ available: 100 });
    const listed = (await http(url, 'GET', '/api/payments', { token: u.accessToken })).body.payments.map((x: any) => [x.id, x.status]);
    expect(listed).toEqual([
      [gone.id, 'failed'],
      [p.id, 'succeeded'],
    ]);
  });

  it('an asynchronous payment waits after the session completes unpaid, then succeeds or fails with the bank', async () => {
    const u = await newUser(url);
    const ok = (await checkout(u.accessToken)).body.payment;
    const bad = (await checkout(u.accessToken)).body.payment;
    for (const p of [ok, bad]) {
      const { completed } = stripe.completeSession(p.providerRef, { async: true });
      await deliver(completed);
      expect(await eventDone(completed.event.id)).toBe('processed');
      expect(await paymentRow(p.id)).toMatchObject({ status: 'pending', credited: false, provider_payment_ref: completed.event.data.object.payment_intent });
    }
    const won = stripe.settleSession(ok.providerRef, 'succeeded');
    await Promise.all([deliver(won.paymentIntent), deliver(won.session)]);
    await settled(ok.id, 'succeeded');
    const lost = stripe.settleSession(bad.providerRef, 'failed');
    // The PaymentIntent's own failure is one attempt on a hosted page: the session's word is the verdict.
    await deliver(lost.paymentIntent);
    expect(await eventDone(lost.paymentIntent.event.id)).toBe('processed');
    expect((await paymentRow(bad.id)).status).toBe('pending');
    await deliver(lost.session);
    await settled(bad.id, 'failed');
    expect(await wallet(u.accessToken)).toMatchObject({ available: 100 });
  });

  it('refunds and disputes, which name only the PaymentIntent, find the payment through it', async () => {
    const u = await newUser(url);
    const p = (await checkout(u.accessToken, { packId: 'popular' })).body.payment;
    const { completed, succeeded } = stripe.completeSession(p.providerRef);
    await deliver(completed);
    await settled(p.id, 'succeeded');
    const pi = succeeded!.event.data.object.id;
    // Stripe does not promise its charges carry the PaymentIntent's metadata: without it, the recorded PaymentIntent is the only way back.
    const refund = stripe.refund(pi, 500);
    const bare = stripe.customEvent('charge.refunded', { ...refund.event.data.object, metadata: {} });
    await deliver(bare);
    await settled(p.id, 'partially_refunded');
    expect(await wallet(u.accessToken)).toMatchObject({ available: 550 - 137 }); // floor(550 * 500 / 1999)
    await deliver(stripe.dispute(pi));
    await settled(p.id, 'disputed');
    expect(await wallet(u.accessToken)).toMatchObject({ available: 0, debt: 0 });
    // A late delivery of the capture changes nothing.
    await deliver(succeeded!);
    await new Promise((r) => setTimeout(r, 300));
    expect(await ledgerLegs(p.providerRef)).toEqual([
      [`stripe:${p.providerRef}`, 550],
      [`stripe:${p.providerRef}:reversal:137:reverse`, 137],
      [`stripe:${p.providerRef}:reversal:550:reverse`, 413],
    ]);
    expect((await verifyLedger(node.pairly.services.ledgerStore)).ok).toBe(true);
  });
});

describe('reconciliation', () => {
  it('compares sessions, not their PaymentIntents: only a session paid at Stripe and never heard of here is a discrepancy', async () => {
    const admin = await newAdmin(node.pairly, url);
    const u = await newUser(url);
    const lost = (await checkout(u.accessToken)).body.payment;
    // Paid on the hosted page, but its webhooks never arrived.
    stripe.completeSession(lost.providerRef);
    const open = (await checkout(u.accessToken)).body.payment;
    // A run scheduled at start-up may already be there: wait for one newer than it.
    const before = (await http(url, 'GET', '/api/admin/reconciliation', { token: admin.token })).body.report?.id ?? 0;
    expect((await http(url, 'POST', '/api/admin/reconciliation/run', { token: admin.token })).status).toBe(202);
    const report = await waitFor(async () => {
      const r = await http(url, 'GET', '/api/admin/reconciliation', { token: admin.token });
      return r.body.report && r.body.report.id > before ? r.body.report : undefined;
    }, 15_000, 'a reconciliation report');
    expect(report.summary.stripe).toMatchObject({ payments: expect.any(Number) });
    // Everything this file did above (paid, refunded, disputed, expired, asynchronous, an embedded PaymentIntent) agrees.
    expect(report.discrepancies.map((d: any) => [d.kind, d.paymentId, d.providerRef])).toEqual([['succeeded_not_credited', lost.id, lost.providerRef]]);
    expect(open.providerRef).not.toBe(lost.providerRef);
  });
});
