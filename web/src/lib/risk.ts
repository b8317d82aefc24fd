import type { LoginRiskOutcome, LoginRiskReason, PaymentRiskDecision, PaymentRiskReason } from '../../../shared/risk.js';
import type { SuspensionDetails } from '../../../shared/reports.js';
import { ApiError } from './api.js';

/**
 * What a failed login asks of the login page: the second factor (with its
 * challenge), the mailed confirmation of a risky sign-in, the notice of one
 * held, the suspension notice, or just an error line.
 */
export type LoginStop =
  | { kind: 'two_factor'; challenge: string }
  | { kind: 'check_email' }
  | { kind: 'held' }
  | { kind: 'suspended'; details: SuspensionDetails }
  | { kind: 'error' };

export function loginStop(err: unknown): LoginStop {
  if (!(err instanceof ApiError)) return { kind: 'error' };
  const details = err.details as Record<string, unknown> | undefined;
  switch (err.code) {
    case 'TWO_FACTOR_REQUIRED':
      return typeof details?.challenge === 'string' ? { kind: 'two_factor', challenge: details.challenge } : { kind: 'error' };
    case 'LOGIN_CONFIRMATION_REQUIRED':
      return { kind: 'check_email' };
    case 'LOGIN_HELD':
      return { kind: 'held' };
    case 'ACCOUNT_SUSPENDED':
      return typeof details?.appealToken === 'string' ? { kind: 'suspended', details: details as unknown as SuspensionDetails } : { kind: 'error' };
    default:
      return { kind: 'error' };
  }
}

const REASON_TEXT: Record<LoginRiskReason | PaymentRiskReason, string> = {
  new_device: 'new device',
  new_country: 'new country',
  impossible_travel: 'impossible travel',
  recent_failures: 'recent wrong passwords',
  velocity_hour: 'many checkouts this hour',
  velocity_day: 'many checkouts today',
  new_account_large_pack: 'new account, large pack',
  refund_history: 'refunds before',
  chargeback_history: 'chargebacks before',
  many_payment_methods: 'many payment providers',
};

/** The reasons of a score in words, for the admin's Risk tab ("new country, impossible travel"). */
export function reasonsText(reasons: readonly string[]): string {
  return reasons.length ? reasons.map((r) => REASON_TEXT[r as LoginRiskReason] ?? r.replace(/_/g, ' ')).join(', ') : 'no reason';
}

export const OUTCOME_TEXT: Record<LoginRiskOutcome, string> = {
  allowed: 'Allowed',
  two_factor: 'Second factor asked',
  email_confirmation: 'Email confirmation asked',
  held: 'Held',
  failed: 'Wrong password',
};

export const DECISION_TEXT: Record<PaymentRiskDecision, string> = {
  held: 'Held for review',
  allowed: 'Allowed (scored)',
  refused: 'Refused',
  approved: 'Approved',
  rejected: 'Rejected',
};
