import { z } from 'zod';

/**
 * Consent to pay. Every paid action (a message, a call's minutes, and later
 * unlocks, tips, subscriptions) carries the price its client showed the
 * payer; left out, the client showed "free" (0). The server charges only
 * that price: any other current price is refused with PRICE_CHANGED, whose
 * `details` are a `PriceChanged`, and nothing is charged or stored.
 */
export const expectedPrice = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional();

/** `error.details` of PRICE_CHANGED: what the action costs now (show it, then send again with it). */
export interface PriceChanged {
  price: number;
}

/**
 * What one user pays another, as every view shows it (from the viewer's
 * side): credits per message and per call minute. 0 unless a fan looks at a
 * creator, and always 0 for messages in a random-match session.
 */
export interface Prices {
  messagePrice: number;
  callPricePerMinute: number;
}
