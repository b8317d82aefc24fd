import { describe, expect, it } from 'vitest';
import { transition, type PaymentState } from '../../server/src/modules/payments/payment-state.js';
import { createStripeProvider } from '../../server/src/modules/payments/providers/stripe.provider.js';
import { walletReturnUrls, webAppBase } from '../../server/src/modules/payments/return-url.js';

/**
 * Stripe Checkout's events, read by the Stripe provider and applied by the
 * pure payment state machine: in every order and with repeats, one payment
 * is credited once and ends in the same state.
 */
const stripe = createStripeProvider({ secretKey: 'sk_test_unit_only', webhookSecret: 'whsec_unit_only' });
const PAYMENT_ID = '11111111-2222-4333-8444-555555555555';
const SESSION = 'cs_test_unit';
const PI = 'pi_unit';

const session = (over: object) => ({
  id: SESSION,
  object: 'checkout.session',
  client_reference_id: PAYMENT_ID,
  metadata: { paymentId: PAYMENT_ID },
  amount_total: 1999,
  currency: 'usd',
  payment_intent: PI,
  status: 'complete',
  payment_status: 'paid',
  ...over,
});
const intent = (over: object) => ({ id: PI, object: 'payment_intent', amount: 1999, amount_received: 1999, currency: 'usd', metadata: { paymentId: PAYMENT_ID, flow: 'hosted' }, ...over });
const event = (type: string, object: object) => stripe.interpret({ id: `evt_${type}`, type, payload: { id: `evt_${type}`, type, data: { object } } });

const completed = event('checkout.session.completed', session({}));
const succeeded = event('payment_intent.succeeded', intent({ status: 'succeeded' }));
const declined = event('payment_intent.payment_failed', intent({ status: 'requires_payment_method', amount_received: 0, last_payment_error: { code: 'card_declined' } }));
const refunded = event('charge.refunded', { id: 'ch_unit', object: 'charge', payment_intent: PI, amount_refunded: 500, metadata: {} });

const fresh: PaymentState = { status: 'pending', credited: false, refundedMinor: 0, disputed: false, reversedCredits: 0, credits: 550, amountMinor: 1999, currency: 'usd', error: null };

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

describe('Stripe Checkout events', () => {
  it('say what they mean for the payment, each naming the PaymentIntent to record', () => {
    expect(completed).toEqual({ kind: 'captured', ref: SESSION, paymentId: PAYMENT_ID, paymentRef: PI, amountMinor: 1999, currency: 'usd' });
    expect(succeeded).toMatchObject({ kind: 'captured', ref: PI, paymentId: PAYMENT_ID, paymentRef: PI });
    expect(declined).toEqual({ kind: 'linked', ref: PI, paymentId: PAYMENT_ID, paymentRef: PI });
    expect(refunded).toEqual({ kind: 'refunded', ref: PI, paymentId: undefined, paymentRef: PI, refundedTotalMinor: 500 });
    expect(event('checkout.session.completed', session({ payment_status: 'unpaid' }))).toEqual({ kind: 'linked', ref: SESSION, paymentId: PAYMENT_ID, paymentRef: PI });
    expect(event('checkout.session.async_payment_failed', session({ payment_status: 'unpaid' }))).toMatchObject({ kind: 'failed', ref: SESSION, reason: 'async_payment_failed' });
    expect(event('checkout.session.expired', session({ status: 'expired', payment_status: 'unpaid', payment_intent: null }))).toEqual({
      kind: 'failed',
      ref: SESSION,
      paymentId: PAYMENT_ID,
      paymentRef: undefined,
      reason: 'expired',
    });
    // The embedded flow's PaymentIntent failing is still the payment's verdict.
    expect(event('payment_intent.payment_failed', intent({ metadata: { paymentId: PAYMENT_ID } }))).toMatchObject({ kind: 'failed' });
  });

  it('credit once and end alike in every order, with every event delivered twice', () => {
    const events = [completed, succeeded, declined, refunded];
    const ends = new Set<string>();
    let orders = 0;
    for (const order of permutations([...events, ...events])) {
      let state = fresh;
      let credits = 0;
      let reversed = 0;
      for (const signal of order) {
        const t = transition(state, signal);
        if (t.credit) credits += 1;
        reversed += t.reverse;
        state = t.next;
      }
      expect(credits).toBe(1);
      expect(reversed).toBe(137); // floor(550 * 500 / 1999)
      ends.add(JSON.stringify(state));
      orders += 1;
    }
    expect(orders).toBe(40_320);
    expect([...ends].map((s) => JSON.parse(s))).toEqual([{ ...fresh, status: 'partially_refunded', credited: true, refundedMinor: 500, reversedCredits: 137 }]);
  });

  it('a capture whose amount differs from the payment is an error, never a credit', () => {
    const short = event('checkout.session.completed', session({ amount_total: 199 }));
    const t = transition(fresh, short);
    expect(t).toMatchObject({ credit: false, next: { status: 'error' } });
  });
});

describe('the page a hosted checkout returns to', () => {
  const web = { allowedOrigins: ['https://pairly.example', 'http://localhost:5173'], publicUrl: 'https://pairly.example/' };
  it('is PUBLIC_WEB_URL when set, else the request origin if it is this server or allowed, else PUBLIC_URL', () => {
    expect(webAppBase({ ...web, publicWebUrl: 'https://app.pairly.example/' }, { origin: 'http://localhost:5173' })).toBe('https://app.pairly.example');
    expect(webAppBase(web, { origin: 'http://localhost:5173' })).toBe('http://localhost:5173');
    expect(webAppBase(web, { origin: 'http://10.0.0.5:3000', self: 'http://10.0.0.5:3000' })).toBe('http://10.0.0.5:3000');
    expect(webAppBase(web, { origin: 'https://evil.example', self: 'http://10.0.0.5:3000' })).toBe('https://pairly.example');
    expect(webAppBase(web, { origin: 'null', self: 'http://10.0.0.5:3000' })).toBe('https://pairly.example');
    expect(webAppBase(web, {})).toBe('https://pairly.example');
  });
  it('is the wallet with the payment, and says when the person left without paying', () => {
    expect(walletReturnUrls('https://pairly.example', PAYMENT_ID)).toEqual({
      success: `https://pairly.example/wallet?payment=${PAYMENT_ID}`,
      cancel: `https://pairly.example/wallet?payment=${PAYMENT_ID}&checkout=cancelled`,
    });
  });
});
