import { z } from 'zod';
import { isoTimestamp, text } from './input.js';

/** Why a sign-in scored what it did (server/src/modules/risk/risk.rules.ts holds the weights). */
export const LOGIN_RISK_REASONS = ['new_device', 'new_country', 'impossible_travel', 'recent_failures'] as const;
export type LoginRiskReason = (typeof LOGIN_RISK_REASONS)[number];

/** Why a checkout scored what it did. */
export const PAYMENT_RISK_REASONS = ['velocity_hour', 'velocity_day', 'new_account_large_pack', 'refund_history', 'chargeback_history', 'many_payment_methods'] as const;
export type PaymentRiskReason = (typeof PAYMENT_RISK_REASONS)[number];

/** What a sign-in led to: a session at once, a second factor, a mailed confirmation, a hold; or a wrong password. */
export const LOGIN_RISK_OUTCOMES = ['allowed', 'two_factor', 'email_confirmation', 'held', 'failed'] as const;
export type LoginRiskOutcome = (typeof LOGIN_RISK_OUTCOMES)[number];

/** A checkout's fate: credited as usual, held for review (then approved or rejected by an admin), or refused outright. */
export const PAYMENT_RISK_DECISIONS = ['allowed', 'held', 'refused', 'approved', 'rejected'] as const;
export type PaymentRiskDecision = (typeof PAYMENT_RISK_DECISIONS)[number];

/** GET /api/admin/risk/logins: sign-ins with a score above zero, newest first. */
export const riskLoginsQuery = z.strictObject({
  outcome: z.enum(LOGIN_RISK_OUTCOMES).optional(),
  userId: z.uuid().optional(),
  before: isoTimestamp().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** GET /api/admin/risk/payments: assessed checkouts with a score above zero (held ones by default), newest first. */
export const riskPaymentsQuery = z.strictObject({
  decision: z.enum(PAYMENT_RISK_DECISIONS).default('held'),
  before: isoTimestamp().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** POST /api/admin/risk/payments/:paymentId/reject. */
/** POST /api/admin/risk/logins/:id/release: why (kept in the audit log). */
export const releaseHeldLoginBody = z.strictObject({ note: text().trim().min(3).max(500) });

export const rejectHeldPaymentBody = z.strictObject({ reason: text().trim().min(3).max(500) });

export interface RiskLoginView {
  id: string;
  userId: string;
  displayName: string | null;
  at: string;
  ip: string | null;
  device: string;
  country: string | null;
  score: number;
  reasons: LoginRiskReason[];
  outcome: LoginRiskOutcome;
  passedAt: string | null;
  /** A held sign-in an admin released: the same sign-in again (same device and address) goes through once. */
  releasedAt: string | null;
}

export interface RiskPaymentView {
  id: string;
  paymentId: string | null;
  userId: string;
  displayName: string | null;
  at: string;
  provider: string;
  packId: string;
  credits: number;
  amountMinor: number;
  currency: string;
  score: number;
  reasons: PaymentRiskReason[];
  decision: PaymentRiskDecision;
  decidedBy: string | null;
  decidedAt: string | null;
  note: string | null;
}
