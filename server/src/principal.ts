import type { Role } from '../../shared/auth.js';

/**
 * Who a request or socket acts for: what HTTP and Socket.IO need of auth,
 * typed here so that `http/` and `realtime/` depend on no feature module.
 */
export interface Principal {
  userId: string;
  sessionId: string;
  role: Role;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** Turns an access token into its principal, or throws UNAUTHENTICATED (the auth module's AuthService is one). */
export interface Authenticator {
  authenticate(token: unknown): Promise<Principal>;
  /** Refuses (TWO_FACTOR_SETUP_REQUIRED, STEP_UP_REQUIRED) a session that has not proved a second factor (within `maxAgeSeconds`). */
  requireSecondFactor(p: Pick<Principal, 'userId' | 'sessionId'>, maxAgeSeconds?: number): Promise<void>;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}
