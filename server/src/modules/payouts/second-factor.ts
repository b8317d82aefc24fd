import type { Principal } from '../../principal.js';

/** The actions that move a creator's money out of Pairly. */
export type SecondFactorAction = 'payout.request' | 'payout.method' | 'payout.schedule';

/**
 * The second factor payouts ask for: every path that requests a payout, adds or changes where payouts go,
 * or turns on automatic payouts calls this first, with the signed-in person and what they are about to do.
 * Bound to auth's check (Authenticator.requireSecondFactor) with PAYOUT_STEP_UP_SECONDS: two-factor
 * sign-in must be on (TWO_FACTOR_SETUP_REQUIRED) and this session must have proved it lately
 * (STEP_UP_REQUIRED: POST /api/auth/2fa/verify with a code, then again).
 */
export type RequireSecondFactor = (user: Pick<Principal, 'userId' | 'sessionId' | 'role'>, action: SecondFactorAction) => Promise<void>;
