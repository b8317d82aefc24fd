import { afterAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import pino from 'pino';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { SyncedLimiter } from '../../server/src/realtime/synced-limiter.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../support/services.js';

/**
 * The chat send limits: counted on each node, synced to Redis in one pipeline per interval, with a
 * window that begins at a key's first event (as rate-limiter-flexible's), points given back when an
 * attempt does not count, and counting on locally while Redis is away.
 */
const redis = new Redis(TEST_REDIS_URL);
const p = createRedisPrefix();
const limiters: SyncedLimiter[] = [];
const clients: Redis[] = [];
afterAll(async () => {
  limiters.forEach((l) => l.close());
  clients.forEach((c) => c.disconnect());
  await p.cleanup();
  redis.disconnect();
});

const prefix = `${p.prefix}rl:synced:`;
const make = (o: { points?: number; durationSeconds?: number; client?: Redis } = {}) => {
  const l = new SyncedLimiter({ redis: o.client ?? redis, prefix, points: o.points ?? 20, durationSeconds: o.durationSeconds ?? 30, syncMs: 50, logger: pino({ level: 'silent' }) });
  limiters.push(l);
  return l;
};
const admitted = async (l: SyncedLimiter, key: string, n: number) => {
  let ok = 0;
  for (let i = 0; i < n; i++) ok += await l.consume(key).then(() => 1, () => 0);
  return ok;
};
const refusal = (l: SyncedLimiter, key: string) => l.consume(key).then(() => undefined, (e: unknown) => e);
const synced = () => new Promise((r) => setTimeout(r, 200));

describe('SyncedLimiter', () => {
  it('admits the limit on one node, then refuses with the time left in the window', async () => {
    const a = make();
    expect(await admitted(a, 'u1', 25)).toBe(20);
    const r = await refusal(a, 'u1');
    expect(r).toBeInstanceOf(RateLimiterRes);
    expect((r as RateLimiterRes).msBeforeNext).toBeGreaterThan(0);
    expect((r as RateLimiterRes).msBeforeNext).toBeLessThanOrEqual(30_000);
    await synced();
    expect(Number(await redis.get(`${prefix}u1`))).toBe(20);
  });

  it('two nodes share the limit once a sync has run; every key of a sync reaches Redis with its expiry', async () => {
    const [a, b] = [make(), make()];
    expect(await admitted(a, 'u2', 15)).toBe(15);
    for (let i = 0; i < 30; i++) await a.consume(`other-${i}`);
    await synced();
    expect(await admitted(b, 'u2', 10)).toBe(5);
    // a's last quarter is counted in Redis event by event: it learns b's count and refuses at 20 in all.
    expect(await admitted(a, 'u2', 10)).toBe(0);
    await synced();
    expect(Number(await redis.get(`${prefix}u2`))).toBe(20);
    const keys = await redis.keys(`${prefix}other-*`);
    expect(keys).toHaveLength(30);
    for (const k of keys) expect(await redis.pttl(k)).toBeGreaterThan(0);
  });

  it('a sync of more keys than one script call takes (500): every key gets its count and keeps its window', async () => {
    const a = make({ points: 100 });
    const keys = Array.from({ length: 1200 }, (_, i) => `many-${i}`);
    for (const k of keys) await a.consume(k);
    await synced();
    // Within their windows, far from the limit: counted here, and added to Redis at the next sync.
    for (const k of keys) for (let i = 0; i < (Number(k.slice(5)) % 3) + 1; i++) await a.consume(k);
    await synced();
    const totals = await redis.mget(keys.map((k) => prefix + k));
    expect(totals).toEqual(keys.map((k) => String(1 + (Number(k.slice(5)) % 3) + 1)));
    const ttls = await Promise.all(keys.slice(0, 50).map((k) => redis.pttl(prefix + k)));
    expect(ttls.every((t) => t > 0 && t <= 30_000)).toBe(true);
  });

  it('a key another node counts in the same window is counted exactly on both from then on', async () => {
    const [a, b] = [make(), make()];
    expect(await admitted(a, 'u7', 5)).toBe(5); // one call, four counted here
    expect(await admitted(b, 'u7', 1)).toBe(1); // Redis holds more than b added: b counts exactly
    await synced(); // a's four reach Redis, which holds more than a added: a counts exactly too
    expect(await admitted(b, 'u7', 10)).toBe(10);
    // Counted here, a would take up to 15 on the total it last heard (6); exact, it takes what is left.
    expect(await admitted(a, 'u7', 10)).toBe(4);
    await synced();
    expect(Number(await redis.get(`${prefix}u7`))).toBe(20);
  });

  it('a point given back can be taken again, on this node and, after a sync, on another', async () => {
    const [a, b] = [make(), make()];
    expect(await admitted(a, 'u3', 20)).toBe(20);
    for (let i = 0; i < 3; i++) await a.reward('u3');
    expect(await admitted(a, 'u3', 5)).toBe(3);
    await a.reward('u3');
    await synced();
    expect(Number(await redis.get(`${prefix}u3`))).toBe(19);
    expect(await admitted(b, 'u3', 5)).toBe(1);
  });

  it('the window begins at the key’s first event anywhere: a node joining later ends it at the same time', async () => {
    const [a, b] = [make({ points: 2, durationSeconds: 2 }), make({ points: 2, durationSeconds: 2 })];
    expect(await admitted(a, 'u4', 2)).toBe(2);
    await new Promise((r) => setTimeout(r, 700));
    await synced();
    const r = (await refusal(b, 'u4')) as RateLimiterRes;
    expect(r).toBeInstanceOf(RateLimiterRes);
    // b counted its first event in the window a opened 0.9 s earlier, not in a new one of its own.
    expect(r.msBeforeNext).toBeLessThan(2000 - 700);
    await new Promise((res) => setTimeout(res, r.msBeforeNext + 50));
    expect(await admitted(b, 'u4', 3)).toBe(2);
    // a counted its last window alone, so it begins this one on its own reckoning (one event, as the
    // limit's bound allows: what a node admits before its next call to Redis); its next sync tells it b
    // counts the key too, and from then on it counts exactly.
    expect(await admitted(a, 'u4', 1)).toBe(1);
    await synced();
    expect(await admitted(a, 'u4', 1)).toBe(0);
  });

  it('a key this node counted alone in its last window begins the next without a round trip, and its first sync takes the end of Redis’ window', async () => {
    const client = new Redis(TEST_REDIS_URL);
    clients.push(client);
    const a = make({ points: 4, durationSeconds: 1, client });
    const calls = vi.spyOn(client as unknown as { syncedLimiterAddMany: () => unknown }, 'syncedLimiterAddMany');
    expect(await admitted(a, 'u8', 1)).toBe(1); // a first event never seen here: counted in Redis at once
    expect(calls).toHaveBeenCalledTimes(1);
    await new Promise((r) => setTimeout(r, 1_100)); // that window is over
    calls.mockClear();
    expect(await admitted(a, 'u8', 3)).toBe(3); // three quarters of the points, no call
    expect(calls).not.toHaveBeenCalled();
    await synced();
    expect(Number(await redis.get(`${prefix}u8`))).toBe(3);
    // The last quarter is exact again: the fourth is admitted, the fifth refused, with the time left in
    // Redis' window (which began at the sync, so a little after the local first event, never before).
    expect(await admitted(a, 'u8', 1)).toBe(1);
    const r = (await refusal(a, 'u8')) as RateLimiterRes;
    expect(r).toBeInstanceOf(RateLimiterRes);
    const pttl = await redis.pttl(`${prefix}u8`);
    expect(Math.abs(r.msBeforeNext - pttl)).toBeLessThan(100);
  });

  it('counts with rate-limiter-flexible’s limiter on the same key (a node of the previous version)', async () => {
    const a = make({ points: 10 });
    const old = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${p.prefix}rl:synced`, points: 10, duration: 30, useRedisPackage: false });
    for (let i = 0; i < 6; i++) await old.consume('u5');
    expect(await admitted(a, 'u5', 10)).toBe(4);
    await synced();
    await expect(old.consume('u5')).rejects.toBeInstanceOf(RateLimiterRes);
  });

  it('Redis unreachable: counts on this node alone, and refuses at the limit', async () => {
    const down = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    clients.push(down);
    const a = make({ points: 5, client: down });
    expect(await admitted(a, 'u6', 8)).toBe(5);
    await a.reward('u6');
    expect(await admitted(a, 'u6', 2)).toBe(1);
  });
});
