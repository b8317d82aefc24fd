import type { Redis } from 'ioredis';

/**
 * Revoked sessions, checked on every authenticated request and handshake.
 * Entries live as long as an access token can, after which the token is
 * dead anyway. PostgreSQL's sessions.revoked_at is the source of truth; this
 * is its fast copy (re-seeded at start-up).
 */
export interface SessionRevocations {
  revoke(sessionId: string, ttlSeconds: number): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
}

export function createMemoryRevocations(): SessionRevocations {
  const until = new Map<string, number>();
  return {
    async revoke(sessionId, ttlSeconds) {
      until.set(sessionId, Date.now() + ttlSeconds * 1000);
      if (until.size > 50_000) for (const [k, t] of until) if (t < Date.now()) until.delete(k);
    },
    async isRevoked(sessionId) {
      const t = until.get(sessionId);
      return t !== undefined && t > Date.now();
    },
  };
}

export function createRedisRevocations(redis: Redis, prefix: string): SessionRevocations {
  const key = (sessionId: string) => `${prefix}revoked:${sessionId}`;
  return {
    async revoke(sessionId, ttlSeconds) {
      await redis.set(key(sessionId), '1', 'EX', ttlSeconds);
    },
    async isRevoked(sessionId) {
      return (await redis.exists(key(sessionId))) === 1;
    },
  };
}
