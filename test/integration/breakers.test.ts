import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { http, newUser, waitFor } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { startRazorpayStandin, type RazorpayStandin } from '../support/razorpay-standin.js';
import { startStripeStandin, type StripeStandin } from '../support/stripe-standin.js';

/**
 * Circuit breakers in front of the payment providers, against the local
 * stand-ins switched to hang (requests accepted, never answered): calls time
 * out as PROVIDER_UNAVAILABLE, the breaker opens and then fails calls without
 * calling the provider, /readyz and /metrics say which breaker is open (the
 * node stays ready), and once the provider answers again a trial call closes
 * the breaker.
 */
let backing: Backing;
let node: InProcessNode;
let stripe: StripeStandin;
let rzp: RazorpayStandin;

const STRIPE = { apiKey: 'sk_test_standin_123', webhookSecret: 'whsec_standin_456' };
const RZP = { keyId: 'rzp_test_standin', keySecret: 'rzp_secret_standin_789', webhookSecret: 'rzp_whsec_standin_000' };

beforeAll(async () => {
  [backing, stripe, rzp] = await Promise.all([createBacking(), startStripeStandin(STRIPE), startRazorpayStandin(RZP)]);
  node = await startInProcess({
    ...backing.env,
    STRIPE_SECRET_KEY: STRIPE.apiKey,
    STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret,
    STRIPE_API_BASE: stripe.url,
    RAZORPAY_KEY_ID: RZP.keyId,
    RAZORPAY_KEY_SECRET: RZP.keySecret,
    RAZORPAY_WEBHOOK_SECRET: RZP.webhookSecret,
    RAZORPAY_API_BASE: rzp.url,
    PROVIDER_TIMEOUT_MS: '600',
    PROVIDER_BREAKER_FAILURES: '2',
    PROVIDER_BREAKER_HALF_OPEN_MS: '1000',
  });
});
afterAll(async () => {
  await node?.stop();
  await Promise.all([stripe?.close(), rzp?.close()]);
  await backing?.cleanup();
});

const checkout = (token: string, provider: string, key = randomUUID()) =>
  http(node.url, 'POST', '/api/payments/checkout', { token, body: { packId: 'starter', provider }, headers: { 'idempotency-key': key } });
const readyz = async () => (await http(node.url, 'GET', '/readyz')).body;
const metricState = async (breaker: string) => {
  const text = (await http<string>(node.url, 'GET', '/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith('pairly_circuit_breaker_state{') && l.includes(`breaker="${breaker}"`) && l.endsWith(' 1'));
  return /state="([^"]+)"/.exec(line ?? '')?.[1];
};

describe.each([
  ['stripe', () => stripe as { hang(on?: boolean): void }],
  ['razorpay', () => rzp as { hang(on?: boolean): void }],
])('the %s breaker', (provider, standin) => {
  const breaker = `payments:${provider}`;

  it('opens on a provider that hangs, fails calls at once while open, and closes when it answers again', async () => {
    const u = await newUser(node.url);
    const key = randomUUID();
    const opened = await checkout(u.accessToken, provider, key);
    expect(opened.status).toBe(201);
    expect((await readyz()).breakers[breaker]).toBe('closed');
    expect(await metricState(breaker)).toBe('closed');

    standin().hang(true);
    for (let i = 0; i < 2; i++) {
      const r = await checkout(u.accessToken, provider);
      // The provider's outage, not the request's fault: 503, so clients and proxies retry rather than give up.
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('PROVIDER_UNAVAILABLE');
      expect(r.body.error.message).toMatch(/did not answer/);
    }
    const ready = await readyz();
    expect(ready.breakers[breaker]).toBe('open');
    // Information only: chat, matches and calls do not need the provider.
    expect(ready.status).toBe('ready');
    expect(await metricState(breaker)).toBe('open');

    // Open: refused without calling the provider, with a hint when to come back.
    const fast = await checkout(u.accessToken, provider);
    expect(fast.status).toBe(503);
    expect(Number(fast.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(fast.body.error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', message: expect.stringMatching(/unavailable/) });
    expect(fast.body.error.retryAfterSeconds).toBeGreaterThan(0);
    // A checkout already opened is still answered from its row: its replay needs no provider.
    const replay = await checkout(u.accessToken, provider, key);
    expect(replay.status).toBe(201);
    expect(replay.body.payment.id).toBe(opened.body.payment.id);

    standin().hang(false);
    // After the half-open delay the next call is the trial; its success closes the breaker.
    await waitFor(async () => (await checkout(u.accessToken, provider)).status === 201, 15_000, 'a checkout through the recovered provider');
    expect((await readyz()).breakers[breaker]).toBe('closed');
    expect(await metricState(breaker)).toBe('closed');
  });
});
