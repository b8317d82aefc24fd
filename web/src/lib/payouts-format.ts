import type { PayoutProvider, PayoutStatus, PayoutTerms } from '../../../shared/payouts.js';

/** Payout wording and arithmetic for the creator's and the admin's pages (no React, no DOM). */

export const PROVIDER_LABEL: Record<PayoutProvider, string> = { stripe: 'Stripe', razorpay: 'RazorpayX' };

export const STATUS_LABEL: Record<PayoutStatus, string> = {
  requested: 'Requested',
  approved: 'Approved',
  processing: 'On its way',
  paid: 'Paid',
  failed: 'Failed',
  reversed: 'Returned by the bank',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
};

/** A minor-unit amount as the currency shows it: 450 usd → "$4.50", 25000 inr → "₹250.00". */
export function money(amountMinor: number, currency: string, locale = 'en'): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() }).format(amountMinor / 100);
}

/** What `credits` pay through a provider, in its currency's minor units (null when the provider is not offered). */
export function payoutAmount(terms: PayoutTerms, provider: PayoutProvider, credits: number): { amountMinor: number; currency: string } | null {
  const rate = terms.rates.find((r) => r.provider === provider);
  if (!rate || !Number.isSafeInteger(credits) || credits <= 0) return null;
  return { amountMinor: credits * rate.minorPerCredit, currency: rate.currency };
}

/** Why `credits` cannot be asked for, or null when they can. */
export function requestProblem(credits: number, available: number, minCredits: number): string | null {
  if (!Number.isSafeInteger(credits) || credits <= 0) return 'Enter a whole number of credits.';
  if (available < minCredits) return available < 0 ? 'Your available balance is below zero: nothing can be paid out until new earnings cover it.' : `You can ask for a payout once ${minCredits.toLocaleString('en')} credits are available.`;
  if (credits < minCredits) return `The smallest payout is ${minCredits.toLocaleString('en')} credits.`;
  if (credits > available) return `Only ${available.toLocaleString('en')} credits are available.`;
  return null;
}

/** A status the creator may still cancel. */
export const cancellable = (s: PayoutStatus) => s === 'requested';
