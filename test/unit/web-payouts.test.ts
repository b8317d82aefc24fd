import { describe, expect, it } from 'vitest';
import { canMove, PAYOUT_NEXT, PAYOUT_STATUSES } from '../../shared/payouts.js';
import { money, payoutAmount, requestProblem, STATUS_LABEL } from '../../web/src/lib/payouts-format.js';

const terms = { minCredits: 100, rates: [{ provider: 'stripe' as const, currency: 'usd', minorPerCredit: 3 }, { provider: 'razorpay' as const, currency: 'inr', minorPerCredit: 250 }] };

describe('payout wording and arithmetic', () => {
  it('converts credits at the provider rate, and formats the money', () => {
    expect(payoutAmount(terms, 'stripe', 150)).toEqual({ amountMinor: 450, currency: 'usd' });
    expect(payoutAmount(terms, 'razorpay', 100)).toEqual({ amountMinor: 25_000, currency: 'inr' });
    expect(payoutAmount({ ...terms, rates: [] }, 'stripe', 150)).toBeNull();
    expect(payoutAmount(terms, 'stripe', 0)).toBeNull();
    expect(money(450, 'usd')).toBe('$4.50');
    expect(money(25_000, 'inr')).toBe('₹250.00');
  });

  it('says why a request cannot be made', () => {
    expect(requestProblem(150, 200, 100)).toBeNull();
    expect(requestProblem(50, 200, 100)).toBe('The smallest payout is 100 credits.');
    expect(requestProblem(250, 200, 100)).toBe('Only 200 credits are available.');
    expect(requestProblem(1.5, 200, 100)).toBe('Enter a whole number of credits.');
    expect(requestProblem(100, 40, 100)).toBe('You can ask for a payout once 100 credits are available.');
    expect(requestProblem(100, -80, 100)).toMatch(/below zero/);
  });

  it('labels every status; statuses only move forward, and the ones that return the money are final', () => {
    for (const s of PAYOUT_STATUSES) expect(STATUS_LABEL[s]).toBeTruthy();
    expect(canMove('paid', 'processing')).toBe(false);
    expect(canMove('paid', 'failed')).toBe(false);
    expect(canMove('approved', 'paid')).toBe(true);
    expect(canMove('processing', 'reversed')).toBe(true);
    for (const s of ['failed', 'reversed', 'rejected', 'cancelled'] as const) expect(PAYOUT_NEXT[s]).toEqual([]);
  });
});
