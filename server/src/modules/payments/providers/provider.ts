import type { CheckoutClient, CheckoutFlow, ProviderName } from '../../../../../shared/payments.js';
import type { Breaker } from '../../../breaker.js';

/** A verified webhook event, as stored in payment_events. */
export interface ProviderEvent {
  id: string;
  type: string;
  payload: unknown;
}

/**
 * Where an event points: `ref`, the provider object it is about (a checkout
 * object or a payment object); `paymentId`, Pairly's payment id when the
 * provider carried it back (metadata, notes); `paymentRef`, the provider's
 * payment object when the event names it (a Stripe PaymentIntent), recorded
 * so that later events naming only that object find the payment.
 */
interface SignalTarget {
  ref: string;
  paymentId?: string;
  paymentRef?: string;
}

/** What an event means for a payment, whatever the provider. Refund totals are cumulative. */
export type PaymentSignal =
  | (SignalTarget & { kind: 'captured'; amountMinor: number; currency: string })
  | (SignalTarget & { kind: 'failed'; reason?: string })
  | (SignalTarget & { kind: 'refunded'; refundedTotalMinor: number })
  | (SignalTarget & { kind: 'disputed' })
  /** Changes nothing but ties `paymentRef` to the payment (a step on the way, not a verdict). */
  | (SignalTarget & { kind: 'linked'; paymentRef: string })
  | { kind: 'ignored' };

/** A provider's own record of a checkout, for reconciliation. */
export interface ProviderRecord {
  ref: string;
  paymentId?: string;
  status: 'succeeded' | 'pending' | 'failed';
  amountMinor: number;
  currency: string;
  refundedMinor?: number;
}

export interface CheckoutRequest {
  paymentId: string;
  userId: string;
  packId: string;
  credits: number;
  amountMinor: number;
  currency: string;
  /** One the provider lists in `flows`. */
  flow: CheckoutFlow;
  /** Where a hosted page sends the browser back to: after paying, and after leaving without paying. */
  returnUrls: { success: string; cancel: string };
}

/**
 * One payment provider, through its official SDK. Drivers: stripe, razorpay
 * and the local sandbox (embedded mode).
 */
export interface PaymentProvider {
  readonly name: ProviderName;
  /** In front of the provider's API (not the sandbox, which is local): open, its calls fail at once with PROVIDER_UNAVAILABLE. */
  readonly breaker?: Breaker;
  /** The checkout flows it offers; the first is the default. */
  readonly flows: readonly CheckoutFlow[];
  /** Opens the provider's checkout object; idempotent on paymentId. */
  createCheckout(req: CheckoutRequest): Promise<{ ref: string; client: CheckoutClient }>;
  /** Verifies the signature over the raw body; throws INVALID_SIGNATURE. */
  verifyWebhook(raw: Buffer, headers: Record<string, string | string[] | undefined>): ProviderEvent;
  interpret(event: ProviderEvent): PaymentSignal;
  /** The provider's records of checkouts created since `since`. */
  listSince(since: Date): Promise<ProviderRecord[]>;
}

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
