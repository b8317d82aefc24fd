import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { http, newUser, waitFor } from '../support/client.js';
import { createBacking, freePort, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { createRedisRevocations } from '../../server/src/modules/auth/revocations.js';

/**
 * Logged-out sessions stay logged out whatever Redis forgets. The node runs
 * on a redis-server of this test's own (no persistence), which the test
 * kills and restarts empty, or flushes: the real faults, without touching
 * the shared Redis other test files use.
 */
let backing: Backing;
let redis: PrivateRedis;
let node: InProcessNode;

beforeAll(async () => {
  backing = await createBacking();
  redis = await startPrivateRedis(freePort());
  node = await startInProcess({ ...backing.env, REDIS_URL: redis.url });
});
afterAll(async () => {
  await node?.stop();
  await redis?.stop();
  await backing?.cleanup();
});

const me = (token: string) => http(node.url, 'GET', '/api/me', { token });

async function loggedOutAndLive(): Promise<{ revoked: string; live: string }> {
  const out = await newUser(node.url);
  const live = await newUser(node.url);
  expect((await http(node.url, 'POST', '/api/auth/logout', { token: out.accessToken })).status).toBe(204);
  expect((await me(out.accessToken)).body.error.code).toBe('SESSION_REVOKED');
  return { revoked: out.accessToken, live: live.accessToken };
}

describe('revocations across Redis data loss', () => {
  it('a logged-out token is still refused after Redis restarts empty', async () => {
    const { revoked, live } = await loggedOutAndLive();
    await redis.restart();
    // Once the node's clients are connected again (readiness pings Redis).
    await waitFor(async () => (await http(node.url, 'GET', '/readyz')).status === 200, 20_000, 'the node to reconnect to Redis');
    const res = await me(revoked);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('SESSION_REVOKED');
    expect((await me(live)).status).toBe(200);
  });

  it('a logged-out token is still refused after Redis loses its keys with no reconnect (FLUSHALL)', async () => {
    const { revoked, live } = await loggedOutAndLive();
    const r = new Redis(redis.url);
    try {
      await r.flushall();
    } finally {
      r.disconnect();
    }
    const res = await me(revoked);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('SESSION_REVOKED');
    expect((await me(live)).status).toBe(200);
    // Sessions revoked after the loss are refused too.
    const later = await loggedOutAndLive();
    expect((await me(later.live)).status).toBe(200);
  });
});

describe('the Redis driver reloading from PostgreSQL', () => {
  it('reads PostgreSQL again when Redis loses the set while a reload is under way', async () => {
    const client = new Redis(redis.url);
    const prefix = 'reload-race:';
    let reads = 0;
    try {
      await client.ping(); // connected before the driver exists: no reload on 'ready', the test drives them all
      await client.del(`${prefix}revoked`);
      const revocations = createRedisRevocations(client, prefix, {
        ttlSeconds: 60,
        onError: () => undefined,
        // PostgreSQL as of each read; during the first read Redis loses everything (as a restart would),
        // including a revocation written meanwhile that the first read did not see.
        revokedSessions: async () => {
          reads++;
          if (reads === 1) {
            await revocations.revoke('written-meanwhile');
            await client.del(`${prefix}revoked`);
            return ['s1'];
          }
          return ['s1', 'written-meanwhile'];
        },
      });
      expect(await revocations.isRevoked('written-meanwhile')).toBe(true);
      expect(await revocations.isRevoked('s1')).toBe(true);
      expect(await revocations.isRevoked('never-revoked')).toBe(false);
      expect(reads).toBe(2);
    } finally {
      client.disconnect();
    }
  });
});
