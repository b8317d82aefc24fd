import type { Queryable } from '../../db/database.js';

export interface RefreshTokenState {
  session_id: string;
  used: boolean;
  expired: boolean;
  revoked: boolean;
}

export interface SessionRow {
  id: string;
  created_at: Date;
  last_used_at: Date;
  user_agent: string | null;
  ip: string | null;
}

/** Sessions and their refresh-token rotation families. */
export class AuthStore {
  constructor(private readonly db: Queryable) {}

  async createSession(s: {
    userId: string;
    refreshHash: string;
    refreshTtlDays: number;
    ip: string | null;
    userAgent: string | null;
  }): Promise<string> {
    const { rows } = await this.db.query<{ session_id: string }>(
      `WITH s AS (
         INSERT INTO sessions (user_id, ip, user_agent) VALUES ($1, $2, $3) RETURNING id
       )
       INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
       SELECT $4, id, now() + make_interval(days => $5) FROM s
       RETURNING session_id`,
      [s.userId, s.ip, s.userAgent, s.refreshHash, s.refreshTtlDays],
    );
    return rows[0]!.session_id;
  }

  /**
   * Marks the presented token used and issues its successor, in one
   * statement. Concurrent presentations of one token: the row lock makes the
   * second see used_at set, so at most one succeeds. Returns undefined when
   * the token is unknown, used, expired or its session revoked.
   */
  async rotateRefreshToken(
    oldHash: string,
    newHash: string,
    ttlDays: number,
  ): Promise<{ session_id: string; user_id: string } | undefined> {
    const { rows } = await this.db.query<{ session_id: string; user_id: string }>(
      `WITH used AS (
         UPDATE refresh_tokens SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING session_id
       ), live AS (
         UPDATE sessions SET last_used_at = now()
         FROM used WHERE sessions.id = used.session_id AND sessions.revoked_at IS NULL
         RETURNING sessions.id, sessions.user_id
       ), fresh AS (
         INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
         SELECT $2, id, now() + make_interval(days => $3) FROM live
       )
       SELECT id AS session_id, user_id FROM live`,
      [oldHash, newHash, ttlDays],
    );
    return rows[0];
  }

  async inspectRefreshToken(hash: string): Promise<RefreshTokenState | undefined> {
    const { rows } = await this.db.query<RefreshTokenState>(
      `SELECT r.session_id, r.used_at IS NOT NULL AS used, r.expires_at <= now() AS expired,
              s.revoked_at IS NOT NULL AS revoked
       FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
       WHERE r.token_hash = $1`,
      [hash],
    );
    return rows[0];
  }

  /** Returns the session's user when this call revoked it; undefined when it was already revoked or unknown. */
  async revokeSession(sessionId: string, reason: string): Promise<{ user_id: string } | undefined> {
    const { rows } = await this.db.query<{ user_id: string }>(
      `UPDATE sessions SET revoked_at = now(), revoke_reason = $2
       WHERE id = $1 AND revoked_at IS NULL RETURNING user_id`,
      [sessionId, reason],
    );
    return rows[0];
  }

  /**
   * A user's live sessions, most recently used first: not revoked, and still
   * holding an unspent, unexpired refresh token (a session whose tokens all
   * lapsed can never be used again, so it is not shown as logged in).
   */
  async liveSessionsOf(userId: string, limit: number): Promise<SessionRow[]> {
    const { rows } = await this.db.query<SessionRow>(
      `SELECT s.id, s.created_at, s.last_used_at, s.user_agent, s.ip
       FROM sessions s
       WHERE s.user_id = $1 AND s.revoked_at IS NULL
         AND EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.session_id = s.id AND r.used_at IS NULL AND r.expires_at > now())
       ORDER BY s.last_used_at DESC, s.created_at DESC
       LIMIT $2`,
      [userId, limit],
    );
    return rows;
  }

  /** Every session of the user not revoked yet, lapsed ones included (revoking those too costs nothing and leaves no doubt). */
  async unrevokedSessionsOf(userId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, [userId]);
    return rows.map((r) => r.id);
  }

  /** Where and with what the user logged in before `sessionId` (the newest 500), for the new-device notice. */
  async earlierLogins(userId: string, sessionId: string): Promise<{ ip: string | null; user_agent: string | null }[]> {
    const { rows } = await this.db.query<{ ip: string | null; user_agent: string | null }>(
      `SELECT ip, user_agent FROM sessions WHERE user_id = $1 AND id <> $2 ORDER BY created_at DESC LIMIT 500`,
      [userId, sessionId],
    );
    return rows;
  }

  async sessionOwner(sessionId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ user_id: string }>(`SELECT user_id FROM sessions WHERE id = $1`, [sessionId]);
    return rows[0]?.user_id;
  }

  async sessionsRevokedSince(seconds: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM sessions WHERE revoked_at > now() - make_interval(secs => $1)`,
      [seconds],
    );
    return rows.map((r) => r.id);
  }
}
