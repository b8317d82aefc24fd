import { describe, expect, it } from 'vitest';
import type { CreditPack, WalletTransaction } from '../../shared/payments.js';
import {
  checkoutAfterReturn,
  checkoutReturnOf,
  checkoutStoreKey,
  confirmPollDelay,
  currenciesOf,
  defaultCurrency,
  formatMoney,
  hostedClientOf,
  keyAfterFailure,
  loadCheckout,
  payableProviders,
  paymentStatus,
  razorpayClientOf,
  razorpayOptions,
  saveCheckout,
  signedCredits,
  walletEntries,
  webFlow,
  type KeyValueStore,
  type TrackedCheckout,
} from '../../web/src/components/wallet-model.js';

describe('money', () => {
  it('formats minor units with the currency’s own decimals', () => {
    expect(formatMoney(499, 'usd', 'en-US')).toBe('$4.99');
    expect(formatMoney(1999, 'eur', 'en-US')).toBe('€19.99');
    expect(formatMoney(39_900, 'inr', 'en-IN')).toBe('₹399.00');
    // Yen has no minor unit: 500 is ¥500, not ¥5.
    expect(formatMoney(500, 'jpy', 'en-US')).toBe('¥500');
  });

  it('says an unknown currency code plainly instead of guessing its decimals', () => {
    expect(formatMoney(123, 'zz1')).toBe('123 ZZ1 (minor units)');
  });

  it('signs credit amounts with a real minus sign', () => {
    expect(signedCredits(100, 'en')).toBe('+100');
    expect(signedCredits(-1200, 'en')).toBe('\u22121,200');
    expect(signedCredits(0, 'en')).toBe('0');
  });

  it('lists the currencies packs are sold in and picks the one the server would', () => {
    const packs: CreditPack[] = [
      { id: 'a', credits: 100, prices: { usd: 499, inr: 39_900 } },
      { id: 'b', credits: 500, prices: { eur: 1999, usd: 1999 } },
    ];
    expect(currenciesOf(packs)).toEqual(['usd', 'inr', 'eur']);
    expect(defaultCurrency('sandbox', ['eur', 'usd', 'inr'])).toBe('usd');
    expect(defaultCurrency('razorpay', ['eur', 'usd', 'inr'])).toBe('inr');
    expect(defaultCurrency('razorpay', ['eur'])).toBe('eur');
    expect(defaultCurrency(undefined, [])).toBeUndefined();
  });
});

describe('providers and payments', () => {
  it('offers the providers this app can complete a payment through, Stripe on its hosted page', () => {
    expect(payableProviders(['razorpay', 'stripe', 'sandbox'])).toEqual(['sandbox', 'stripe', 'razorpay']);
    expect(payableProviders(['stripe'])).toEqual(['stripe']);
    expect(payableProviders([])).toEqual([]);
    expect(webFlow('stripe')).toBe('hosted');
    expect(webFlow('razorpay')).toBe('embedded');
    expect(webFlow('sandbox')).toBe('embedded');
  });

  it('tells pending from settled payments, in words', () => {
    expect(paymentStatus('pending')).toMatchObject({ label: 'Waiting for payment', settled: false, tone: 'pending' });
    expect(paymentStatus('creating').settled).toBe(false);
    expect(paymentStatus('succeeded')).toMatchObject({ label: 'Paid', settled: true, tone: 'ok' });
    expect(paymentStatus('failed')).toMatchObject({ label: 'Failed', settled: true, tone: 'bad' });
    expect(paymentStatus('failed').explanation).toMatch(/Nothing was charged/);
    for (const s of ['error', 'refunded', 'partially_refunded', 'disputed']) expect(paymentStatus(s).settled).toBe(true);
  });

  it('reuses the Idempotency-Key after a failure unless the server has closed that key for good', () => {
    for (const code of ['NETWORK', 'INTERNAL', 'RATE_LIMITED', 'PROVIDER_UNAVAILABLE', 'NOT_READY'] as const) expect(keyAfterFailure(code)).toBe('reuse');
    expect(keyAfterFailure('PROVIDER_ERROR')).toBe('renew');
    expect(keyAfterFailure('IDEMPOTENCY_CONFLICT')).toBe('renew');
  });

  it('asks for a payment’s status often at first, then less', () => {
    expect(confirmPollDelay(0)).toBe(1_000);
    expect(confirmPollDelay(30_000)).toBe(3_000);
    expect(confirmPollDelay(600_000)).toBe(10_000);
  });
});

class MemoryStore implements KeyValueStore {
  readonly map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

describe('the checkout kept across a reload', () => {
  const checkout: TrackedCheckout = { key: 'k-12345678', packId: 'starter', provider: 'sandbox', currency: 'usd', credits: 100, amountMinor: 499, phase: 'open', since: 1 };

  it('round-trips per user, and another user on the same tab sees none', () => {
    const store = new MemoryStore();
    saveCheckout(store, 'u1', checkout);
    expect(loadCheckout(store, 'u1')).toEqual(checkout);
    expect(loadCheckout(store, 'u2')).toBeNull();
    saveCheckout(store, 'u1', null);
    expect(loadCheckout(store, 'u1')).toBeNull();
  });

  it('ignores what is not a checkout', () => {
    const store = new MemoryStore();
    for (const raw of ['not json', '{}', JSON.stringify({ ...checkout, phase: 'paid' }), JSON.stringify({ ...checkout, credits: 1.5 }), JSON.stringify({ ...checkout, payment: 'x' })]) {
      store.setItem(checkoutStoreKey('u1'), raw);
      expect(loadCheckout(store, 'u1')).toBeNull();
    }
  });

  it('survives storage that refuses to work', () => {
    const broken: KeyValueStore = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('full');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    };
    expect(() => saveCheckout(broken, 'u1', checkout)).not.toThrow();
    expect(loadCheckout(broken, 'u1')).toBeNull();
  });
});

describe('Razorpay Checkout hand-off', () => {
  it('takes the order from the checkout answer, checked', () => {
    const c = razorpayClientOf({ orderId: 'order_1', keyId: 'rzp_test_1', amount: 39_900, currency: 'INR' });
    expect(c).toEqual({ orderId: 'order_1', keyId: 'rzp_test_1', amount: 39_900, currency: 'INR' });
    expect(razorpayClientOf({ orderId: 'order_1', keyId: 'rzp_test_1' })).toBeNull();
    expect(razorpayClientOf({ clientSecret: 'pi_secret' })).toBeNull();
    expect(razorpayClientOf(undefined)).toBeNull();
    expect(razorpayOptions(c!, { name: 'Ada', email: 'ada@example.com' }, 1200)).toMatchObject({
      key: 'rzp_test_1',
      order_id: 'order_1',
      amount: 39_900,
      currency: 'INR',
      description: '1,200 credits',
      prefill: { name: 'Ada', email: 'ada@example.com' },
    });
  });
});

describe('transfers folded into entries', () => {
  let id = 0;
  const t = (over: Partial<WalletTransaction> & Pick<WalletTransaction, 'key' | 'kind' | 'amount'>): WalletTransaction => ({
    id: ++id,
    state: 'posted',
    direction: over.amount >= 0 ? 'in' : 'out',
    counterparty: 'x',
    metadata: {},
    createdAt: new Date(1_700_000_000_000 + id * 1000).toISOString(),
    expiresAt: null,
    ...over,
  });

  it('shows a purchase, and a message’s creator and fee legs as one message', () => {
    const purchase = t({ key: 'sandbox:sbx_1', kind: 'purchase', amount: 100, counterparty: 'clearing:sandbox' });
    const creator = t({ key: 'msg:m1:creator', kind: 'message', amount: -8, metadata: { conversationId: 'c1', messageId: 'm1' } });
    const fee = t({ key: 'msg:m1:fee', kind: 'message_fee', amount: -2, metadata: { conversationId: 'c1', messageId: 'm1' } });
    const entries = walletEntries([fee, creator, purchase]);
    expect(entries).toEqual([
      expect.objectContaining({ label: 'Message', amount: -10, held: 0, state: 'done', conversationId: 'c1', detail: 'Includes Pairly’s fee' }),
      expect.objectContaining({ label: 'Credits bought', amount: 100, state: 'done', detail: 'Through a test payment' }),
    ]);
  });

  it('shows a call as one entry: minutes charged, a released minute not counted, the minute in progress reserved', () => {
    const rows = [
      t({ key: 'call:k1:min:1:hold', kind: 'call_hold', amount: -10, state: 'pending' }),
      t({ key: 'call:k1:min:1:capture', kind: 'call', amount: -10 }),
      t({ key: 'call:k1:min:2:hold', kind: 'call_hold', amount: -10, state: 'pending' }),
      t({ key: 'call:k1:min:2:capture', kind: 'call', amount: -10 }),
      t({ key: 'call:k1:min:3:hold', kind: 'call_hold', amount: -10, state: 'pending' }),
    ].reverse();
    expect(walletEntries(rows)).toEqual([expect.objectContaining({ label: 'Call', amount: -20, held: 10, state: 'held', detail: '2 minutes charged · 10 credits reserved for the minute in progress' })]);

    const ended = [t({ key: 'call:k1:min:3:void', kind: 'call', amount: -10, state: 'voided' }), ...rows];
    expect(walletEntries(ended)).toEqual([expect.objectContaining({ amount: -20, held: 0, state: 'done', detail: '2 minutes charged' })]);

    const unanswered = [
      t({ key: 'call:k2:min:1:hold:expired', kind: 'hold_expired', amount: -5, state: 'voided' }),
      t({ key: 'call:k2:min:1:hold', kind: 'call_hold', amount: -5, state: 'pending' }),
    ];
    expect(walletEntries(unanswered)).toEqual([expect.objectContaining({ amount: 0, held: 0, state: 'released', detail: '0 minutes charged' })]);
  });

  it('labels refunds, debt settlements and adjustments, newest first, and a kind it does not know', () => {
    const rows = [
      t({ key: 'adj:a1:k', kind: 'adjustment', amount: 50, metadata: { reason: 'goodwill credit' } }),
      t({ key: 'sandbox:sbx_2:settle', kind: 'debt_settlement', amount: -30 }),
      t({ key: 'sandbox:sbx_1:reversal:100:reverse', kind: 'refund', amount: -70 }),
      t({ key: 'gift:g1', kind: 'mystery_gift', amount: 5 }),
    ];
    const entries = walletEntries([...rows].reverse());
    expect(entries.map((e) => [e.label, e.amount])).toEqual([
      ['Mystery gift', 5],
      ['Refund: credits taken back', -70],
      ['Paid off what you owed', -30],
      ['Adjustment by Pairly', 50],
    ]);
    expect(entries[3]!.detail).toBe('goodwill credit');
  });
});

describe('Stripe Checkout (the hosted page)', () => {
  const PAYMENT = '0b6f1c7e-4a0e-4c43-9e59-2f7a1d2c3b4a';
  const payment = { id: PAYMENT, provider: 'stripe' as const, providerRef: 'cs_test_1', packId: 'starter', credits: 100, amountMinor: 499, currency: 'usd', status: 'pending', createdAt: '2026-01-01T00:00:00.000Z' };
  const tracked: TrackedCheckout = {
    key: 'key-12345678',
    packId: 'starter',
    provider: 'stripe',
    currency: 'usd',
    credits: 100,
    amountMinor: 499,
    phase: 'open',
    since: 1,
    payment,
    client: { provider: 'stripe', flow: 'hosted', checkoutUrl: 'https://checkout.stripe.com/c/pay/cs_test_1', sessionId: 'cs_test_1', expiresAt: '2026-01-02T00:00:00.000Z' },
  };

  it('takes only an http(s) page from a hosted checkout answer', () => {
    expect(hostedClientOf(tracked.client)).toEqual({ checkoutUrl: 'https://checkout.stripe.com/c/pay/cs_test_1', expiresAt: Date.parse('2026-01-02T00:00:00.000Z') });
    expect(hostedClientOf({ flow: 'hosted', checkoutUrl: 'javascript:alert(1)' })).toBeNull();
    expect(hostedClientOf({ flow: 'hosted', checkoutUrl: 'not a url' })).toBeNull();
    expect(hostedClientOf({ flow: 'embedded', clientSecret: 'pi_1_secret_2' })).toBeNull();
    expect(hostedClientOf({ flow: 'hosted', checkoutUrl: 'http://127.0.0.1:9/c/pay/cs_1' })).toEqual({ checkoutUrl: 'http://127.0.0.1:9/c/pay/cs_1' });
    expect(hostedClientOf(undefined)).toBeNull();
  });

  it('reads the way back from the page: the payment, and whether the person left without paying', () => {
    expect(checkoutReturnOf(new URLSearchParams(`payment=${PAYMENT}`))).toEqual({ paymentId: PAYMENT, cancelled: false });
    expect(checkoutReturnOf(new URLSearchParams(`payment=${PAYMENT.toUpperCase()}&checkout=cancelled`))).toEqual({ paymentId: PAYMENT, cancelled: true });
    expect(checkoutReturnOf(new URLSearchParams('payment=../../admin'))).toBeNull();
    expect(checkoutReturnOf(new URLSearchParams(''))).toBeNull();
  });

  it('waits for the verdict on the tab’s own checkout after paying, and offers its page again after leaving', () => {
    const newKey = () => 'fresh-key-0001';
    expect(checkoutAfterReturn(tracked, { paymentId: PAYMENT, cancelled: false }, undefined, 50, newKey)).toEqual({ ...tracked, phase: 'confirming', since: 50 });
    expect(checkoutAfterReturn(tracked, { paymentId: PAYMENT, cancelled: true }, undefined, 50, newKey)).toEqual({ ...tracked, phase: 'open', since: 50 });
  });

  it('shows a payment this tab did not start when the server lists it, and nothing otherwise', () => {
    const newKey = () => 'fresh-key-0001';
    const other = '9d2b6a55-5a2f-4b0b-8f54-7c1e2a3b4c5d';
    expect(checkoutAfterReturn(null, { paymentId: PAYMENT, cancelled: false }, payment, 50, newKey)).toEqual({
      key: 'fresh-key-0001',
      packId: 'starter',
      provider: 'stripe',
      currency: 'usd',
      credits: 100,
      amountMinor: 499,
      phase: 'confirming',
      since: 50,
      payment,
    });
    expect(checkoutAfterReturn(tracked, { paymentId: other, cancelled: false }, undefined, 50, newKey)).toBeNull();
    expect(checkoutAfterReturn(null, { paymentId: other, cancelled: true }, undefined, 50, newKey)).toBeNull();
  });
});
