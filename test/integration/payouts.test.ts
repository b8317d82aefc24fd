import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { http, newUser, verifyEmail, waitFor } from '../support/client.js';
import { fund, newAdmin } from '../support/ledger.js';
import { createBacking, startInProcess, tempDir, type Backing, type InProcessNode } from '../support/pairly.js';
import { codeAt } from '../support/two-factor.js';
import { verifiedCreator } from '../support/payouts.js';
import { startRazorpayStandin, type RazorpayStandin } from '../support/razorpay-standin.js';
import { pgQuery } from '../support/services.js';
import { startStripeStandin, type StripeStandin } from '../support/stripe-standin.js';
import { verifyLedger } from '../../server/src/modules/ledger/ledger.verify.js';

/**
 * Payouts (issue #13) on real PostgreSQL and Redis, with the Stripe (Connect) and Razorpay (X) stand-ins:
 * requests that can never together exceed what is available, the admin's decisions, the send job (retried,
 * twinned: one payment at the provider), the providers' webhooks (replayed, out of order), and the credits
 * coming back whenever a payout does not reach the creator. The ledger verifies after every test.
 * `strict` shares the database with a year's earnings hold, to see an available balance go negative.
 */
let backing: Backing;
let node: InProcessNode;
let strict: InProcessNode;
let url: string;
let stripe: StripeStandin;
let rzp: RazorpayStandin;
let admin: { userId: string; token: string };
const data = tempDir('payouts');

const STRIPE = { apiKey: 'sk_test_standin_123', webhookSecret: 'whsec_standin_456' };
const RZP = { keyId: 'rzp_test_standin', keySecret: 'rzp_secret_standin_789', webhookSecret: 'rzp_whsec_standin_000', accountNumber: '7878780080316316' };

beforeAll(async () => {
  [backing, stripe, rzp] = await Promise.all([createBacking(), startStripeStandin(STRIPE), startRazorpayStandin(RZP)]);
  const env = {
    ...backing.env,
    PAIRLY_DATA_DIR: data.path,
    MEDIA_STORAGE: 'local',
    JOB_ATTEMPTS: '3',
    JOB_BACKOFF_MS: '50',
    STRIPE_SECRET_KEY: STRIPE.apiKey,
    STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret,
    STRIPE_API_BASE: stripe.url,
    RAZORPAY_KEY_ID: RZP.keyId,
    RAZORPAY_KEY_SECRET: RZP.keySecret,
    RAZORPAY_WEBHOOK_SECRET: RZP.webhookSecret,
    RAZORPAY_API_BASE: rzp.url,
    RAZORPAYX_ACCOUNT_NUMBER: RZP.accountNumber,
    PAYMENTS_SANDBOX: 'true',
    PAYOUT_MIN_CREDITS: '50',
    PAYOUT_SWEEP_SECONDS: '3600',
  };
  node = await startInProcess({ ...env, RUN_WORKERS: 'true', EARNINGS_HOLD_SECONDS: '0' });
  strict = await startInProcess({ ...env, RUN_WORKERS: 'false', EARNINGS_HOLD_SECONDS: String(365 * 86_400) });
  url = node.url;
  admin = await newAdmin(node.pairly, url);
  stripe.connectWebhookEndpoint(`${url}/api/payouts/webhooks/stripe`);
}, 120_000);
afterEach(async () => {
  const report = await verifyLedger(node.pairly.services.ledgerStore);
  expect(report, JSON.stringify(report)).toMatchObject({ ok: true, totalPosted: 0 });
});
afterAll(async () => {
  await strict?.stop();
  await node?.stop();
  await Promise.all([stripe?.close(), rzp?.close()]);
  await backing?.cleanup();
  data.remove();
});

type User = Awaited<ReturnType<typeof newUser>>;
const sql = <T = any>(text: string, params: unknown[] = []) => pgQuery<T>(backing.databaseUrl, text, params);
const api = <T = any>(token: string, method: string, path: string, body?: unknown, base = url) => http<T>(base, method, path, { token, body });
const deliver = (provider: string, d: { payload: string; headers: Record<string, string> }) => http(url, 'POST', `/api/payouts/webhooks/${provider}`, { raw: d.payload, headers: d.headers });
const earnings = async (u: User, base = url) => (await api(u.accessToken, 'GET', '/api/earnings', undefined, base)).body.earnings;
/** At the rates configured here (the defaults): 3 cents a credit through Stripe, 250 paise through RazorpayX. */
const RATE: Record<string, number> = { stripe: 3, razorpay: 250 };
const request = (u: User, credits: number, provider = 'stripe', id: string = randomUUID(), base = url) =>
  api(u.accessToken, 'POST', '/api/payouts', { id, provider, credits, expectedAmountMinor: credits * (RATE[provider] ?? 1) }, base);
const approve = (id: string) => api(admin.token, 'POST', `/api/admin/payouts/${id}/approve`);
const row = async (id: string) => (await sql('SELECT * FROM payouts WHERE id = $1', [id]))[0];
const reaches = (id: string, status: string) => waitFor(async () => ((await row(id))?.status === status ? true : undefined), 10_000, `payout ${status}`);
const auditOf = async (id: string) => (await sql<{ action: string; meta: any }>(`SELECT action, meta FROM audit_log WHERE meta->>'payoutId' = $1 ORDER BY id`, [id])).map((a) => `${a.action}:${a.meta.status}`);
const account = async (code: string) => Number((await sql<{ posted: string }>('SELECT posted FROM ledger_accounts WHERE code = $1', [code]))[0]?.posted ?? 0);

/** A fan's tip of `gross`: the creator earns 80% of it, available at once on `node` (no hold). */
async function earn(creator: User, gross: number): Promise<void> {
  const fan = await newUser(url);
  await fund(node.pairly, fan.user.id, gross);
  await node.pairly.services.ledger.spend({ key: `tip:${randomUUID()}`, fromUserId: fan.user.id, toUserId: creator.user.id, amount: gross, kind: 'tip' });
}

/** A verified creator whose Stripe Express onboarding is done (through the stand-in's onboarding page). */
async function stripeCreator(): Promise<User & { secret: string | null }> {
  const c = await verifiedCreator(url, admin.token);
  const onboard = await api(c.accessToken, 'POST', '/api/payouts/methods/stripe');
  expect(onboard.status).toBe(200);
  expect(onboard.body.method).toMatchObject({ provider: 'stripe', status: 'onboarding' });
  // The creator submits the onboarding page; Stripe sends them back and tells Pairly by account.updated.
  const done = await fetch(onboard.body.url, { method: 'POST', body: 'action=finish', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
  expect(done.status).toBe(303);
  expect(done.headers.get('location')).toMatch(/\/payouts\?onboarding=done$/);
  const methods = (await api(c.accessToken, 'GET', '/api/payouts/overview')).body.methods;
  expect(methods).toEqual([expect.objectContaining({ provider: 'stripe', status: 'ready' })]);
  return c;
}

async function razorpayCreator(): Promise<User> {
  const c = await verifiedCreator(url, admin.token);
  const res = await api(c.accessToken, 'POST', '/api/payouts/methods/razorpay', { type: 'bank_account', name: 'Ada Example', ifsc: 'hdfc0000053', accountNumber: '1121431121541121' });
  expect(res.status).toBe(200);
  expect(res.body.method).toMatchObject({ provider: 'razorpay', status: 'ready', details: { bank: '…1121', ifsc: 'HDFC0000053' } });
  return c;
}

const stripePayoutOf = (payoutId: string) => stripe.connectPayouts().filter((p) => p.payout.metadata.payoutId === payoutId);

describe('requesting', () => {
  it('refuses the unverified, the unconfirmed email, the unready, below the minimum and above what is available; the money never moves', async () => {
    const unverified = await newUser(url, { role: 'creator' });
    await earn(unverified, 500);
    expect((await request(unverified, 100)).body.error.code).toBe('VERIFICATION_REQUIRED');
    const unconfirmed = await verifiedCreator(url, admin.token, {}, { confirmEmail: false });
    await earn(unconfirmed, 500);
    expect((await request(unconfirmed, 100)).body.error.code).toBe('EMAIL_NOT_VERIFIED');
    await verifyEmail(url, unconfirmed.user.email);
    expect((await request(unconfirmed, 100)).body.error.code).toBe('PAYOUT_METHOD_REQUIRED');

    const c = await verifiedCreator(url, admin.token);
    await earn(c, 500); // 400 available
    expect((await request(c, 100)).body.error.code).toBe('PAYOUT_METHOD_REQUIRED');
    await api(c.accessToken, 'POST', '/api/payouts/methods/stripe'); // onboarding not finished: still not ready
    expect((await request(c, 100)).body.error.code).toBe('PAYOUT_METHOD_REQUIRED');
    stripe.completeOnboarding((await sql('SELECT account_ref FROM payout_methods WHERE creator_id = $1', [c.user.id]))[0].account_ref);
    expect((await api(c.accessToken, 'POST', '/api/payouts/methods/stripe/refresh')).body.method.status).toBe('ready');

    const low = await request(c, 49);
    expect(low.status).toBe(400);
    expect(low.body.error).toMatchObject({ code: 'PAYOUT_BELOW_MINIMUM', details: { min: 50 } });
    const high = await request(c, 401);
    expect(high.status).toBe(402);
    expect(high.body.error).toMatchObject({ code: 'INSUFFICIENT_EARNINGS', details: { available: 400 } });
    expect((await request(c, 100, 'paypal')).body.error.code).toBe('VALIDATION_FAILED');
    // The money shown is the money paid: another amount (a rate changed since) is refused with the amount now.
    const changed = await api(c.accessToken, 'POST', '/api/payouts', { id: randomUUID(), provider: 'stripe', credits: 100, expectedAmountMinor: 200 });
    expect(changed.status).toBe(409);
    expect(changed.body.error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 300 } });
    expect((await api(c.accessToken, 'POST', '/api/payouts', { id: randomUUID(), provider: 'stripe', credits: 100 })).body.error.code).toBe('VALIDATION_FAILED');
    expect(await earnings(c)).toMatchObject({ available: 400, paidOut: 0 });
    expect((await sql('SELECT count(*)::int AS n FROM payouts WHERE creator_id = $1', [c.user.id]))[0].n).toBe(0);
  });

  it('moving money out needs two-factor sign-in, proved by this session within PAYOUT_STEP_UP_SECONDS', async () => {
    const plain = await verifiedCreator(url, admin.token, {}, { twoFactor: false });
    expect((await api(plain.accessToken, 'POST', '/api/payouts/methods/stripe')).body.error.code).toBe('TWO_FACTOR_SETUP_REQUIRED');
    await earn(plain, 500);
    expect((await request(plain, 100)).body.error.code).toBe('TWO_FACTOR_SETUP_REQUIRED');

    const c = await stripeCreator();
    await earn(c, 500);
    // The session proved it long ago: a step-up first, then the request goes through.
    await sql(`UPDATE sessions SET second_factor_at = now() - interval '1 hour' WHERE user_id = $1`, [c.user.id]);
    const stale = await request(c, 100);
    expect(stale.status).toBe(403);
    expect(stale.body.error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { maxAgeSeconds: 900 } });
    expect((await api(c.accessToken, 'POST', '/api/auth/2fa/verify', { code: '000000' })).body.error.code).toBe('TWO_FACTOR_INVALID');
    expect((await api(c.accessToken, 'POST', '/api/auth/2fa/verify', { code: codeAt(c.secret!, 1) })).status).toBe(204);
    expect((await request(c, 100)).status).toBe(201);
    expect(await earnings(c)).toMatchObject({ available: 300 });
  });

  it('concurrent requests never take more than is available: each sees what the ones before it took', async () => {
    const c = await stripeCreator();
    await earn(c, 400); // 320 available
    const results = await Promise.all(Array.from({ length: 10 }, () => request(c, 100)));
    const codes = results.map((r) => (r.status === 201 ? 'ok' : r.body.error.code)).sort();
    expect(codes).toEqual([...Array(7).fill('INSUFFICIENT_EARNINGS'), 'ok', 'ok', 'ok']);
    expect(await earnings(c)).toMatchObject({ available: 20, paidOut: 300, lifetime: 320, debited: 0 });
    expect(await account('payouts:clearing')).toBeGreaterThanOrEqual(300);
  });

  it('requests, cancels and rejections of one creator at once: each answers (none deadlocks), and the money adds up', async () => {
    // The clearing account older than the creator's earnings (as in any live system): ledger_apply locks it first.
    await sql(`SELECT ledger_account_id('payouts:clearing')`);
    const c = await stripeCreator();
    await earn(c, 2500); // 2000
    const first = [];
    for (let i = 0; i < 6; i++) first.push((await request(c, 100)).body.payout.id as string);
    const results = await Promise.all([
      ...first.slice(0, 3).map((id) => api(c.accessToken, 'POST', `/api/payouts/${id}/cancel`)),
      ...first.slice(3).map((id) => api(admin.token, 'POST', `/api/admin/payouts/${id}/reject`, { reason: 'Checked: not now' })),
      ...Array.from({ length: 6 }, () => request(c, 100)),
    ]);
    expect(results.map((r) => r.status).filter((s) => s >= 300)).toEqual([]);
    expect(await earnings(c)).toMatchObject({ available: 1400, paidOut: 600 });
  });

  it('the same id is the same payout (a retry), another body under it is refused', async () => {
    const c = await stripeCreator();
    await earn(c, 250); // 200
    const id = randomUUID();
    const [a, b] = await Promise.all([request(c, 100, 'stripe', id), request(c, 100, 'stripe', id)]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.payout.id).toBe(id);
    expect((await request(c, 150, 'stripe', id)).body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await earnings(c)).toMatchObject({ available: 100, paidOut: 100 });
  });

  it('a negative available (a clawback of earnings already paid out) blocks payouts', async () => {
    const c = await stripeCreator();
    const fan = await newUser(url);
    // The fan's purchase pays a tip; the creator is paid that share; later another fan's tip arrives.
    const p = (await http(url, 'POST', '/api/payments/checkout', { token: fan.accessToken, body: { packId: 'starter', provider: 'sandbox' }, headers: { 'idempotency-key': randomUUID() } })).body.payment;
    await api(fan.accessToken, 'POST', `/api/payments/sandbox/${p.id}`, { action: 'succeed' });
    await waitFor(async () => ((await sql('SELECT status FROM payments WHERE id = $1', [p.id]))[0].status === 'succeeded' ? true : undefined));
    await node.pairly.services.ledger.spend({ key: `tip:${randomUUID()}`, fromUserId: fan.user.id, toUserId: c.user.id, amount: 100, kind: 'tip' }); // 80
    expect((await request(c, 80)).status).toBe(201);
    await earn(c, 100); // 80 more
    // The purchase is refunded: the tip's share is clawed back from what the creator holds now.
    await api(fan.accessToken, 'POST', `/api/payments/sandbox/${p.id}`, { action: 'refund' });
    await waitFor(async () => ((await sql('SELECT status FROM payments WHERE id = $1', [p.id]))[0].status === 'refunded' ? true : undefined));
    expect(await earnings(c)).toMatchObject({ available: 0, debited: 80, paidOut: 80 });
    // Where the hold is a year, the clawed tip was never available, yet it was paid out: available is negative.
    const held = await earnings(c, strict.url);
    expect(held).toMatchObject({ available: -80, pending: 80, payable: false });
    const refused = await request(c, 50, 'stripe', randomUUID(), strict.url);
    expect(refused.status).toBe(402);
    expect(refused.body.error).toMatchObject({ code: 'INSUFFICIENT_EARNINGS', details: { available: -80 } });
  });
});

describe('deciding and paying', () => {
  it('Stripe: approved, sent by the job (a transfer and a payout on the connected account), paid by payout.paid; every step audited', async () => {
    const c = await stripeCreator();
    await earn(c, 250); // 200
    const asked = await request(c, 150);
    expect(asked.status).toBe(201);
    expect(asked.body.payout).toMatchObject({ status: 'requested', credits: 150, amountMinor: 450, currency: 'usd', provider: 'stripe' });
    const id = asked.body.payout.id;
    const queue = (await api(admin.token, 'GET', '/api/admin/payouts?status=requested&limit=100')).body.payouts;
    expect(queue.find((p: any) => p.id === id)).toMatchObject({ creator: { id: c.user.id }, credits: 150 });
    expect((await api(c.accessToken, 'GET', '/api/admin/payouts')).status).toBe(403);

    expect((await approve(id)).body.payout.status).toBe('approved');
    await reaches(id, 'processing');
    const [sent] = stripePayoutOf(id);
    expect(sent).toMatchObject({ payout: { amount: 450, currency: 'usd', status: 'pending' } });
    expect(stripe.transfers().filter((t) => t.metadata.payoutId === id)).toHaveLength(1);
    expect((await row(id)).provider_ref).toBe(sent!.payout.id);
    expect((await api(c.accessToken, 'POST', `/api/payouts/${id}/cancel`)).body.error.code).toBe('PAYOUT_WRONG_STATE');

    const paid = stripe.payPayout(sent!.payout.id);
    expect((await deliver('stripe', paid)).body).toEqual({ received: true, replayed: false });
    expect((await row(id)).status).toBe('paid');
    // A replay, and a late event saying it is still on its way: nothing changes.
    expect((await deliver('stripe', paid)).body).toEqual({ received: true, replayed: true });
    const late = stripe.customEvent('payout.updated', { ...sent!.payout, status: 'in_transit' });
    expect((await deliver('stripe', late)).status).toBe(200);
    expect((await row(id)).status).toBe('paid');
    expect(await earnings(c)).toMatchObject({ available: 50, paidOut: 150 });
    expect((await api(c.accessToken, 'GET', '/api/payouts')).body.payouts[0]).toMatchObject({ id, status: 'paid' });
    expect(await auditOf(id)).toEqual(['payouts.requested:requested', 'admin.payout_approved:approved', 'payouts.status_changed:processing', 'payouts.status_changed:paid']);
    const legs = await sql(`SELECT kind, amount::int AS amount FROM ledger_transfers WHERE idempotency_key LIKE $1 ORDER BY id`, [`payout:${id}:%`]);
    expect(legs).toEqual([{ kind: 'payout', amount: 150 }, { kind: 'payout_paid', amount: 150 }]);
  });

  it('a paid event before the job recorded the send still pays once; an out-of-order failure after paid changes nothing', async () => {
    const c = await stripeCreator();
    await earn(c, 125); // 100
    const id = (await request(c, 100)).body.payout.id;
    await approve(id);
    await reaches(id, 'processing');
    const [sent] = stripePayoutOf(id);
    const paid = stripe.payPayout(sent!.payout.id);
    const failed = stripe.customEvent('payout.failed', { ...sent!.payout, status: 'failed', failure_code: 'account_closed' });
    await deliver('stripe', paid);
    await deliver('stripe', failed);
    expect((await row(id)).status).toBe('paid');
    expect(await earnings(c)).toMatchObject({ available: 0, paidOut: 100 });
  });

  it('Stripe payout.failed returns the credits; a reversed transfer after paid returns them too, once', async () => {
    const c = await stripeCreator();
    await earn(c, 250); // 200
    const a = (await request(c, 100)).body.payout.id;
    const b = (await request(c, 100)).body.payout.id;
    expect((await api(admin.token, 'POST', '/api/admin/payouts/approve', { ids: [a, b] })).body).toEqual({ approved: [a, b], refused: [] });
    await reaches(a, 'processing');
    await reaches(b, 'processing');
    expect(await earnings(c)).toMatchObject({ available: 0 });

    const failed = stripe.failPayout(stripePayoutOf(a)[0]!.payout.id);
    const connected = stripePayoutOf(a)[0]!.account;
    expect(stripe.connectBalance(connected)).toBe(300); // the failed payout's money is back on the creator's Stripe balance
    await deliver('stripe', failed);
    expect(await row(a)).toMatchObject({ status: 'failed', reason: 'The bank account has been closed.' });
    expect(await earnings(c)).toMatchObject({ available: 100, paidOut: 100 });
    // The credits are the creator's again, so the transfer is taken back: the money is not theirs twice.
    expect(stripe.transfers().find((t) => t.metadata.payoutId === a)).toMatchObject({ reversed: true, amount_reversed: 300 });
    expect(stripe.connectBalance(connected)).toBe(0);
    await deliver('stripe', failed);
    expect(stripe.requests().filter((r) => r.path.endsWith('/reversals') && !r.replayed)).toHaveLength(1);

    await deliver('stripe', stripe.payPayout(stripePayoutOf(b)[0]!.payout.id));
    const reversal = stripe.reverseTransfer(stripe.transfers().find((t) => t.metadata.payoutId === b)!.id);
    await deliver('stripe', reversal);
    await deliver('stripe', reversal);
    expect((await row(b)).status).toBe('reversed');
    expect(await earnings(c)).toMatchObject({ available: 200, paidOut: 0 });
    const returns = await sql(`SELECT count(*)::int AS n FROM ledger_transfers WHERE kind = 'payout_return' AND metadata->>'payoutId' = ANY($1)`, [[a, b]]);
    expect(returns[0].n).toBe(2);
  });

  it('RazorpayX: a bank fund account, a payout with X-Payout-Idempotency, processed; a failed one returns the credits; reversed after processed too', async () => {
    const c = await razorpayCreator();
    await earn(c, 500); // 400
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await request(c, 100, 'razorpay')).body.payout.id);
    expect((await row(ids[0])).amount_minor).toBe('25000');
    for (const id of ids) await approve(id);
    for (const id of ids) await reaches(id, 'processing');
    const xOf = (id: string) => rzp.xPayouts().filter((p) => p.reference_id === id);
    expect(xOf(ids[0])).toEqual([expect.objectContaining({ amount: 25_000, currency: 'INR', mode: 'IMPS', status: 'processing', notes: { payoutId: ids[0] } })]);

    const processed = rzp.processPayout(xOf(ids[0])[0]!.id);
    await deliver('razorpay', processed);
    expect((await deliver('razorpay', processed)).body.replayed).toBe(true);
    await deliver('razorpay', rzp.failPayout(xOf(ids[1])[0]!.id));
    await deliver('razorpay', rzp.processPayout(xOf(ids[2])[0]!.id));
    await deliver('razorpay', rzp.reversePayout(xOf(ids[2])[0]!.id));
    expect([(await row(ids[0])).status, (await row(ids[1])).status, (await row(ids[2])).status]).toEqual(['paid', 'failed', 'reversed']);
    expect((await row(ids[1])).reason).toBe('Beneficiary bank is offline');
    expect(await earnings(c)).toMatchObject({ available: 300, paidOut: 100 });
  });

  it('rejected (with its reason) and cancelled return the credits; a batch approval reports the ones it cannot approve', async () => {
    const c = await stripeCreator();
    await earn(c, 375); // 300
    const r = (await request(c, 100)).body.payout.id;
    const x = (await request(c, 100)).body.payout.id;
    expect(await earnings(c)).toMatchObject({ available: 100 });
    expect((await api(admin.token, 'POST', `/api/admin/payouts/${r}/reject`, { reason: 'x' })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await api(admin.token, 'POST', `/api/admin/payouts/${r}/reject`, { reason: 'Bank details under review' })).body.payout).toMatchObject({ status: 'rejected', reason: 'Bank details under review' });
    expect((await api(c.accessToken, 'POST', `/api/payouts/${x}/cancel`)).body.payout.status).toBe('cancelled');
    expect((await api(c.accessToken, 'POST', `/api/payouts/${x}/cancel`)).body.payout.status).toBe('cancelled');
    expect(await earnings(c)).toMatchObject({ available: 300, paidOut: 0 });
    const other = await newUser(url);
    expect((await api(other.accessToken, 'POST', `/api/payouts/${r}/cancel`)).status).toBe(404);
    const batch = await api(admin.token, 'POST', '/api/admin/payouts/approve', { ids: [r, x, randomUUID()] });
    expect(batch.body.approved).toEqual([]);
    expect(batch.body.refused.map((f: any) => f.code)).toEqual(['PAYOUT_WRONG_STATE', 'PAYOUT_WRONG_STATE', 'NOT_FOUND']);
    expect(await auditOf(r)).toEqual(['payouts.requested:requested', 'admin.payout_rejected:rejected']);
    expect(await auditOf(x)).toEqual(['payouts.requested:requested', 'payouts.cancelled:cancelled']);
  });
});

describe('the send job', () => {
  it('retried after Stripe failed it, and run twice more by hand at once: one transfer and one payout at Stripe', async () => {
    const c = await stripeCreator();
    await earn(c, 125); // 100
    const id = (await request(c, 100)).body.payout.id;
    // Three 500s use up the SDK's own retries of the first call: the job's first attempt fails, its next one sends.
    stripe.failNextRequests(3, 'server-error');
    await approve(id);
    await reaches(id, 'processing');
    await Promise.all([node.pairly.services.payouts.send(id), node.pairly.services.payouts.send(id)]);
    expect(stripePayoutOf(id)).toHaveLength(1);
    expect(stripe.transfers().filter((t) => t.metadata.payoutId === id)).toHaveLength(1);
    expect((await sql(`SELECT count(*)::int AS n FROM ledger_transfers WHERE idempotency_key LIKE $1`, [`payout:${id}:%`]))[0].n).toBe(1);
  });

  it('lost between Stripe and the commit (a response cut, then the commit failing after Stripe paid): the next send is answered by the same payout', async () => {
    const c = await stripeCreator();
    await earn(c, 125);
    const id = (await request(c, 100)).body.payout.id;
    await sql(`UPDATE payouts SET status = 'approved' WHERE id = $1`, [id]); // approved with no job: the sends below are by hand
    // The transfer's answer is lost after Stripe made it: the SDK asks again with the same key and is answered by the stored result.
    stripe.failNextRequests(1, 'drop-response');
    // And the commit after the provider's answer fails, as when the worker dies there.
    await sql(`ALTER TABLE audit_log ADD CONSTRAINT test_refuse_payout_sent CHECK (action <> 'payouts.status_changed') NOT VALID`);
    try {
      await expect(node.pairly.services.payouts.send(id)).rejects.toThrow();
    } finally {
      await sql(`ALTER TABLE audit_log DROP CONSTRAINT test_refuse_payout_sent`);
    }
    expect(await row(id)).toMatchObject({ status: 'approved', provider_ref: null });
    expect(stripePayoutOf(id)).toHaveLength(1);
    await node.pairly.services.payouts.send(id);
    expect((await row(id)).status).toBe('processing');
    expect(stripePayoutOf(id)).toHaveLength(1);
    expect(stripe.transfers().filter((t) => t.metadata.payoutId === id)).toHaveLength(1);
    const replayed = stripe.requests().filter((r) => r.replayed && r.idempotencyKey?.startsWith(`pairly-payout-${id}`)).map((r) => r.path);
    expect(replayed).toEqual(['/v1/transfers', '/v1/transfers', '/v1/payouts']);
  });

  it('an approved payout whose job was lost is sent by the sweep', async () => {
    const c = await stripeCreator();
    await earn(c, 125);
    const id = (await request(c, 100)).body.payout.id;
    await sql(`UPDATE payouts SET status = 'approved', updated_at = now() - interval '5 minutes' WHERE id = $1`, [id]);
    expect((await node.pairly.services.payouts.sweep()).resent).toBeGreaterThanOrEqual(1);
    await reaches(id, 'processing');
    expect(stripePayoutOf(id)).toHaveLength(1);
  });

  it('automatic payouts: a due weekly schedule requests everything available above the minimum', async () => {
    const c = await stripeCreator();
    await earn(c, 250); // 200
    expect((await api(c.accessToken, 'PUT', '/api/payouts/schedule', { every: 'weekly', provider: 'stripe' })).body.schedule).toMatchObject({ every: 'weekly', provider: 'stripe' });
    await sql(`UPDATE payout_schedules SET next_run_at = now() - interval '1 minute' WHERE creator_id = $1`, [c.user.id]);
    expect((await node.pairly.services.payouts.sweep()).automatic).toBeGreaterThanOrEqual(1);
    const mine = (await api(c.accessToken, 'GET', '/api/payouts')).body.payouts;
    expect(mine).toEqual([expect.objectContaining({ credits: 200, automatic: true, status: 'requested' })]);
    // Not due again until next week.
    expect((await node.pairly.services.payouts.sweep()).automatic).toBe(0);
    expect((await api(c.accessToken, 'PUT', '/api/payouts/schedule', { every: null })).body.schedule).toBeNull();
  });
});

describe('webhooks', () => {
  it('refuses bad signatures (400, never 5xx) and ignores events about nothing Pairly knows', async () => {
    const d = stripe.customEvent('payout.paid', { id: 'po_unknown', object: 'payout', status: 'paid', metadata: { payoutId: randomUUID() } });
    expect((await deliver('stripe', { ...d, headers: { ...d.headers, 'stripe-signature': 't=1,v1=00' } })).body.error.code).toBe('INVALID_SIGNATURE');
    expect((await deliver('stripe', d)).body).toEqual({ received: true, replayed: false });
    const x = rzp.customEvent('payout.processed', { payout: { entity: { id: 'pout_unknown', status: 'processed', notes: { payoutId: 'not-a-uuid' } } } });
    expect((await deliver('razorpay', { ...x, headers: { ...x.headers, 'x-razorpay-signature': 'ab' } })).body.error.code).toBe('INVALID_SIGNATURE');
    expect((await deliver('razorpay', x)).status).toBe(200);
    expect((await deliver('paypal', x)).status).toBe(400);
  });
});

describe('a ban (issue #18)', () => {
  it('rejects the requests not yet approved (credits back in earnings) and refuses new ones until the account is restored', async () => {
    const c = await razorpayCreator();
    await earn(c, 500); // 400 available
    const pending = await request(c, 100, 'razorpay');
    expect(pending.status).toBe(201);
    expect(await account(`earnings:${c.user.id}`)).toBe(300);

    const ban = await api(admin.token, 'POST', `/api/admin/users/${c.user.id}/decisions`, { action: 'ban', reason: 'fraud' });
    expect(ban.status).toBe(201);
    expect(await row(pending.body.payout.id)).toMatchObject({ status: 'rejected', reason: 'account banned' });
    expect(await auditOf(pending.body.payout.id)).toEqual(['payouts.requested:requested', 'admin.payout_rejected:rejected']);
    expect(await account(`earnings:${c.user.id}`)).toBe(400);
    // Signed out by the ban; a request made for them anyway (through the session that proved its second factor) is refused.
    const sessionId = JSON.parse(Buffer.from(c.accessToken.split('.')[1]!, 'base64url').toString()).sid as string;
    const asCreator = { userId: c.user.id, role: 'creator' as const, sessionId };
    const body = { id: randomUUID(), provider: 'razorpay' as const, credits: 100, expectedAmountMinor: 100 * RATE.razorpay! };
    await expect(node.pairly.services.payouts.request(asCreator, body, null)).rejects.toMatchObject({ code: 'PAYOUTS_FROZEN' });

    expect((await api(admin.token, 'POST', `/api/admin/users/${c.user.id}/decisions`, { action: 'restore', reason: 'appeal upheld' })).status).toBe(201);
    expect((await node.pairly.services.payouts.request(asCreator, body, null)).payout).toMatchObject({ status: 'requested', credits: 100 });
  });

  it('recalls approved payouts not sent yet: rejected, the credits back in earnings through the ledger, audited; a late send sends nothing', async () => {
    const c = await razorpayCreator();
    await earn(c, 500); // 400 available
    const approved = await request(c, 150, 'razorpay');
    expect(approved.status).toBe(201);
    // Approved with its send not run yet (a queued job, or one lost and waiting for the sweep): written here so no worker sends it first.
    await sql(`UPDATE payouts SET status = 'approved', decided_by = $2 WHERE id = $1`, [approved.body.payout.id, admin.userId]);
    expect(await account(`earnings:${c.user.id}`)).toBe(250);

    expect((await api(admin.token, 'POST', `/api/admin/users/${c.user.id}/decisions`, { action: 'ban', reason: 'fraud' })).status).toBe(201);
    expect(await row(approved.body.payout.id)).toMatchObject({ status: 'rejected', reason: 'account banned: recalled before it was sent' });
    expect(await account(`earnings:${c.user.id}`)).toBe(400);
    expect(await auditOf(approved.body.payout.id)).toEqual(['payouts.requested:requested', 'admin.payout_recalled:rejected']);
    const returns = await sql(`SELECT count(*)::int AS n FROM ledger_transfers WHERE idempotency_key = $1`, [`payout:${approved.body.payout.id}:return`]);
    expect(returns[0].n).toBe(1);

    // The send job running after the recall finds nothing to send; a second ban recalls nothing more.
    await node.pairly.services.payouts.send(approved.body.payout.id);
    expect(await row(approved.body.payout.id)).toMatchObject({ status: 'rejected', provider_ref: null });
    expect(await node.pairly.services.payouts.freeze(c.user.id, admin.userId)).toEqual({ rejected: 0, recalled: 0 });
    expect(await account(`earnings:${c.user.id}`)).toBe(400);
  });
});
