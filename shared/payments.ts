import { z } from 'zod';
import { text } from './input.js';

export const PROVIDERS = ['stripe', 'razorpay', 'sandbox'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** A credit pack: credits for a price per currency, in minor units (cents, paise). */
export const creditPack = z.strictObject({
  id: text().regex(/^[a-z0-9_-]{1,40}$/),
  credits: z.number().int().positive(),
  prices: z.record(text().regex(/^[a-z]{3}$/), z.number().int().positive()),
});
export type CreditPack = z.infer<typeof creditPack>;

/**
 * How the client takes the payment.
 * - `embedded` (the default): inside the app, with the provider's own client
 *   SDK: a Stripe PaymentIntent `clientSecret` (Stripe.js or Stripe's mobile
 *   SDKs, with your publishable key), a Razorpay order for Razorpay Checkout,
 *   the sandbox's `completeUrl`.
 * - `hosted`: on the provider's hosted payment page. The answer's
 *   `checkoutUrl` is where to send the browser; the page sends it back to
 *   `<web app>/wallet?payment=<id>` (with `&checkout=cancelled` when the
 *   person left without paying). Stripe only (Stripe Checkout).
 */
export const CHECKOUT_FLOWS = ['embedded', 'hosted'] as const;
export type CheckoutFlow = (typeof CHECKOUT_FLOWS)[number];

export const checkoutBody = z.strictObject({
  packId: text().min(1).max(40),
  provider: z.enum(PROVIDERS),
  currency: text().regex(/^[a-z]{3}$/).optional(),
  flow: z.enum(CHECKOUT_FLOWS).optional(),
});

/**
 * Header every checkout and adjustment must carry, so a retry never opens a second payment. 8–128 printable ASCII characters: room for the prefixes composed ledger keys add (an adjustment is `adj:<admin id>:<key>`, within the ledger's 200).
 */
export const idempotencyKeyHeader = text().trim().min(8).max(128).regex(/^[\x21-\x7e]+$/);

export const sandboxActionBody = z.strictObject({
  action: z.enum(['succeed', 'fail', 'refund', 'dispute']),
  /** For partial refunds, in minor units; defaults to the whole amount. */
  amountMinor: z.number().int().positive().optional(),
});

export const adjustmentBody = z.strictObject({
  userId: z.uuid(),
  /** Credits: positive into the wallet, negative out of it. */
  amount: z.number().int().refine((n) => n !== 0, 'must not be 0').refine((n) => Math.abs(n) <= 10_000_000, 'too large'),
  reason: text().trim().min(5).max(500),
});

export interface PaymentView {
  id: string;
  provider: ProviderName;
  providerRef: string | null;
  packId: string;
  credits: number;
  amountMinor: number;
  currency: string;
  status: string;
  createdAt: string;
}

/** What the client needs to take the payment, by provider and flow. */
export type CheckoutClient =
  | { provider: 'stripe'; flow: 'embedded'; clientSecret: string; paymentIntentId: string }
  /** Stripe Checkout: send the browser to `checkoutUrl` (until `expiresAt`, ISO 8601). */
  | { provider: 'stripe'; flow: 'hosted'; checkoutUrl: string; sessionId: string; expiresAt: string }
  | { provider: 'razorpay'; flow: 'embedded'; orderId: string; keyId: string; amount: number; currency: string }
  | { provider: 'sandbox'; flow: 'embedded'; completeUrl: string; actions: string[] };

export interface CheckoutResult {
  payment: PaymentView;
  client: CheckoutClient;
}

/** GET /api/payments/packs: the packs on sale and the providers that take payment here. */
export interface PaymentsCatalogue {
  packs: CreditPack[];
  providers: ProviderName[];
}

/**
 * One transfer touching the caller's wallet (GET /api/wallet/transactions),
 * signed from the wallet's side: `amount` is negative when credits left it.
 * `key` is the ledger's idempotency key, derived from the cause
 * (`msg:<id>:creator`, `call:<id>:min:<n>:hold`, `<provider>:<ref>`).
 */
export interface WalletTransaction {
  id: number;
  kind: string;
  /** `pending`: a hold (credits reserved); `voided`: a hold released, nothing charged. */
  state: 'pending' | 'posted' | 'voided';
  amount: number;
  direction: 'in' | 'out';
  counterparty: string;
  key: string;
  metadata: Record<string, unknown>;
  createdAt: string;
  expiresAt: string | null;
}
