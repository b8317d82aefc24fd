import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import pino from 'pino';
import { BatchedLimiter } from '../../server/src/realtime/batched-limiter.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../support/services.js';

/** The per-user event limit shared by every node, counted locally and synced to Redis in one pipeline per interval. */
const redis = new Redis(TEST_REDIS_URL);
const p = createRedisPrefix();
const limiters: BatchedLimiter[] = [];
afterAll(async () => {
  limiters.forEach((l) => l.close());
  await p.cleanup();
  redis.disconnect();
});

const make = () => {
  const l = new BatchedLimiter({ redis, prefix: `${p.prefix}rl:test:`, points: 20, durationSeconds: 4, syncMs: 50, logger: pino({ level: 'silent' }) });
  limiters.push(l);
  return l;
};
/** Starts at the beginning of a 4 s window, so a test's counts all fall in one window. */
const windowStart = () => new Promise((r) => setTimeout(r, 4000 - (Date.now() % 4000) + 10));
const admitted = async (l: BatchedLimiter, key: string, n: number) => {
  let ok = 0;
  for (let i = 0; i < n; i++) ok += await l.consume(key).then(() => 1, () => 0);
  return ok;
};

describe('BatchedLimiter', () => {
  it('admits the limit on one node, then refuses', async () => {
    const a = make();
    await windowStart();
    expect(await admitted(a, 'u1', 25)).toBe(20);
  });

  it('two nodes share the limit once a sync has run; every key of a sync reaches Redis', async () => {
    const [a, b] = [make(), make()];
    await windowStart();
    const window = Math.floor(Date.now() / 4000);
    expect(await admitted(a, 'u2', 15)).toBe(15);
    for (let i = 0; i < 30; i++) await a.consume(`other-${i}`);
    await new Promise((r) => setTimeout(r, 200)); // a's counts synced
    expect(await admitted(b, 'u2', 10)).toBe(5);
    expect(Number(await redis.get(`${p.prefix}rl:test:u2:${window}`))).toBeGreaterThanOrEqual(20);
    const keys = await redis.keys(`${p.prefix}rl:test:other-*`);
    expect(keys).toHaveLength(30);
    for (const k of keys) expect(await redis.pttl(k)).toBeGreaterThan(0);
  });

  it('a sync adds to the window\'s key without setting its expiry again (its first INCRBY did)', async () => {
    const a = make();
    await windowStart();
    const key = `${p.prefix}rl:test:u3:${Math.floor(Date.now() / 4000)}`;
    await a.consume('u3');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    await a.consume('u3');
    await new Promise((r) => setTimeout(r, 200)); // synced
    expect(Number(await redis.get(key))).toBe(2);
    expect(await redis.pttl(key)).toBeLessThan(ttl - 250);
  });
});
