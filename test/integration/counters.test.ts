import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisCounters } from '../../server/src/counters.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../support/services.js';
import { waitFor } from '../support/client.js';

/** The admins' messages-per-second counter: counted per node, added to Redis in batches, read back per complete second. */
const redis = new Redis(TEST_REDIS_URL);
const p = createRedisPrefix();
afterAll(async () => {
  await p.cleanup();
  redis.disconnect();
});

describe('Redis counters', () => {
  it('sum what two nodes counted in the same second, once that second is over', async () => {
    const errors: unknown[] = [];
    const a = createRedisCounters(redis, p.prefix, (e) => errors.push(e), 50);
    const b = createRedisCounters(redis, p.prefix, (e) => errors.push(e), 50);
    // Start just after a second begins, so all increments fall in one second.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
    const second = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 30; i++) a.incr('messages');
    for (let i = 0; i < 12; i++) b.incr('messages');
    b.incr('calls');
    expect(Math.floor(Date.now() / 1000)).toBe(second);
    const stored = (name: string) => redis.get(`${p.prefix}stats:${name}:${second}`).then(Number);
    await waitFor(async () => (await stored('messages')) === 42 && (await stored('calls')) === 1, 5000, 'both nodes flushed');
    expect(await redis.ttl(`${p.prefix}stats:messages:${second}`)).toBeGreaterThan(0);
    // Read as "the last complete second" during the next one (a slow machine may already be past it).
    await new Promise((r) => setTimeout(r, Math.max(0, (second + 1) * 1000 - Date.now() + 50)));
    if (Math.floor(Date.now() / 1000) === second + 1) expect(await a.lastSecond('messages')).toBe(42);
    expect(errors).toEqual([]);
  });
});
