import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, nextEvent, waitFor } from '../support/client.js';
import { fund, newAdmin } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { startRazorpayStandin, type RazorpayStandin } from '../support/razorpay-standin.js';
import { pgQuery } from '../support/services.js';
import { startStripeStandin, type StripeStandin } from '../support/stripe-standin.js';
import { verifyLedger } from '../../server/src/modules/ledger/ledger.verify.js';

/**
 * Buying credits end to end: Pairly drives the official Stripe and Razorpay
 * SDKs against local stand-in servers (test/support), the stand-ins sign
 * webhooks with the SDKs' own helpers, and BullMQ (in this process) runs the
 * processing jobs against real PostgreSQL and Redis.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;
let stripe: StripeStandin;
let rzp: RazorpayStandin;

const STRIPE = { apiKey: 'sk_test_standin_123', webhookSecret: 'whsec_standin_456' };
const RZP = { keyId: 'rzp_test_standin', keySecret: 'rzp_secret_standin_789', webhookSecret: 'rzp_whsec_standin_000' };

beforeAll(async () => {
  [backing, stripe, rzp] = await Promise.all([createBacking(), startStripeStandin(STRIPE), startRazorpayStandin(RZP)]);
  node = await startInProcess({
    ...backing.env,
    RUN_WORKERS: 'true',
    JOB_ATTEMPTS: '3',
    JOB_BACKOFF_MS: '50',
    STRIPE_SECRET_KEY: STRIPE.apiKey,
    STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret,
    STRIPE_API_BASE: stripe.url,
    RAZORPAY_KEY_ID: RZP.keyId,
    RAZORPAY_KEY_SECRET: RZP.keySecret,
    RAZORPAY_WEBHOOK_SECRET: RZP.webhookSecret,
    RAZORPAY_API_BASE: rzp.url,
    PAYMENTS_SANDBOX: 'true',
  });
  url = node.url;
});
afterAll(async () => {
  await node?.stop();
  await Promise.all([stripe?.close(), rzp?.close()]);
  await backing?.cleanup();
});

const checkout = (token: string, body: object, key: string | null = randomUUID()) =>
  http(url, 'POST', '/api/payments/checkout', { token, body, headers: key ? { 'idempotency-key': key } : {} });
const deliver = (provider: string, d: { payload: string; headers: Record<string, string> }) =>
  http(url, 'POST', `/api/payments/webhooks/${provider}`, { raw: d.payload, headers: d.headers });
const wallet = async (token: string) => (await http(url, 'GET', '/api/wallet', { token })).body.wallet;
const paymentRow = async (id: string) => (await pgQuery<any>(backing.databaseUrl, 'SELECT * FROM payments WHERE id = $1', [id]))[0];
const settled = (id: string, status: string) => waitFor(async () => ((await paymentRow(id))?.status === status ? true : undefined), 10_000, `payment ${status}`);

describe('checkout', () => {
  it('opens a Stripe PaymentIntent, and the same Idempotency-Key returns the same payment', async () => {
    const u = await newUser(url);
    const key = randomUUID();
    const a = await checkout(u.accessToken, { packId: 'starter', provider: 'stripe' }, key);
    expect(a.status).toBe(201);
    expect(a.body.payment).toMatchObject({ provider: 'stripe', packId: 'starter', credits: 100, amountMinor: 499, currency: 'usd', status: 'pending' });
    expect(a.body.client).toMatchObject({ provider: 'stripe', flow: 'embedded', clientSecret: expect.stringMatching(/^pi_.*_secret_/), paymentIntentId: a.body.payment.providerRef });
    const b = await checkout(u.accessToken, { packId: 'starter', provider: 'stripe' }, key);
    expect(b.body.payment.id).toBe(a.body.payment.id);
    expect(stripe.paymentIntent(a.body.payment.providerRef)).toBeDefined();
    const conflict = await checkout(u.accessToken, { packId: 'whale', provider: 'stripe' }, key);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('refuses a missing Idempotency-Key, an unknown pack, a price in a missing currency and bad bodies', async () => {
    const u = await newUser(url);
    expect((await checkout(u.accessToken, { packId: 'starter', provider: 'stripe' }, null)).body.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    expect((await checkout(u.accessToken, { packId: 'starter', provider: 'stripe' }, 'short')).body.error.code).toBe('VALIDATION_FAILED');
    expect((await checkout(u.accessToken, { packId: 'nope', provider: 'stripe' })).status).toBe(404);
    expect((await checkout(u.accessToken, { packId: 'starter', provider: 'stripe', currency: 'jpy' })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await checkout(u.accessToken, { packId: 'starter', provider: 'paypal' })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await checkout(u.accessToken, { packId: 'starter', provider: 'stripe', credits: 1_000_000 })).body.error.code).toBe('VALIDATION_FAILED');
  });

  it('concurrent checkouts with one key open one payment at the provider', async () => {
    const u = await newUser(url);
    const key = randomUUID();
    const before = stripe.requests().filter((r) => r.method === 'POST').length;
    const results = await Promise.all(Array.from({ length: 5 }, () => checkout(u.accessToken, { packId: 'popular', provider: 'stripe' }, key)));
    expect(new Set(results.map((r) => r.body.payment.id)).size).toBe(1);
    expect(stripe.requests().filter((r) => r.method === 'POST').length - before).toBe(1);
  });

  it('opens a Razorpay order in INR', async () => {
    const u = await newUser(url);
    const r = await checkout(u.accessToken, { packId: 'starter', provider: 'razorpay' });
    expect(r.status).toBe(201);
    expect(r.body.client).toMatchObject({ provider: 'razorpay', flow: 'embedded', keyId: RZP.keyId, amount: 39_900, currency: 'INR' });
    // Razorpay Checkout runs in the page: there is no hosted flow to ask for.
    expect((await checkout(u.accessToken, { packId: 'starter', provider: 'razorpay', flow: 'hosted' })).body.error.code).toBe('VALIDATION_FAILED');
    expect(rzp.order(r.body.client.orderId)).toMatchObject({ status: 'created', amount: 39_900 });
  });
});

describe('Stripe webhooks', () => {
  it('credits the wallet once, pushes wallet:updated, and a delivery repeated 20 times concurrently changes nothing more', async () => {
    const u = await newUser(url);
    const s = await connect(url, u.accessToken);
    const c = await checkout(u.accessToken, { packId: 'starter', provider: 'stripe' });
    const delivery = stripe.succeed(c.body.payment.providerRef);
    const pushed = nextEvent<any>(s, 'wallet:updated');
    const responses = await Promise.all(Array.from({ length: 20 }, () => deliver('stripe', delivery)));
    for (const r of responses) expect(r.status).toBe(200);
    expect(responses.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    await settled(c.body.payment.id, 'succeeded');
    expect(await pushed).toEqual({ available: 100, held: 0, debt: 0, earnings: 0 });
    // And again, later, one by one.
    for (let i = 0; i < 3; i++) expect((await deliver('stripe', delivery)).body.duplicate).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await wallet(u.accessToken)).toMatchObject({ available: 100 });
    const events = await pgQuery(backing.databaseUrl, `SELECT status FROM payment_events WHERE event_id = $1`, [delivery.event.id]);
    expect(events).toEqual([{ status: 'processed' }]);
    s.close();
  });

  it('refuses a forged or stale signature with 400 and stores nothing', async () => {
    const u = await newUser(url);
    const c = await checkout(u.accessToken, { packId: 'starter', provider: 'stripe' });
    const d = stripe.succeed(c.body.payment.providerRef);
    const forged = await deliver('stripe', { payload: d.payload.replace('"amount": 499', '"amount": 1'), headers: d.headers });
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('INVALID_SIGNATURE');
    const stale = await deliver('stripe', { payload: d.payload, headers: { ...d.headers, 'stripe-signature': stripe.signPayload(d.payload, Math.floor(Date.now() / 1000) - 3600) } });
    expect(stale.body.error.code).toBe('INVALID_SIGNATURE');
    const missing = await deliver('stripe', { payload: d.payload, headers: { 'content-type': 'application/json' } });
    expect(missing.body.error.code).toBe('INVALID_SIGNATURE');
    const garbage = await deliver('stripe', { payload: 'not json at all', headers: d.headers });
    expect(garbage.status).toBe(400);
    expect(await pgQuery(backing.databaseUrl, `SELECT 1 FROM payment_events WHERE event_id = $1`, [d.event.id])).toEqual([]);
    expect(await wallet(u.accessToken)).toMatchObject({ available: 0 });
  });

  it('refuses a signature dated in the future beyond a small tolerance, and stores nothing', async () => {
    const u = await newUser(url);
    const c = await checkout(u.accessToken, { packId: 'starter', provider: 'stripe' });
    const d = stripe.succeed(c.body.payment.providerRef);
    const future = await deliver('stripe', { payload: d.payload, headers: { ...d.headers, 'stripe-signature': stripe.signPayload(d.payload, Math.floor(Date.now() / 1000) + 3600) } });
    expect(future.status).toBe(400);
    expect(future.body.error.code).toBe('INVALID_SIGNATURE');
    expect(await pgQuery(backing.databaseUrl, `SELECT 1 FROM payment_events WHERE event_id = $1`, [d.event.id])).toEqual([]);
    // A few seconds of clock skew is not refused.
    const skewed = await deliver('stripe', { payload: d.payload, headers: { ...d.headers, 'stripe-signature': stripe.signPayload(d.payload, Math.floor(Date.now() / 1000) + 5) } });
    expect(skewed.status).toBe(200);
    await settled(c.body.payment.id, 'succeeded');
  });

  it('answers 400, not 5xx, to a signed event whose id is longer than the event id column', async () => {
    const u = await newUser(url);
    const c = await checkout(u.accessToken, { packId: 'starter', provider: 'stripe' });
    const d = stripe.succeed(c.body.payment.providerRef);
    const payload = JSON.stringify({ ...JSON.parse(d.payload), id: `evt_${'x'.repeat(300)}` });
    const res = await deliver('stripe', { payload, headers: { ...d.headers, 'stripe-signature': stripe.signPayload(payload) } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('handles a refund that arrives before the capture: credited once, reversed once', async () => {
    const u = await newUser(url);
    const c = await checkout(u.accessToken, { packId: 'starter', provider: 'stripe' });
    const ref = c.body.payment.providerRef;
    const succeeded = stripe.succeed(ref);
    const refunded = stripe.refund(ref);
    expect((await deliver('stripe', refunded)).status).toBe(200);
    await waitFor(async () => (await paymentRow(c.body.payment.id)).refunded_minor === '499' || (await paymentRow(c.body.payment.id)).refunded_minor === 499);
    expect(await wallet(u.accessToken)).toMatchObject({ available: 0 });
    expect((await deliver('stripe', succeeded)).status).toBe(200);
    await settled(c.body.payment.id, 'refunded');
    expect(await wallet(u.accessToken)).toMatchObject({ available: 0, debt: 0 });
    const legs = await pgQuery<{ idempotency_key: string; amount: string }>(backing.databaseUrl, `SELECT idempotency_key, amount::text FROM ledger_transfers WHERE idempotency_key LIKE $1 ORDER BY id`, [`stripe:${ref}%`]);
    expect(legs.map((l) => [l.idempotency_key, l.amount])).toEqual([
      [`stripe:${ref}`, '100'],
      [`stripe:${ref}:reversal:100:reverse`, '100'],
    ]);
  });

  it('a refund of credits already spent leaves a debt, flags the wallet, and the next purchase settles it first', async () => {
    const fan = await newUser(url);
    const creator = await newUser(url, { role: 'creator' });
    const c = await checkout(fan.accessToken, { packId: 'starter', provider: 'stripe' });
    await deliver('stripe', stripe.succeed(c.body.payment.providerRef));
    await settled(c.body.payment.id, 'succeeded');
    await node.pairly.services.ledger.spend({ key: `tip:${randomUUID()}`, fromUserId: fan.user.id, toUserId: creator.user.id, amount: 70, kind: 'tip' });
    await deliver('stripe', stripe.refund(c.body.payment.providerRef));
    await settled(c.body.payment.id, 'refunded');
    // The tip's 70 were spent: the creator's share (56) is clawed back into the debt, the fan owes the fee (14).
    expect(await wallet(fan.accessToken)).toMatchObject({ available: 0, debt: 14, flagged: 'refund_debt' });
    expect(await wallet(creator.accessToken)).toMatchObject({ earnings: 0 });

    const again = await checkout(fan.accessToken, { packId: 'starter', provider: 'stripe' });
    await deliver('stripe', stripe.succeed(again.body.payment.providerRef));
    await settled(again.body.payment.id, 'succeeded');
    expect(await wallet(fan.accessToken)).toMatchObject({ available: 86, debt: 0 });
    expect((await verifyLedger(node.pairly.services.ledgerStore)).ok).toBe(true);
  });

  it('a chargeback reverses the credits; a partial refund reverses in proportion', async () => {
    const u = await newUser(url);
    const c = await checkout(u.accessToken, { packId: 'popular', provider: 'stripe' });
    await deliver('stripe', stripe.succeed(c.body.payment.providerRef));
    await settled(c.body.payment.id, 'succeeded');
    await deliver('stripe', stripe.refund(c.body.payment.providerRef, 500)); // 500 of 1999 → floor(550 * 500 / 1999) = 137
    await settled(c.body.payment.id, 'partially_refunded');
    expect(await wallet(u.accessToken)).toMatchObject({ available: 550 - 137 });
    await deliver('stripe', stripe.dispute(c.body.payment.providerRef));
    await settled(c.body.payment.id, 'disputed');
    expect(await wallet(u.accessToken)).toMatchObject({ available: 0, debt: 0 });
  });

  it('records a failed payment without crediting', async () => {
    const u = await newUser(url);
    const c = await checkout(u.accessToken, { packId: 'starter', provider: 'stripe' });
    await deliver('stripe', stripe.fail(c.body.payment.providerRef));
    await settled(c.body.payment.id, 'failed');
    expect(await wallet(u.accessToken)).toMatchObject({ available: 0 });
  });
});

describe('Razorpay webhooks', () => {
  it('credits on payment.captured, reverses half on a half refund, and refuses a bad signature', async () => {
    const u = await newUser(url);
    const c = await checkout(u.accessToken, { packId: 'starter', provider: 'razorpay' });
    const captured = rzp.capture(c.body.client.orderId);
    const bad = await deliver('razorpay', { payload: captured.payload, headers: { ...captured.headers, 'x-razorpay-signature': 'f'.repeat(64) } });
    expect(bad.body.error.code).toBe('INVALID_SIGNATURE');
    await Promise.all([deliver('razorpay', captured), deliver('razorpay', captured)]);
    await settled(c.body.payment.id, 'succeeded');
    expect(await wallet(u.accessToken)).toMatchObject({ available: 100 });
    const paymentId = captured.event.payload.payment.entity.id;
    await deliver('razorpay', rzp.refund(paymentId, 19_950));
    await settled(c.body.payment.id, 'partially_refunded');
    expect(await wallet(u.accessToken)).toMatchObject({ available: 50 });
  });
  it('stores one signed body once, whatever event id header it is replayed under', async () => {
    const u = await newUser(url);
    const c = await checkout(u.accessToken, { packId: 'starter', provider: 'razorpay' });
    const captured = rzp.capture(c.body.client.orderId);
    const replays = await Promise.all(
      ['evt_a', 'evt_b', 'evt_c', 'evt_d', 'evt_e', captured.eventId].map((id) =>
        deliver('razorpay', { payload: captured.payload, headers: { ...captured.headers, 'x-razorpay-event-id': id } }),
      ),
    );
    for (const r of replays) expect(r.status).toBe(200);
    expect(replays.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    await settled(c.body.payment.id, 'succeeded');
    const paymentId = captured.event.payload.payment.entity.id;
    const stored = await pgQuery(backing.databaseUrl, `SELECT 1 FROM payment_events WHERE provider = 'razorpay' AND payload #>> '{payload,payment,entity,id}' = $1`, [paymentId]);
    expect(stored).toHaveLength(1);
    expect(await wallet(u.accessToken)).toMatchObject({ available: 100 });
  });

  it('answers 400, not 5xx, to a signed delivery whose event id header is longer than any real one', async () => {
    const u = await newUser(url);
    const c = await checkout(u.accessToken, { packId: 'starter', provider: 'razorpay' });
    const captured = rzp.capture(c.body.client.orderId);
    const res = await deliver('razorpay', { payload: captured.payload, headers: { ...captured.headers, 'x-razorpay-event-id': 'e'.repeat(300) } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    const paymentId = captured.event.payload.payment.entity.id;
    expect(await pgQuery(backing.databaseUrl, `SELECT 1 FROM payment_events WHERE payload #>> '{payload,payment,entity,id}' = $1`, [paymentId])).toEqual([]);
  });
});

describe('sandbox provider', () => {
  it('completes a checkout locally through a signed webhook on the same path', async () => {
    const u = await newUser(url);
    const c = await checkout(u.accessToken, { packId: 'whale', provider: 'sandbox' });
    expect(c.body.client.completeUrl).toBe(`/api/payments/sandbox/${c.body.payment.id}`);
    const other = await newUser(url);
    expect((await http(url, 'POST', c.body.client.completeUrl, { token: other.accessToken, body: { action: 'succeed' } })).status).toBe(404);
    const done = await http(url, 'POST', c.body.client.completeUrl, { token: u.accessToken, body: { action: 'succeed' } });
    expect(done.body).toEqual({ received: true, duplicate: false });
    await settled(c.body.payment.id, 'succeeded');
    expect(await wallet(u.accessToken)).toMatchObject({ available: 1200 });
    const forged = await http(url, 'POST', '/api/payments/webhooks/sandbox', { raw: '{"id":"x","type":"payment.succeeded"}', headers: { 'content-type': 'application/json', 'x-sandbox-signature': 't=1,v1=00' } });
    expect(forged.body.error.code).toBe('INVALID_SIGNATURE');
  });
});

describe('dead letters, reconciliation and admin', () => {
  it('dead-letters an event that keeps failing; admins see it and can retry it', async () => {
    const admin = await newAdmin(node.pairly, url);
    // A real, signed event about a PaymentIntent Pairly never created.
    const { default: Stripe } = await import('stripe');
    const sdk = new Stripe(STRIPE.apiKey, { host: '127.0.0.1', port: stripe.port, protocol: 'http' });
    const pi = await sdk.paymentIntents.create({ amount: 999, currency: 'usd', metadata: { paymentId: randomUUID() } });
    const d = stripe.succeed(pi.id);
    await deliver('stripe', d);
    await waitFor(async () => (await pgQuery<any>(backing.databaseUrl, `SELECT status FROM payment_events WHERE event_id = $1`, [d.event.id]))[0]?.status === 'dead', 15_000, 'dead letter');
    const list = await http(url, 'GET', '/api/admin/payments/dead-letters', { token: admin.token });
    expect(list.body.events.find((e: any) => e.eventId === d.event.id)).toMatchObject({ provider: 'stripe', attempts: 3 });
    const retry = await http(url, 'POST', `/api/admin/payments/dead-letters/stripe/${d.event.id}/retry`, { token: admin.token });
    expect(retry.status).toBe(202);
    await waitFor(async () => {
      const [e] = await pgQuery<any>(backing.databaseUrl, `SELECT status, attempts FROM payment_events WHERE event_id = $1`, [d.event.id]);
      return e.status === 'dead' && e.attempts === 6;
    }, 15_000, 'the retried event to fail again');
    expect((await http(url, 'POST', `/api/admin/payments/dead-letters/stripe/evt_nope/retry`, { token: admin.token })).status).toBe(404);
  });

  it('reconciliation records provider/ledger discrepancies by kind', async () => {
    const admin = await newAdmin(node.pairly, url);
    const u = await newUser(url);
    // Paid at the provider, but the webhook never came.
    const lost = await checkout(u.accessToken, { packId: 'starter', provider: 'stripe' });
    stripe.setStatus(lost.body.payment.providerRef, 'succeeded');
    // Credited here, gone at the provider.
    const gone = await checkout(u.accessToken, { packId: 'starter', provider: 'stripe' });
    await deliver('stripe', stripe.succeed(gone.body.payment.providerRef));
    await settled(gone.body.payment.id, 'succeeded');
    stripe.remove(gone.body.payment.providerRef);
    expect((await http(url, 'POST', '/api/admin/reconciliation/run', { token: admin.token })).status).toBe(202);
    const report = await waitFor(async () => {
      const r = await http(url, 'GET', '/api/admin/reconciliation', { token: admin.token });
      return r.body.report?.discrepancies?.length ? r.body.report : undefined;
    }, 15_000, 'a reconciliation report');
    const kinds = (ref: string) => report.discrepancies.filter((x: any) => x.providerRef === ref).map((x: any) => x.kind);
    expect(kinds(lost.body.payment.providerRef)).toEqual(['succeeded_not_credited']);
    expect(kinds(gone.body.payment.providerRef)).toEqual(['missing_at_provider']);
    expect(report.discrepancies.some((x: any) => x.kind === 'unknown_at_pairly')).toBe(true);
  });

  it('admin adjustments need the admin role, a reason and an Idempotency-Key, and are audited', async () => {
    const admin = await newAdmin(node.pairly, url);
    const u = await newUser(url);
    const body = { userId: u.user.id, amount: 25, reason: 'goodwill after outage' };
    expect((await http(url, 'POST', '/api/admin/ledger/adjustments', { token: u.accessToken, body, headers: { 'idempotency-key': randomUUID() } })).status).toBe(403);
    expect((await http(url, 'POST', '/api/admin/ledger/adjustments', { token: admin.token, body: { ...body, reason: '' }, headers: { 'idempotency-key': randomUUID() } })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await http(url, 'POST', '/api/admin/ledger/adjustments', { token: admin.token, body })).body.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    const key = randomUUID();
    const a = await http(url, 'POST', '/api/admin/ledger/adjustments', { token: admin.token, body, headers: { 'idempotency-key': key } });
    expect(a.status).toBe(201);
    expect(a.body.wallet.available).toBe(25);
    const again = await http(url, 'POST', '/api/admin/ledger/adjustments', { token: admin.token, body, headers: { 'idempotency-key': key } });
    expect(again.body).toMatchObject({ replayed: true, wallet: { available: 25 } });
    const minus = await http(url, 'POST', '/api/admin/ledger/adjustments', { token: admin.token, body: { ...body, amount: -30 }, headers: { 'idempotency-key': randomUUID() } });
    expect(minus.body.error.code).toBe('INSUFFICIENT_CREDITS');
    await waitFor(async () => (await pgQuery(backing.databaseUrl, `SELECT 1 FROM audit_log WHERE action = 'admin.adjustment' AND actor_id = $1`, [admin.userId])).length === 1);
    const search = await http(url, 'GET', `/api/admin/ledger/transfers?userId=${u.user.id}`, { token: admin.token });
    expect(search.body.transfers).toHaveLength(1);
    expect(search.body.transfers[0]).toMatchObject({ kind: 'adjustment', amount: 25, metadata: { reason: 'goodwill after outage', adminId: admin.userId } });
    const payments = await http(url, 'GET', '/api/admin/payments?provider=stripe&limit=5', { token: admin.token });
    expect(payments.body.payments.length).toBeGreaterThan(0);
    expect((await http(url, 'GET', '/api/admin/ledger/verify', { token: admin.token })).body.ok).toBe(true);
  });

  it('the money adds up after everything above', async () => {
    await fund(node.pairly, (await newUser(url)).user.id, 1);
    const report = await verifyLedger(node.pairly.services.ledgerStore);
    expect(report).toMatchObject({ ok: true, totalPosted: 0, brokenTransfers: [], balanceMismatches: [] });
  });
});
