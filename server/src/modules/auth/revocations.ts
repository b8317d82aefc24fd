import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient } from '../../redis.js';

/**
 * Revoked sessions, checked on every authenticated request and handshake.
 * Entries live as long as an access token can, after which the token is
 * dead anyway. PostgreSQL's sessions.revoked_at is the source of truth; this
 * is its fast copy, rebuilt from PostgreSQL whenever it may be incomplete.
 */
export interface SessionRevocations {
  revoke(sessionId: string): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
  /** Reloads every revocation still relevant from PostgreSQL; returns how many. */
  seed(): Promise<number>;
}

export interface RevocationOptions {
  /** An access token's lifetime: how long a revocation matters. */
  ttlSeconds: number;
  /** Sessions revoked within ttlSeconds, from PostgreSQL. */
  revokedSessions: () => Promise<string[]>;
}

export function createMemoryRevocations(o: RevocationOptions): SessionRevocations {
  const until = new Map<string, number>();
  const add = (sessionId: string) => {
    until.set(sessionId, Date.now() + o.ttlSeconds * 1000);
    if (until.size > 50_000) for (const [k, t] of until) if (t < Date.now()) until.delete(k);
  };
  return {
    async revoke(sessionId) {
      add(sessionId);
    },
    async isRevoked(sessionId) {
      const t = until.get(sessionId);
      return t !== undefined && t > Date.now();
    },
    async seed() {
      const ids = await o.revokedSessions();
      for (const id of ids) add(id);
      return ids.length;
    },
  };
}

const SEEDED = '~seeded';
type Scripted = RedisClient & {
  revocationsSeed(key: string, sentinel: string, marker: string, expiresAt: number, ...ids: string[]): Promise<number>;
};

/**
 * Redis driver. Everything lives in ONE sorted set (session id -> expiry),
 * together with a "seeded" marker written when the set was loaded from
 * PostgreSQL. Redis can only lose the set as a whole (restart without
 * persistence, FLUSHALL, eviction of the key), so a set without its marker
 * is one that lost data: the check then reloads it from PostgreSQL before
 * answering. It is also reloaded on every (re)connection.
 *
 *   seed:  ZADD sentinel ─► read PostgreSQL ─► script: sentinel still there?
 *                                               yes: ZADD ids + marker, drop sentinel
 *                                               no (lost meanwhile): read again
 *   check: ZMSCORE id marker ─► marker missing? seed, then ZSCORE id
 */
export function createRedisRevocations(
  redis: RedisClient,
  prefix: string,
  o: RevocationOptions & { onError: (err: unknown) => void },
): SessionRevocations {
  if (typeof (redis as unknown as Partial<Scripted>).revocationsSeed !== 'function') {
    redis.defineCommand('revocationsSeed', {
      numberOfKeys: 1,
      lua: readFileSync(new URL('./lua/revocations-seed-1.lua', import.meta.url), 'utf8'),
    });
  }
  const r = redis as unknown as Scripted;
  const key = `${prefix}revoked`;
  const ttlMs = o.ttlSeconds * 1000;

  const load = async (): Promise<number> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const sentinel = `~seeding:${randomUUID()}`;
      // Expires (is trimmed) by itself if this process dies before finishing.
      await r.zadd(key, Date.now() + 60_000, sentinel);
      const ids = await o.revokedSessions();
      if ((await r.revocationsSeed(key, sentinel, SEEDED, Date.now() + ttlMs, ...ids)) === 1) return ids.length;
    }
    throw new Error('revocations: Redis lost its data during every reload attempt');
  };
  // One reload at a time per process; concurrent checks wait for the same one.
  let loading: Promise<number> | undefined;
  const seed = () => {
    loading ??= load().finally(() => (loading = undefined));
    return loading;
  };
  redis.on('ready', () => void seed().catch(o.onError));

  return {
    seed,
    async revoke(sessionId) {
      const now = Date.now();
      // Expired entries are trimmed as new ones come; the marker's score is +inf.
      await Promise.all([r.zadd(key, now + ttlMs, sessionId), r.zremrangebyscore(key, '-inf', `(${now}`)]);
    },
    async isRevoked(sessionId) {
      let [expiresAt, marker] = await r.zmscore(key, sessionId, SEEDED);
      if (marker === null) {
        await seed();
        expiresAt = await r.zscore(key, sessionId);
      }
      return expiresAt !== null && expiresAt !== undefined && Number(expiresAt) > Date.now();
    },
  };
}
