import { z } from 'zod';
import { INT4_MAX, text } from './input.js';

/**
 * Payouts (issue #13): a verified creator turns available earnings into money, through Stripe Connect
 * Express or RazorpayX. A request moves the credits out of the creator's earnings at once (so two
 * requests can never spend the same credits); an admin approves it, a job sends it, the provider's
 * webhook says how it ended. A payout that does not reach the creator gives the credits back.
 */
export const PAYOUT_PROVIDERS = ['stripe', 'razorpay'] as const;
export type PayoutProvider = (typeof PAYOUT_PROVIDERS)[number];

export const PAYOUT_STATUSES = ['requested', 'approved', 'processing', 'paid', 'failed', 'reversed', 'rejected', 'cancelled'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];
/** The credits are back in the creator's earnings. */
export const PAYOUT_RETURNED: readonly PayoutStatus[] = ['failed', 'reversed', 'rejected', 'cancelled'];

/**
 * Which status may follow which. Anything else is ignored when a provider says it (a late `processing`
 * after `paid`) and refused when a person asks for it. `approved -> paid | failed`: the provider's
 * webhook may arrive before the job has recorded `processing`. `paid -> reversed`: the bank sent it back.
 * `approved -> rejected`: a ban recalls an approved payout not sent yet (only the ban does; an admin's
 * reject takes requested ones).
 */
export const PAYOUT_NEXT: Record<PayoutStatus, readonly PayoutStatus[]> = {
  requested: ['approved', 'rejected', 'cancelled'],
  approved: ['processing', 'paid', 'failed', 'rejected'],
  processing: ['paid', 'failed', 'reversed'],
  paid: ['reversed'],
  failed: [],
  reversed: [],
  rejected: [],
  cancelled: [],
};

export function canMove(from: PayoutStatus, to: PayoutStatus): boolean {
  return PAYOUT_NEXT[from].includes(to);
}

export const PAYOUT_SCHEDULES = ['weekly', 'monthly'] as const;
export type PayoutSchedule = (typeof PAYOUT_SCHEDULES)[number];

export type PayoutMethodStatus = 'onboarding' | 'ready' | 'restricted';

export interface PayoutMethodView {
  provider: PayoutProvider;
  status: PayoutMethodStatus;
  /** What identifies it to its owner: `{ bank: '…1234' }`, `{ vpa: 'name@bank' }`, `{ account: 'acct_…' }`. */
  details: Record<string, string>;
  updatedAt: string;
}

export interface PayoutView {
  id: string;
  provider: PayoutProvider;
  credits: number;
  /** What the creator receives, in the currency's minor unit (credits x the provider's rate). */
  amountMinor: number;
  currency: string;
  status: PayoutStatus;
  reason: string | null;
  automatic: boolean;
  requestedAt: string;
  updatedAt: string;
}

export interface AdminPayoutView extends PayoutView {
  creator: { id: string; displayName: string | null };
  providerRef: string | null;
}

/** The rates and limits a creator sees before asking (GET /api/payouts). */
export interface PayoutTerms {
  minCredits: number;
  /** Per provider offered by this deployment: the currency and how many minor units one credit is. */
  rates: { provider: PayoutProvider; currency: string; minorPerCredit: number }[];
}

/**
 * POST /api/payouts. `id` is the client's: a retry answers the stored payout. `expectedAmountMinor` is
 * the money the creator was shown for these credits (credits x the rate); another current amount (the
 * rate changed) is PRICE_CHANGED with `details.price`, the amount now.
 */
export const requestPayoutBody = z.strictObject({
  id: z.uuid(),
  provider: z.enum(PAYOUT_PROVIDERS),
  credits: z.number().int().min(1).max(INT4_MAX),
  expectedAmountMinor: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});
export type RequestPayoutBody = z.output<typeof requestPayoutBody>;

/** POST /api/payouts/methods/razorpay: a bank account (IFSC + number) or a UPI address. */
export const razorpayMethodBody = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('bank_account'),
    name: text().trim().min(3).max(120),
    ifsc: text().trim().toUpperCase().regex(/^[A-Z]{4}0[A-Z0-9]{6}$/, 'an IFSC is 11 characters, like HDFC0000053'),
    accountNumber: text().trim().regex(/^\d{5,35}$/, 'digits only, 5 to 35 of them'),
  }),
  z.strictObject({
    type: z.literal('vpa'),
    name: text().trim().min(3).max(120),
    vpa: text().trim().toLowerCase().regex(/^[a-z0-9._-]{2,256}@[a-z][a-z0-9.-]{1,64}$/, 'a UPI address looks like name@bank'),
  }),
]);
export type RazorpayMethodBody = z.output<typeof razorpayMethodBody>;

/** PUT /api/payouts/schedule: automatic payouts of everything available above the minimum; `every: null` turns them off. */
export const payoutScheduleBody = z.strictObject({
  every: z.enum(PAYOUT_SCHEDULES).nullable(),
  provider: z.enum(PAYOUT_PROVIDERS).default('stripe'),
});

export const payoutListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** The last payout's id of the previous page. */
  cursor: z.uuid().optional(),
});

/** GET /api/admin/payouts. */
export const adminPayoutQueueQuery = z.strictObject({
  status: z.enum(PAYOUT_STATUSES).default('requested'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.uuid().optional(),
});

/** POST /api/admin/payouts/:id/reject: shown to the creator. */
export const rejectPayoutBody = z.strictObject({ reason: text().trim().min(3).max(500) });

/** POST /api/admin/payouts/approve: several at once (each on its own; one that cannot be approved does not stop the others). */
export const batchApprovePayoutsBody = z.strictObject({ ids: z.array(z.uuid()).min(1).max(100) });

export interface BatchApproveResult {
  approved: string[];
  refused: { id: string; code: string }[];
}

/** The transfer kinds payouts write in the ledger; earnings reads them as money paid out, not as earnings. */
export const PAYOUT_KINDS: readonly string[] = ['payout', 'payout_return'];
