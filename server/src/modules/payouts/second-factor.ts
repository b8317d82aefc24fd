import type { Principal } from '../../principal.js';

/** The actions that move a creator's money out of Pairly. */
export type SecondFactorAction = 'payout.request' | 'payout.method' | 'payout.schedule';

/**
 * THE place trust & safety plugs a second factor into payouts: every path that requests a payout, adds or
 * changes where payouts go, or turns on automatic payouts calls this first, with the signed-in person and
 * what they are about to do. Today it passes (Pairly has no second factor yet). When one exists, this
 * function checks it (a recent TOTP or passkey assertion on the session, say) and throws an AppError
 * (a new code such as SECOND_FACTOR_REQUIRED) when it is missing; no caller needs to change.
 */
export async function requireSecondFactor(_user: Pick<Principal, 'userId' | 'sessionId' | 'role'>, _action: SecondFactorAction): Promise<void> {
  return;
}
