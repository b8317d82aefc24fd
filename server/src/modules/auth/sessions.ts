import type { StandingChange } from '../../../../shared/reports.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { AuthStore } from './auth.store.js';
import type { SessionRevocations } from './revocations.js';

export type RevokeReason = 'logout' | 'token_reused' | 'admin' | 'password_reset' | 'password_changed' | 'logout_others' | 'account_deleted';

/**
 * Ending a session, the one path every logout takes: the row, the
 * revocation cache every node checks tokens against, and the session's
 * sockets on every node.
 */
export class SessionEnder {
  constructor(private readonly d: { store: AuthStore; revocations: SessionRevocations; realtime: Realtime }) {}

  /** `standing`: the suspension or ban that ends it, told to its sockets with the close. */
  async end(sessionId: string, reason: RevokeReason, standing?: StandingChange): Promise<void> {
    await this.d.store.revokeSession(sessionId, reason);
    // Cache and sockets are updated even if the row was already revoked: they may have been missed.
    await this.d.revocations.revoke(sessionId);
    // Sockets hear only the kinds the client acts on; every account change is a logout to them.
    this.d.realtime.endSession(sessionId, reason === 'token_reused' || reason === 'admin' ? reason : 'logout', standing);
  }

  /** Ends every live session of a user, but `keep` (the caller's own, when it stays logged in); returns how many. */
  async endAllOf(userId: string, reason: RevokeReason, o: { keep?: string; standing?: StandingChange } = {}): Promise<number> {
    const ids = (await this.d.store.unrevokedSessionsOf(userId)).filter((id) => id !== o.keep);
    for (const id of ids) await this.end(id, reason, o.standing);
    return ids.length;
  }
}
