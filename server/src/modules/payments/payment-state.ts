import type { PaymentSignal } from './providers/provider.js';

export interface PaymentState {
  status: string;
  credited: boolean;
  refundedMinor: number;
  disputed: boolean;
  reversedCredits: number;
  credits: number;
  amountMinor: number;
  currency: string;
  error: string | null;
  /** Risk scoring's hold (modules/risk): no credits while 'held', none ever when 'rejected'; absent is 'none'. */
  hold?: 'none' | 'held' | 'approved' | 'rejected';
  /** Captured while held or rejected: the credits an approval grants. */
  capturedWhileHeld?: boolean;
}

export interface Transition {
  next: PaymentState;
  /** Credit the purchase now (first capture). */
  credit: boolean;
  /** Reverse this many more credits (refunds and chargebacks), reaching `next.reversedCredits`. */
  reverse: number;
}

/**
 * What one provider signal does to a payment. Pure and order-insensitive:
 * captures, refunds and disputes may arrive in any order and any number of
 * times, and the payment ends in the same state with the same ledger
 * movements. A refund seen before the capture is remembered and applied
 * when the capture arrives. Partial refunds reverse credits in proportion,
 * rounded down (the fan keeps the fraction). A provider that reports one
 * payment twice (a Stripe Checkout Session completed, and its PaymentIntent
 * succeeded) captures it twice: credited once all the same. A payment held
 * by risk scoring is captured without credits; its approval replays the
 * capture (credits and any refund seen meanwhile, applied once).
 */
export function transition(p: PaymentState, s: PaymentSignal): Transition {
  const n: PaymentState = { ...p };
  let credit = false;
  switch (s.kind) {
    case 'captured':
      if (s.amountMinor !== p.amountMinor || s.currency.toLowerCase() !== p.currency) {
        n.status = 'error';
        n.error = `amount mismatch: provider captured ${s.amountMinor} ${s.currency}, expected ${p.amountMinor} ${p.currency}`;
        return { next: n, credit: false, reverse: 0 };
      }
      if (p.hold === 'held' || p.hold === 'rejected') {
        // The money is in; the credits wait for an admin (approve: the same capture again, see PaymentsService.decideHold).
        n.capturedWhileHeld = true;
        n.status = p.hold;
        return { next: n, credit: false, reverse: 0 };
      }
      credit = !p.credited;
      n.credited = true;
      break;
    case 'failed':
      if (!p.credited && p.status !== 'error') n.status = 'failed';
      return { next: n, credit: false, reverse: 0 };
    case 'refunded':
      n.refundedMinor = Math.max(p.refundedMinor, Math.min(s.refundedTotalMinor, p.amountMinor));
      break;
    case 'disputed':
      n.disputed = true;
      break;
    case 'linked':
    case 'ignored':
      return { next: n, credit: false, reverse: 0 };
  }
  let reverse = 0;
  if (n.credited) {
    const target = n.disputed ? n.credits : Math.floor((n.credits * n.refundedMinor) / n.amountMinor);
    reverse = Math.max(0, target - p.reversedCredits);
    n.reversedCredits = Math.max(p.reversedCredits, target);
    n.status = n.disputed
      ? 'disputed'
      : n.refundedMinor >= n.amountMinor
        ? 'refunded'
        : n.refundedMinor > 0
          ? 'partially_refunded'
          : 'succeeded';
  }
  return { next: n, credit, reverse };
}
