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

  async end(sessionId: string, reason: RevokeReason): Promise<void> {
    await this.d.store.revokeSession(sessionId, reason);
    // Cache and sockets are updated even if the row was already revoked: they may have been missed.
    await this.d.revocations.revoke(sessionId);
    // Sockets hear only the kinds the client acts on; every account change is a logout to them.
    this.d.realtime.endSession(sessionId, reason === 'token_reused' || reason === 'admin' ? reason : 'logout');
  }

  /** Ends every live session of a user, but `keep` (the caller's own, when it stays logged in); returns how many. */
  async endAllOf(userId: string, reason: RevokeReason, keep?: string): Promise<number> {
    const ids = (await this.d.store.unrevokedSessionsOf(userId)).filter((id) => id !== keep);
    for (const id of ids) await this.end(id, reason);
    return ids.length;
  }
}
