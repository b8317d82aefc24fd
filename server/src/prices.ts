import type { PriceChanged, Prices } from '../../shared/prices.js';
import { AppError } from './errors.js';

/**
 * The one rule of who pays whom, used by every paid action and every view
 * that shows a price: a fan pays a creator's listed price; creators and
 * admins never pay, and nobody pays to reach a fan.
 */
export function priceFor(payerRole: string, payeeRole: string, listed: number): number {
  return payerRole === 'fan' && payeeRole === 'creator' ? listed : 0;
}

/** What `viewerRole` would pay `user` per message and per call minute: the prices a view shows. */
export function pricesFor(viewerRole: string, user: { role: string; message_price: number; call_price_per_minute: number }): Prices {
  return {
    messagePrice: priceFor(viewerRole, user.role, user.message_price),
    callPricePerMinute: priceFor(viewerRole, user.role, user.call_price_per_minute),
  };
}

/**
 * Consent: a paid action goes ahead only at the price its client showed
 * (`expectedPrice`, absent = 0). Call it where the price is decided, in the
 * transaction that charges (or stores the price that will be charged), so no
 * change can slip in between the check and the charge.
 */
export function assertPriceShown(expected: number | undefined, price: number): void {
  if ((expected ?? 0) === price) return;
  const details: PriceChanged = { price };
  throw new AppError('PRICE_CHANGED', price === 0 ? 'this is free now: send it again without a price' : `the price is now ${price} credits`, { details });
}
