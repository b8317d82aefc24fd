import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import Razorpay from 'razorpay';
import { startStripeStandin, type StripeStandin } from '../support/stripe-standin.js';
import { pointRazorpayAt, startRazorpayStandin, type RazorpayStandin } from '../support/razorpay-standin.js';

/**
 * Self-test of the payment-provider stand-ins, driven only through the
 * official SDKs, configured the way Pairly configures them.
 */

const STRIPE_KEY = 'sk_test_standin_0123456789abcdef';
const STRIPE_WHSEC = 'whsec_standin_0123456789abcdef';

describe('Stripe stand-in through the stripe SDK', () => {
  let standin: StripeStandin;
  let stripe: Stripe;

  beforeAll(async () => {
    standin = await startStripeStandin({ apiKey: STRIPE_KEY, webhookSecret: STRIPE_WHSEC });
    stripe = new Stripe(STRIPE_KEY, { host: '127.0.0.1', port: standin.port, protocol: 'http', maxNetworkRetries: 2 });
  });
  afterAll(async () => {
    await standin.close();
  });

  it('creates and retrieves a PaymentIntent with nested metadata', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 499,
      currency: 'USD',
      metadata: { paymentId: 'pay-1', userId: 'u-1' },
      automatic_payment_methods: { enabled: true },
    });
    expect(pi.id).toMatch(/^pi_/);
    expect(pi).toMatchObject({
      object: 'payment_intent',
      amount: 499,
      currency: 'usd',
      status: 'requires_payment_method',
      metadata: { paymentId: 'pay-1', userId: 'u-1' },
      latest_charge: null,
      livemode: false,
    });
    expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_`));
    expect(Number.isInteger(pi.created)).toBe(true);
    expect(pi.lastResponse.requestId).toMatch(/^req_/);

    const again = await stripe.paymentIntents.retrieve(pi.id);
    expect(again.id).toBe(pi.id);
    expect(again.metadata).toEqual({ paymentId: 'pay-1', userId: 'u-1' });
    expect(again.automatic_payment_methods?.enabled).toBe(true);
  });

  it('rejects bad input and unknown ids with Stripe errors', async () => {
    await expect(stripe.paymentIntents.create({ amount: 0, currency: 'usd' })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      param: 'amount',
    });
    await expect(stripe.paymentIntents.create({ amount: 10.5, currency: 'usd' })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      param: 'amount',
    });
    await expect(stripe.paymentIntents.create({ amount: 100, currency: 'dollars' })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      param: 'currency',
    });
    const missing = await stripe.paymentIntents.retrieve('pi_doesnotexist').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('lists newest first and auto-paginates with limit 2 and created[gte]', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const before = standin.requests().length;
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const pi = await stripe.paymentIntents.create({ amount: 100 + i, currency: 'usd', metadata: { batch: 'list' } });
      created.push(pi.id);
    }
    const firstPage = await stripe.paymentIntents.list({ limit: 2, created: { gte: since } });
    expect(firstPage.object).toBe('list');
    expect(firstPage.url).toBe('/v1/payment_intents');
    expect(firstPage.data).toHaveLength(2);
    expect(firstPage.has_more).toBe(true);

    const seen: string[] = [];
    for await (const pi of stripe.paymentIntents.list({ limit: 2, created: { gte: since } })) {
      if (pi.metadata.batch === 'list') seen.push(pi.id);
    }
    expect(seen).toEqual([...created].reverse());

    const all = await stripe.paymentIntents.list({ limit: 2, created: { gte: since } }).autoPagingToArray({ limit: 100 });
    expect(all.filter((p) => p.metadata.batch === 'list').map((p) => p.id)).toEqual([...created].reverse());

    // Pagination really went over several pages, with starting_after cursors.
    const listCalls = standin.requests().slice(before).filter((r) => r.method === 'GET' && r.path === '/v1/payment_intents');
    expect(listCalls.length).toBeGreaterThan(3);

    const future = await stripe.paymentIntents.list({ created: { gte: since + 3600 } });
    expect(future.data).toEqual([]);
    expect(future.has_more).toBe(false);
  });

  it('honours Idempotency-Key: replay returns the same object, different params conflict', async () => {
    const key = `idem-${Date.now()}`;
    const a = await stripe.paymentIntents.create({ amount: 700, currency: 'usd', metadata: { k: '1' } }, { idempotencyKey: key });
    const b = await stripe.paymentIntents.create({ amount: 700, currency: 'usd', metadata: { k: '1' } }, { idempotencyKey: key });
    expect(b.id).toBe(a.id);
    expect(b.client_secret).toBe(a.client_secret);
    expect(b.lastResponse.headers['idempotent-replayed']).toBe('true');

    const conflict = await stripe.paymentIntents
      .create({ amount: 701, currency: 'usd', metadata: { k: '1' } }, { idempotencyKey: key })
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(conflict).toMatchObject({ statusCode: 400, rawType: 'idempotency_error' });
  });

  it('a lost response is retried by the SDK with the same key and creates one PaymentIntent', async () => {
    const before = standin.requests().length;
    standin.failNextRequests(1, 'drop-response');
    const pi = await stripe.paymentIntents.create({ amount: 900, currency: 'usd', metadata: { case: 'drop' } });
    const posts = standin.requests().slice(before).filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[0]!.idempotencyKey).toBeTruthy();
    expect(posts[1]!.idempotencyKey).toBe(posts[0]!.idempotencyKey);
    expect(posts[1]!.replayed).toBe(true);
    const mine = (await stripe.paymentIntents.list({ limit: 100 }).autoPagingToArray({ limit: 1000 })).filter(
      (p) => p.metadata.case === 'drop',
    );
    expect(mine.map((p) => p.id)).toEqual([pi.id]);

    standin.failNextRequests(1, 'server-error');
    const afterError = await stripe.paymentIntents.retrieve(pi.id);
    expect(afterError.id).toBe(pi.id);
  });

  it('a wrong API key gets an authentication error from the SDK', async () => {
    const wrong = new Stripe('sk_test_wrong_key_000000', { host: '127.0.0.1', port: standin.port, protocol: 'http', maxNetworkRetries: 2 });
    const err = await wrong.paymentIntents.create({ amount: 100, currency: 'usd' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(err).toMatchObject({ statusCode: 401, rawType: 'invalid_request_error' });
    await expect(wrong.paymentIntents.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('succeed/refund/dispute/fail produce deliveries constructEvent verifies', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', metadata: { paymentId: 'p-42' } });

    const ok = standin.succeed(pi.id);
    expect(ok.headers['content-type']).toBe('application/json');
    const evt = stripe.webhooks.constructEvent(ok.payload, ok.headers['stripe-signature'], STRIPE_WHSEC, 300);
    expect(evt.id).toMatch(/^evt_/);
    expect(evt.type).toBe('payment_intent.succeeded');
    expect(evt.id).toBe(ok.event.id);
    if (evt.type !== 'payment_intent.succeeded') throw new Error('unreachable');
    expect(evt.data.object).toMatchObject({ id: pi.id, status: 'succeeded', amount: 1000, metadata: { paymentId: 'p-42' } });
    const chargeId = evt.data.object.latest_charge;
    expect(chargeId).toMatch(/^ch_/);
    // The same delivery verifies again (a redelivery is the same bytes and header).
    expect(stripe.webhooks.constructEvent(ok.payload, ok.headers['stripe-signature'], STRIPE_WHSEC, 300).id).toBe(evt.id);

    const retrieved = await stripe.paymentIntents.retrieve(pi.id);
    expect(retrieved.status).toBe('succeeded');
    expect(retrieved.latest_charge).toBe(chargeId);

    const r1 = standin.refund(pi.id, 300);
    const refundEvt = stripe.webhooks.constructEvent(r1.payload, r1.headers['stripe-signature'], STRIPE_WHSEC, 300);
    expect(refundEvt.type).toBe('charge.refunded');
    expect(r1.event.data.object).toMatchObject({ id: chargeId, object: 'charge', amount: 1000, amount_refunded: 300, refunded: false, payment_intent: pi.id });
    const r2 = standin.refund(pi.id, 700);
    expect(r2.event.data.object).toMatchObject({ amount_refunded: 1000, refunded: true });
    expect(() => standin.refund(pi.id, 1)).toThrow();

    const d = standin.dispute(pi.id);
    const disputeEvt = stripe.webhooks.constructEvent(d.payload, d.headers['stripe-signature'], STRIPE_WHSEC, 300);
    expect(disputeEvt.type).toBe('charge.dispute.created');
    expect(d.event.data.object).toMatchObject({ object: 'dispute', amount: 1000, currency: 'usd', charge: chargeId, payment_intent: pi.id, status: 'needs_response', reason: 'fraudulent' });
    expect(d.event.data.object.id).toMatch(/^dp_/);

    const other = await stripe.paymentIntents.create({ amount: 200, currency: 'eur' });
    const f = standin.fail(other.id);
    const failEvt = stripe.webhooks.constructEvent(f.payload, f.headers['stripe-signature'], STRIPE_WHSEC, 300);
    expect(failEvt.type).toBe('payment_intent.payment_failed');
    expect(f.event.data.object).toMatchObject({ id: other.id, status: 'requires_payment_method' });
    expect(f.event.data.object.last_payment_error?.code).toBe('card_declined');

    const ids = new Set([ok, r1, r2, d, f].map((x) => x.event.id));
    expect(ids.size).toBe(5);
  });

  it('Checkout Sessions: created with price_data, paid on the hosted page, listed, and the webhooks Stripe sends', async () => {
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'payment',
      line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 499, product_data: { name: '100 credits' } } }],
      client_reference_id: 'p-77',
      metadata: { paymentId: 'p-77' },
      payment_intent_data: { metadata: { paymentId: 'p-77', flow: 'hosted' } },
      success_url: 'http://127.0.0.1:9/wallet?payment=p-77',
      cancel_url: 'http://127.0.0.1:9/wallet?payment=p-77&checkout=cancelled',
    };
    const cs = await stripe.checkout.sessions.create(params, { idempotencyKey: 'cs-key-1' });
    expect(cs).toMatchObject({ object: 'checkout.session', mode: 'payment', status: 'open', payment_status: 'unpaid', amount_total: 499, currency: 'usd', payment_intent: null, client_reference_id: 'p-77' });
    expect(cs.id).toMatch(/^cs_test_/);
    expect(cs.url).toBe(`${standin.url}/c/pay/${cs.id}`);
    expect(cs.expires_at - cs.created).toBe(24 * 3600);
    expect((await stripe.checkout.sessions.create(params, { idempotencyKey: 'cs-key-1' })).id).toBe(cs.id);
    expect((await stripe.checkout.sessions.retrieve(cs.id)).id).toBe(cs.id);
    await expect(stripe.checkout.sessions.create({ ...params, mode: 'subscription' })).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    await expect(stripe.checkout.sessions.create({ ...params, line_items: [] })).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    await expect(stripe.checkout.sessions.create({ ...params, success_url: 'javascript:alert(1)' })).rejects.toMatchObject({ param: 'success_url' });

    // The hosted page: no API key; "Pay" completes the session and sends the browser back.
    const page = await fetch(cs.url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Pay $4.99');
    const received: { type: string; body: string; sig: string }[] = [];
    const { createServer } = await import('node:http');
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        received.push({ type: JSON.parse(body).type, body, sig: String(req.headers['stripe-signature']) });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    standin.webhookEndpoint(`http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`);
    standin.holdWebhooks();
    const paid = await fetch(cs.url!, { method: 'POST', body: 'action=pay', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(params.success_url);
    expect(received).toEqual([]);
    const sent = await standin.releaseWebhooks();
    hook.close();
    expect(sent.map((r) => [r.type, r.status])).toEqual([
      ['checkout.session.completed', 200],
      ['payment_intent.succeeded', 200],
    ]);
    const events = received.map((r) => stripe.webhooks.constructEvent(r.body, r.sig, STRIPE_WHSEC, 300));
    const done = await stripe.checkout.sessions.retrieve(cs.id);
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', url: null });
    expect(events[0]!.data.object).toMatchObject({ id: cs.id, status: 'complete', payment_status: 'paid', payment_intent: done.payment_intent });
    const pi = await stripe.paymentIntents.retrieve(done.payment_intent as string);
    expect(pi).toMatchObject({ status: 'succeeded', amount: 499, metadata: { paymentId: 'p-77', flow: 'hosted' } });
    expect(events[1]!.data.object).toMatchObject({ id: pi.id, status: 'succeeded' });
    expect((await fetch(cs.url!)).status).toBe(200);

    // Another session expires unpaid; an asynchronous one completes unpaid and fails later.
    const late = await stripe.checkout.sessions.create(params);
    const expired = standin.expireSession(late.id);
    expect(stripe.webhooks.constructEvent(expired.payload, expired.headers['stripe-signature'], STRIPE_WHSEC, 300).type).toBe('checkout.session.expired');
    expect(() => standin.completeSession(late.id)).toThrow();
    const bank = await stripe.checkout.sessions.create(params);
    const { completed, succeeded } = standin.completeSession(bank.id, { async: true });
    expect(succeeded).toBeUndefined();
    expect(completed.event.data.object).toMatchObject({ status: 'complete', payment_status: 'unpaid' });
    const failed = standin.settleSession(bank.id, 'failed');
    expect([failed.session.event.type, failed.paymentIntent.event.type]).toEqual(['checkout.session.async_payment_failed', 'payment_intent.payment_failed']);

    // Listed newest first, by creation time and status.
    const since = cs.created;
    const listed = await stripe.checkout.sessions.list({ created: { gte: since }, limit: 2 }).autoPagingToArray({ limit: 100 });
    expect(listed.map((x) => x.id)).toEqual([bank.id, late.id, cs.id]);
    expect((await stripe.checkout.sessions.list({ status: 'expired' })).data.map((x) => x.id)).toEqual([late.id]);
  });

  it('tampered, forged and stale deliveries fail verification', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd' });
    const ok = standin.succeed(pi.id);
    const sig = ok.headers['stripe-signature'];

    const tampered = ok.payload.replace('"amount": 1500', '"amount": 150000');
    expect(tampered).not.toBe(ok.payload);
    expect(() => stripe.webhooks.constructEvent(tampered, sig, STRIPE_WHSEC, 300)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    // Re-serialising the parsed body is not the raw body Stripe signed.
    const reserialised = JSON.stringify(JSON.parse(ok.payload));
    expect(() => stripe.webhooks.constructEvent(reserialised, sig, STRIPE_WHSEC, 300)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => stripe.webhooks.constructEvent(ok.payload, sig, 'whsec_someone_else', 300)).toThrow(Stripe.errors.StripeSignatureVerificationError);

    const stale = standin.signPayload(ok.payload, Math.floor(Date.now() / 1000) - 3600);
    expect(() => stripe.webhooks.constructEvent(ok.payload, stale, STRIPE_WHSEC, 300)).toThrow(/tolerance/);
    const fresh = standin.signPayload(ok.payload, Math.floor(Date.now() / 1000) - 10);
    expect(stripe.webhooks.constructEvent(ok.payload, fresh, STRIPE_WHSEC, 300).id).toBe(ok.event.id);
  });

  it('setStatus and remove change records behind the client', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 321, currency: 'usd', metadata: { case: 'recon' } });
    standin.setStatus(pi.id, 'canceled');
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('canceled');
    standin.setStatus(pi.id, 'succeeded');
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');

    standin.remove(pi.id);
    await expect(stripe.paymentIntents.retrieve(pi.id)).rejects.toMatchObject({ statusCode: 404 });
    const listed = await stripe.paymentIntents.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
    expect(listed.some((p) => p.id === pi.id)).toBe(false);
    expect(standin.paymentIntent(pi.id)).toBeUndefined();
  });
});

const RZP_KEY_ID = 'rzp_test_standin';
const RZP_KEY_SECRET = 'rzp_secret_standin_0123456789';
const RZP_WHSEC = 'rzp_whsec_standin_0123456789';

interface RazorpaySdkError {
  statusCode: number;
  error: { code: string; description: string; field?: string };
}

describe('Razorpay stand-in through the razorpay SDK', () => {
  let standin: RazorpayStandin;
  let rzp: Razorpay;

  beforeAll(async () => {
    standin = await startRazorpayStandin({ keyId: RZP_KEY_ID, keySecret: RZP_KEY_SECRET, webhookSecret: RZP_WHSEC });
    rzp = new Razorpay({ key_id: RZP_KEY_ID, key_secret: RZP_KEY_SECRET });
    // The SDK hard-codes https://api.razorpay.com in an axios instance it keeps
    // in `api.rq` (untyped in the SDK's .d.ts); re-pointing its baseURL is all it takes.
    (rzp.api as unknown as { rq: { defaults: { baseURL?: string } } }).rq.defaults.baseURL = standin.url;
  });
  afterAll(async () => {
    await standin.close();
  });

  it('the SDK really talks to the stand-in after re-pointing baseURL', async () => {
    const before = standin.requests().length;
    const order = await rzp.orders.create({ amount: 50_000, currency: 'INR', receipt: 'rcpt-1', notes: { paymentId: 'p-1' } });
    expect(standin.requests().slice(before)).toEqual([{ method: 'POST', path: '/v1/orders', status: 200 }]);
    expect(order.id).toMatch(/^order_/);
    expect(order).toMatchObject({
      entity: 'order',
      amount: 50_000,
      amount_paid: 0,
      amount_due: 50_000,
      currency: 'INR',
      receipt: 'rcpt-1',
      status: 'created',
      attempts: 0,
      notes: { paymentId: 'p-1' },
    });
    expect(Number.isInteger(order.created_at)).toBe(true);

    const fetched = await rzp.orders.fetch(order.id);
    expect(fetched).toEqual(order);
    const payments = await rzp.orders.fetchPayments(order.id);
    expect(payments).toMatchObject({ entity: 'collection', count: 0, items: [] });

    // The helper does the same thing in one typed place.
    const other = new Razorpay({ key_id: RZP_KEY_ID, key_secret: RZP_KEY_SECRET });
    pointRazorpayAt(other, standin.url);
    expect((await other.orders.fetch(order.id)).id).toBe(order.id);
  });

  it('lists orders newest first with from/to/count/skip', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await rzp.orders.create({ amount: 10_000 + i, currency: 'INR', receipt: `list-${i}` })).id);
    }
    const newest = [...ids].reverse();
    const page1 = await rzp.orders.all({ from: since, count: 2, skip: 0 });
    expect(page1.entity).toBe('collection');
    expect(page1.count).toBe(2);
    expect(page1.items.map((o) => o.id)).toEqual(newest.slice(0, 2));
    const page2 = await rzp.orders.all({ from: since, count: 2, skip: 2 });
    expect(page2.items.map((o) => o.id)).toEqual(newest.slice(2, 4));
    const none = await rzp.orders.all({ from: since, to: since - 100 });
    expect(none.count).toBe(0);
    const byReceipt = await rzp.orders.all({ receipt: 'list-2' });
    expect(byReceipt.items.map((o) => o.id)).toEqual([ids[2]]);
  });

  it('rejects bad input, unknown ids and wrong keys with Razorpay errors', async () => {
    const small = await rzp.orders.create({ amount: 50, currency: 'INR' }).catch((e: unknown) => e as RazorpaySdkError);
    expect(small).toMatchObject({ statusCode: 400, error: { code: 'BAD_REQUEST_ERROR', field: 'amount' } });
    const frac = await rzp.orders.create({ amount: 100.5, currency: 'INR' }).catch((e: unknown) => e as RazorpaySdkError);
    expect(frac).toMatchObject({ statusCode: 400, error: { code: 'BAD_REQUEST_ERROR', field: 'amount' } });
    const cur = await rzp.orders.create({ amount: 1000, currency: 'rupees' }).catch((e: unknown) => e as RazorpaySdkError);
    expect(cur).toMatchObject({ statusCode: 400, error: { field: 'currency' } });

    const missing = await rzp.orders.fetch('order_doesnotexist').catch((e: unknown) => e as RazorpaySdkError);
    expect(missing).toMatchObject({ statusCode: 400, error: { code: 'BAD_REQUEST_ERROR', description: 'The id provided does not exist' } });

    const wrong = new Razorpay({ key_id: RZP_KEY_ID, key_secret: 'not-the-secret' });
    pointRazorpayAt(wrong, standin.url);
    const auth = await wrong.orders.create({ amount: 1000, currency: 'INR' }).catch((e: unknown) => e as RazorpaySdkError);
    expect(auth).toEqual({ statusCode: 401, error: expect.objectContaining({ code: 'BAD_REQUEST_ERROR', description: 'Authentication failed' }) });

    standin.failNextRequests(1);
    const down = await rzp.orders.all().catch((e: unknown) => e as RazorpaySdkError);
    expect(down).toMatchObject({ statusCode: 500, error: { code: 'SERVER_ERROR' } });
  });

  it('capture/refund/dispute/fail produce deliveries validateWebhookSignature accepts', async () => {
    const order = await rzp.orders.create({ amount: 20_000, currency: 'INR', receipt: 'r-cap', notes: { paymentId: 'p-9' } });

    const cap = standin.capture(order.id);
    expect(cap.headers['content-type']).toBe('application/json');
    expect(cap.headers['x-razorpay-event-id']).toBe(cap.eventId);
    expect(Razorpay.validateWebhookSignature(cap.payload, cap.headers['x-razorpay-signature'], RZP_WHSEC)).toBe(true);
    const body = JSON.parse(cap.payload) as typeof cap.event;
    expect(body).toMatchObject({ entity: 'event', account_id: 'acc_standin', event: 'payment.captured', contains: ['payment'] });
    const payment = body.payload.payment.entity;
    expect(payment).toMatchObject({
      entity: 'payment',
      amount: 20_000,
      currency: 'INR',
      status: 'captured',
      order_id: order.id,
      amount_refunded: 0,
      captured: true,
      notes: { paymentId: 'p-9' },
    });
    expect(payment.id).toMatch(/^pay_/);

    expect(await rzp.payments.fetch(payment.id)).toMatchObject({ id: payment.id, status: 'captured' });
    expect(await rzp.orders.fetch(order.id)).toMatchObject({ status: 'paid', amount_paid: 20_000, amount_due: 0, attempts: 1 });
    const listed = await rzp.orders.fetchPayments(order.id);
    expect(listed.items.map((p) => p.id)).toEqual([payment.id]);

    const r1 = standin.refund(payment.id, 5_000);
    expect(Razorpay.validateWebhookSignature(r1.payload, r1.headers['x-razorpay-signature'], RZP_WHSEC)).toBe(true);
    expect(r1.event).toMatchObject({ event: 'refund.processed', contains: ['refund', 'payment'] });
    expect(r1.event.payload.refund.entity).toMatchObject({ entity: 'refund', amount: 5_000, payment_id: payment.id, currency: 'INR', status: 'processed' });
    expect(r1.event.payload.refund.entity.id).toMatch(/^rfnd_/);
    expect(r1.event.payload.payment.entity).toMatchObject({ amount_refunded: 5_000, status: 'captured' });
    const r2 = standin.refund(payment.id);
    expect(r2.event.payload.payment.entity).toMatchObject({ amount_refunded: 20_000, status: 'refunded', refund_status: 'full' });
    expect((await rzp.payments.fetch(payment.id)).amount_refunded).toBe(20_000);

    const d = standin.dispute(payment.id);
    expect(Razorpay.validateWebhookSignature(d.payload, d.headers['x-razorpay-signature'], RZP_WHSEC)).toBe(true);
    expect(d.event).toMatchObject({ event: 'payment.dispute.created', contains: ['dispute', 'payment'] });
    expect(d.event.payload.dispute.entity).toMatchObject({ entity: 'dispute', payment_id: payment.id, amount: 20_000, currency: 'INR', status: 'open' });
    expect(d.event.payload.dispute.entity.id).toMatch(/^disp_/);

    const order2 = await rzp.orders.create({ amount: 1_000, currency: 'INR' });
    const f = standin.fail(order2.id);
    expect(Razorpay.validateWebhookSignature(f.payload, f.headers['x-razorpay-signature'], RZP_WHSEC)).toBe(true);
    expect(f.event.event).toBe('payment.failed');
    expect(f.event.payload.payment.entity).toMatchObject({ status: 'failed', captured: false, order_id: order2.id });
    expect(await rzp.orders.fetch(order2.id)).toMatchObject({ status: 'attempted', attempts: 1 });

    const eventIds = new Set([cap, r1, r2, d, f].map((x) => x.eventId));
    expect(eventIds.size).toBe(5);
  });

  it('a tampered body or a wrong secret fails validateWebhookSignature', async () => {
    const order = await rzp.orders.create({ amount: 30_000, currency: 'INR' });
    const cap = standin.capture(order.id);
    const sig = cap.headers['x-razorpay-signature'];
    const tampered = cap.payload.replace('"amount":30000', '"amount":3000000');
    expect(tampered).not.toBe(cap.payload);
    expect(Razorpay.validateWebhookSignature(tampered, sig, RZP_WHSEC)).toBe(false);
    expect(Razorpay.validateWebhookSignature(cap.payload, sig, 'another-secret')).toBe(false);
    expect(standin.signPayload(cap.payload)).toBe(sig);
  });

  it('setStatus and remove change records behind the client', async () => {
    const order = await rzp.orders.create({ amount: 2_000, currency: 'INR' });
    const cap = standin.capture(order.id);
    const paymentId = cap.event.payload.payment.entity.id;

    standin.setStatus(paymentId, 'failed');
    expect(await rzp.payments.fetch(paymentId)).toMatchObject({ status: 'failed', captured: false });
    standin.setStatus(order.id, 'attempted');
    expect((await rzp.orders.fetch(order.id)).status).toBe('attempted');

    standin.remove(paymentId);
    const gone = await rzp.payments.fetch(paymentId).catch((e: unknown) => e as RazorpaySdkError);
    expect(gone).toMatchObject({ statusCode: 400, error: { description: 'The id provided does not exist' } });
    standin.remove(order.id);
    await expect(rzp.orders.fetch(order.id)).rejects.toMatchObject({ statusCode: 400 });
    expect(standin.order(order.id)).toBeUndefined();
  });
});
