import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createMemorySocketQuota, createRedisSocketQuota, type SocketQuota } from '../../server/src/realtime/socket-quota.js';
import { io as ioClient } from 'socket.io-client';
import { connect, newUser, nextEvent, waitFor } from '../support/client.js';
import { newAdmin } from '../support/ledger.js';
import { startInProcess, tempDir } from '../support/pairly.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../support/services.js';

/** The sockets-per-user quota: one suite for the memory (embedded) and Redis (cluster) drivers. */
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const drivers: [string, (o: { max: number; ttlMs: number }) => SocketQuota][] = [
  ['memory', (o) => createMemorySocketQuota(o)],
  [
    'redis',
    (o) => {
      const redis = new Redis(TEST_REDIS_URL);
      const prefix = createRedisPrefix();
      cleanups.push(() => prefix.cleanup(), () => void redis.disconnect());
      return createRedisSocketQuota(redis, prefix.prefix, o);
    },
  ],
];

describe.each(drivers)('socket quota driver: %s', (_name, create) => {
  it('gives at most max places per user, again to a socket that has one, and frees a place on release', async () => {
    const q = create({ max: 2, ttlMs: 60_000 });
    expect(await q.acquire('u1', 's1')).toBe(true);
    expect(await q.acquire('u1', 's2')).toBe(true);
    expect(await q.acquire('u1', 's3')).toBe(false);
    expect(await q.acquire('u1', 's2')).toBe(true);
    expect(await q.acquire('u2', 's4')).toBe(true);
    await q.release('u1', 's1');
    expect(await q.acquire('u1', 's3')).toBe(true);
    expect(await q.acquire('u1', 's5')).toBe(false);
  });

  it('places that are not refreshed lapse; refreshed ones do not come back once released', async () => {
    const q = create({ max: 1, ttlMs: 300 });
    expect(await q.acquire('u1', 'gone')).toBe(true);
    expect(await q.acquire('u1', 'next')).toBe(false);
    // Nobody refreshes "gone" (its node died): the place lapses.
    await waitFor(() => q.acquire('u1', 'next'), 10_000, 'the place to lapse');
    await q.release('u1', 'next');
    // A refresh after the release does not bring the place back.
    await q.refresh([{ userId: 'u1', socketId: 'next' }]);
    expect(await q.acquire('u1', 'other')).toBe(true);
  });
});

describe('embedded node', () => {
  it('refuses one socket more than SOCKETS_PER_USER_MAX with TOO_MANY_SOCKETS', async () => {
    const dir = tempDir('socket-quota');
    cleanups.push(() => dir.remove());
    const node = await startInProcess({ PAIRLY_DATA_DIR: dir.path, ARGON2_MEMORY_KIB: '1024', SOCKETS_PER_USER_MAX: '1' });
    try {
      const u = await newUser(node.url);
      const first = await connect(node.url, u.accessToken);
      await expect(connect(node.url, u.accessToken)).rejects.toMatchObject({ data: { code: 'TOO_MANY_SOCKETS' } });
      first.close();
      const second = await waitFor(() => connect(node.url, u.accessToken).catch(() => undefined), 10_000, 'the place to free up');
      second.close();

      // /admin sockets are capped too, counted apart from the main namespace (an admin's /admin socket
      // usually shares one connection with their main socket).
      const admin = await newAdmin(node.pairly, node.url);
      const main = await connect(node.url, admin.token);
      const adminNs = () => ioClient(`${node.url}/admin`, { auth: { token: admin.token }, transports: ['websocket'], reconnection: false, forceNew: true });
      const one = adminNs();
      await nextEvent(one, 'connect');
      const two = adminNs();
      expect(await nextEvent<any>(two, 'connect_error')).toMatchObject({ data: { code: 'TOO_MANY_SOCKETS' } });
      [main, one, two].forEach((s) => s.close());
    } finally {
      await node.stop();
    }
  });
});
