import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Razorpay from 'razorpay';
import Stripe from 'stripe';
import { startRazorpayStandin, type RazorpayStandin } from '../support/razorpay-standin.js';
import { startStripeStandin, type StripeStandin } from '../support/stripe-standin.js';

/**
 * Self-test of the payout parts of the provider stand-ins: Stripe Connect driven through the official
 * `stripe` SDK, RazorpayX through its REST API (the `razorpay` SDK has no payouts) with deliveries the
 * SDK's validateWebhookSignature accepts.
 */
const STRIPE_KEY = 'sk_test_standin_connect_0123456789';
const STRIPE_WHSEC = 'whsec_standin_connect_0123456789';

describe('Stripe Connect in the stand-in, through the stripe SDK', () => {
  let standin: StripeStandin;
  let stripe: Stripe;
  beforeAll(async () => {
    standin = await startStripeStandin({ apiKey: STRIPE_KEY, webhookSecret: STRIPE_WHSEC });
    stripe = new Stripe(STRIPE_KEY, { host: '127.0.0.1', port: standin.port, protocol: 'http', maxNetworkRetries: 2 });
  });
  afterAll(() => standin.close());

  it('an Express account, its onboarding link and page, a transfer and a payout on the account; the refusals Stripe gives', async () => {
    const acct = await stripe.accounts.create({ type: 'express', capabilities: { transfers: { requested: true } }, metadata: { creatorId: 'c-1' } });
    expect(acct).toMatchObject({ object: 'account', type: 'express', payouts_enabled: false, details_submitted: false, metadata: { creatorId: 'c-1' } });
    const link = await stripe.accountLinks.create({ account: acct.id, type: 'account_onboarding', return_url: 'http://app.test/payouts?onboarding=done', refresh_url: 'http://app.test/payouts' });
    expect(link.url).toBe(`${standin.url}/connect/onboard/${acct.id}`);
    expect(await (await fetch(link.url)).text()).toContain('Finish onboarding');
    await expect(stripe.accountLinks.create({ account: 'acct_nope', type: 'account_onboarding', return_url: 'http://x', refresh_url: 'http://x' })).rejects.toMatchObject({ statusCode: 404 });

    const t = await stripe.transfers.create({ amount: 500, currency: 'usd', destination: acct.id, transfer_group: 'p-1', metadata: { payoutId: 'p-1' } }, { idempotencyKey: 'k-transfer' });
    expect(t).toMatchObject({ object: 'transfer', amount: 500, destination: acct.id, reversed: false });
    expect((await stripe.transfers.create({ amount: 500, currency: 'usd', destination: acct.id, transfer_group: 'p-1', metadata: { payoutId: 'p-1' } }, { idempotencyKey: 'k-transfer' })).id).toBe(t.id);
    await expect(stripe.transfers.create({ amount: 500, currency: 'usd', destination: 'acct_nope' })).rejects.toMatchObject({ statusCode: 400 });
    // Payouts wait for onboarding, and for the money.
    await expect(stripe.payouts.create({ amount: 500, currency: 'usd' }, { stripeAccount: acct.id })).rejects.toMatchObject({ statusCode: 400, code: 'payouts_not_allowed' });
    const done = await fetch(link.url, { method: 'POST', body: 'action=finish', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    expect([done.status, done.headers.get('location')]).toEqual([303, 'http://app.test/payouts?onboarding=done']);
    expect((await stripe.accounts.retrieve(acct.id)).payouts_enabled).toBe(true);
    await expect(stripe.payouts.create({ amount: 501, currency: 'usd' }, { stripeAccount: acct.id })).rejects.toMatchObject({ statusCode: 400, code: 'balance_insufficient' });
    const po = await stripe.payouts.create({ amount: 500, currency: 'usd', metadata: { payoutId: 'p-1' } }, { stripeAccount: acct.id, idempotencyKey: 'k-payout' });
    expect(po).toMatchObject({ object: 'payout', status: 'pending', amount: 500, metadata: { payoutId: 'p-1' } });
    expect((await stripe.payouts.retrieve(po.id, {}, { stripeAccount: acct.id })).id).toBe(po.id);
    await expect(stripe.payouts.retrieve(po.id)).rejects.toMatchObject({ statusCode: 404 });

    // Deliveries on the connected account carry `account` and verify with the SDK.
    const paid = standin.payPayout(po.id);
    const event = stripe.webhooks.constructEvent(paid.payload, paid.headers['stripe-signature'], STRIPE_WHSEC) as Stripe.Event & { account?: string };
    expect(event).toMatchObject({ type: 'payout.paid', account: acct.id, data: { object: { id: po.id, status: 'paid' } } });
    const reversed = standin.reverseTransfer(t.id);
    expect(stripe.webhooks.constructEvent(reversed.payload, reversed.headers['stripe-signature'], STRIPE_WHSEC).type).toBe('transfer.reversed');
    expect((await stripe.transfers.list({ transfer_group: 'p-1' })).data.map((x) => x.id)).toEqual([t.id]);
  });
});

describe('RazorpayX in the stand-in, through its REST API', () => {
  const RZP = { keyId: 'rzp_test_x', keySecret: 'rzp_secret_x_0123', webhookSecret: 'rzp_whsec_x_0123', accountNumber: '7878780080316316' };
  let standin: RazorpayStandin;
  const auth = `Basic ${Buffer.from(`${RZP.keyId}:${RZP.keySecret}`).toString('base64')}`;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${standin.url}${path}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  beforeAll(async () => {
    standin = await startRazorpayStandin(RZP);
  });
  afterAll(() => standin.close());

  it('a contact, a bank and a UPI fund account, payouts idempotent on X-Payout-Idempotency; signed payout.* deliveries', async () => {
    const contact = await post('/v1/contacts', { name: 'Ada Example', type: 'vendor', reference_id: 'c-1' });
    expect(contact.body.id).toMatch(/^cont_/);
    const bank = await post('/v1/fund_accounts', { contact_id: contact.body.id, account_type: 'bank_account', bank_account: { name: 'Ada Example', ifsc: 'HDFC0000053', account_number: '1121431121541121' } });
    expect(bank.body).toMatchObject({ entity: 'fund_account', account_type: 'bank_account' });
    expect((await post('/v1/fund_accounts', { contact_id: contact.body.id, account_type: 'vpa', vpa: { address: 'ada@upi' } })).status).toBe(200);
    expect((await post('/v1/fund_accounts', { contact_id: contact.body.id, account_type: 'bank_account', bank_account: { ifsc: 'nope', account_number: '1' } })).status).toBe(400);
    expect((await post('/v1/fund_accounts', { contact_id: 'cont_nope', account_type: 'vpa', vpa: { address: 'a@b' } })).status).toBe(400);

    const body = { account_number: RZP.accountNumber, fund_account_id: bank.body.id, amount: 25_000, currency: 'INR', mode: 'IMPS', purpose: 'payout', reference_id: 'p-1', notes: { payoutId: 'p-1' } };
    expect((await post('/v1/payouts', body)).status).toBe(400); // no idempotency header
    const first = await post('/v1/payouts', body, { 'X-Payout-Idempotency': 'p-1' });
    expect(first.body).toMatchObject({ entity: 'payout', status: 'processing', amount: 25_000, reference_id: 'p-1' });
    expect((await post('/v1/payouts', body, { 'X-Payout-Idempotency': 'p-1' })).body.id).toBe(first.body.id);
    expect((await post('/v1/payouts', { ...body, amount: 30_000 }, { 'X-Payout-Idempotency': 'p-1' })).status).toBe(400);
    expect((await post('/v1/payouts', { ...body, account_number: '1111111111' }, { 'X-Payout-Idempotency': 'p-2' })).status).toBe(400);
    expect(standin.xPayouts()).toHaveLength(1);

    for (const d of [standin.processPayout(first.body.id), standin.reversePayout(first.body.id)]) {
      expect(Razorpay.validateWebhookSignature(d.payload, d.headers['x-razorpay-signature']!, RZP.webhookSecret)).toBe(true);
    }
    expect(standin.xPayout(first.body.id)?.status).toBe('reversed');
    const wrongKey = await fetch(`${standin.url}/v1/payouts`, { method: 'POST', headers: { authorization: 'Basic eDp5', 'content-type': 'application/json' }, body: '{}' });
    expect(wrongKey.status).toBe(401);
  });
});
