import type { ProviderName } from '../../../../../shared/payments.js';
import type { Breaker } from '../../../breaker.js';

/** A verified webhook event, as stored in payment_events. */
export interface ProviderEvent {
  id: string;
  type: string;
  payload: unknown;
}

/** What an event means for a payment, whatever the provider. Refund totals are cumulative. */
export type PaymentSignal =
  | { kind: 'captured'; ref: string; paymentId?: string; amountMinor: number; currency: string }
  | { kind: 'failed'; ref: string; paymentId?: string; reason?: string }
  | { kind: 'refunded'; ref: string; paymentId?: string; refundedTotalMinor: number }
  | { kind: 'disputed'; ref: string; paymentId?: string }
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
}

/**
 * One payment provider, through its official SDK. Drivers: stripe, razorpay
 * and the local sandbox (embedded mode).
 */
export interface PaymentProvider {
  readonly name: ProviderName;
  /** In front of the provider's API (not the sandbox, which is local): open, its calls fail at once with PROVIDER_UNAVAILABLE. */
  readonly breaker?: Breaker;
  /** Opens the provider's checkout object; idempotent on paymentId. */
  createCheckout(req: CheckoutRequest): Promise<{ ref: string; client: Record<string, unknown> }>;
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
