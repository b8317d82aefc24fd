import type { PayoutMethodStatus, PayoutProvider } from '../../../../../shared/payouts.js';
import type { Breaker } from '../../../breaker.js';

/** A verified provider webhook delivery. `id` is what a replay of it is recognised by. */
export interface PayoutEvent {
  id: string;
  type: string;
  payload: unknown;
}

/** What a delivery means: a payout method's state, a payout's, or nothing Pairly tracks. */
export type PayoutSignal =
  | { kind: 'account'; accountRef: string; status: PayoutMethodStatus }
  | { kind: 'payout'; payoutId?: string; ref?: string; status: 'processing' | 'paid' | 'failed' | 'reversed'; reason?: string }
  | { kind: 'ignored' };

/** How a send ended as far as the provider said at once; the webhook says the rest. */
export interface SendResult {
  ref: string;
  status: 'processing' | 'paid' | 'failed';
  reason?: string;
}

export interface SendRequest {
  payoutId: string;
  /** The method's account (a Stripe connected account, a RazorpayX fund account). */
  accountRef: string;
  amountMinor: number;
  currency: string;
  /** RazorpayX: a VPA goes by UPI, a bank account by IMPS. */
  details: Record<string, string>;
}

/**
 * A payout provider, through its API. Every call that moves money carries an idempotency key derived
 * from the payout's id: sending the same payout again (a retried job, a second worker) answers the
 * first result instead of paying twice.
 */
export interface PayoutDriver {
  readonly name: PayoutProvider;
  readonly currency: string;
  readonly minorPerCredit: number;
  readonly breaker?: Breaker;
  send(req: SendRequest): Promise<SendResult>;
  /**
   * After a payout failed at the provider but its money reached an account of the creator's there
   * (Stripe: the transfer to the connected account), takes that money back to the platform, once.
   */
  reclaim?(payoutId: string): Promise<void>;
  verifyWebhook(raw: Buffer, headers: Record<string, string | string[] | undefined>): PayoutEvent;
  interpret(event: PayoutEvent): PayoutSignal;
}

/** A refusal the provider answered (bad account, insufficient balance): sending again will not help. */
export class PayoutRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}
