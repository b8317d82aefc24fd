import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { limiterFactory } from '../../server/src/ratelimit.js';
import { limiterRepeats, redisRepeats, type RepeatCounter } from '../../server/src/modules/moderation/repeats.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../support/services.js';

/**
 * The repeat rule's counter, in Redis (one script call per text) and from two limiters (embedded mode's
 * memory ones, and the Redis-backed ones of the previous version, which must count with the script
 * during a rolling deploy).
 */
const redis = new Redis(TEST_REDIS_URL);
const p = createRedisPrefix();
afterAll(async () => {
  await p.cleanup();
  redis.disconnect();
});

const o = { limit: 2, windowSeconds: 60 };
const kinds: [string, () => RepeatCounter][] = [
  ['Redis script', () => redisRepeats(redis, `${p.prefix}a:`, o)],
  ['memory limiters', () => limiterRepeats(limiterFactory(undefined, ''), o)],
];

describe.each(kinds)('repeat counter: %s', (_, make) => {
  it('counts each conversation once and refuses the text in one conversation past the limit', async () => {
    const c = make();
    expect(await c.take('s1', 'text', 'c1')).toBe(true);
    expect(await c.take('s1', 'text', 'c1')).toBe(true);
    expect(await c.take('s1', 'text', 'c2')).toBe(true);
    expect(await c.take('s1', 'text', 'c2')).toBe(true);
    expect(await c.take('s1', 'text', 'c3')).toBe(false);
    // Another text, or the same text from another sender, has its own count.
    expect(await c.take('s1', 'other', 'c3')).toBe(true);
    expect(await c.take('s2', 'text', 'c3')).toBe(true);
  });
});

it('the script and the Redis-backed limiters of the previous version count together', async () => {
  const prefix = `${p.prefix}b:`;
  const script = redisRepeats(redis, prefix, o);
  const old = limiterRepeats(limiterFactory(redis, prefix), o);
  expect(await old.take('s1', 'text', 'c1')).toBe(true);
  expect(await script.take('s1', 'text', 'c1')).toBe(true); // the same conversation again: counted once
  expect(await script.take('s1', 'text', 'c2')).toBe(true);
  expect(await old.take('s1', 'text', 'c2')).toBe(true);
  expect(await old.take('s1', 'text', 'c3')).toBe(false);
  expect(await script.take('s1', 'text', 'c4')).toBe(false);
  expect(await redis.pttl(`${prefix}rl:moderation-repeats:s1:text`)).toBeGreaterThan(0);
});
