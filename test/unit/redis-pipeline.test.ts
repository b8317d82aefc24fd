import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Cluster, type Redis } from 'ioredis';
import { closeRedis, createRedis, whenReady, type RedisClient } from '../../server/src/redis.js';
import { createLogger } from '../../server/src/logger.js';
import { lightPipelines } from '../../server/src/redis-pipeline.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../support/services.js';

// Pipelines built without copying the client's scripts onto each one (server/src/redis-pipeline.ts),
// against the real Redis: explicit pipelines, auto-pipelined commands and MULTI, with scripts defined
// before the first pipeline and after it.

type WithScripts = Redis & {
  twice(key: string, n: number): Promise<number>;
  thrice(key: string, n: number): Promise<number>;
};

const keys = createRedisPrefix();
let redis: WithScripts;

beforeAll(async () => {
  redis = createRedis(TEST_REDIS_URL, createLogger({ level: 'silent', nodeId: 'test' }), 'pipeline-test', { mode: 'failFast' }) as WithScripts;
  // A script of this run's own (its SHA unknown to Redis), so its first call goes out as EVAL.
  redis.defineCommand('twice', { numberOfKeys: 1, lua: `-- ${keys.prefix}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1] * 2)` });
  await whenReady(redis);
});

afterAll(async () => {
  await keys.cleanup();
  await closeRedis(redis as RedisClient);
});

it('a pipeline carries the scripts on its prototype, not as properties of its own', async () => {
  const p = redis.pipeline() as unknown as Record<string, unknown>;
  expect(typeof p.twice).toBe('function');
  expect(typeof p.twiceBuffer).toBe('function');
  expect(Object.keys(p)).not.toContain('twice');
  expect(p.redis).toBe(redis);
  expect(p.isCluster).toBe(false);
});

it('a pipeline has the fields of one built by ioredis, and no accessor of its own', () => {
  // ioredis' own constructor, on the same client: what an upgrade of ioredis would change.
  const Pipeline = (createRequire(import.meta.url)('ioredis/built/Pipeline') as { default: new (r: unknown) => object }).default;
  const stock = new Pipeline(redis) as Record<string, unknown>;
  const light = redis.pipeline() as unknown as Record<string, unknown>;
  const scripts = new Set(Object.keys(redis.scriptsSet).flatMap((n) => [n, `${n}Buffer`]));
  const fields = (o: object) => Object.getOwnPropertyNames(o).filter((n) => !scripts.has(n) && n !== 'length').sort();
  expect(fields(light)).toEqual(fields(stock));
  for (const name of fields(stock)) {
    const [a, b] = [stock[name], light[name]];
    expect(typeof b, name).toBe(typeof a);
    if (a === null || typeof a !== 'object') {
      if (typeof a !== 'function') expect(b, name).toEqual(a);
    } else expect(Object.getPrototypeOf(b), name).toBe(Object.getPrototypeOf(a));
  }
  expect(light.options).toBe(stock.options);
  // ioredis defines `length` on each instance, with a getter closure: a hidden class per pipeline,
  // which keeps it out of the young generation's reach (server/src/redis-pipeline.ts).
  expect(Object.getOwnPropertyDescriptor(stock, 'length')?.get).toBeTypeOf('function');
  expect(Object.getOwnPropertyDescriptor(light, 'length')).toBeUndefined();
  const p = light as unknown as { length: number; set(k: string, v: string): unknown; get(k: string): unknown };
  expect(p.length).toBe(0);
  p.set(`${keys.prefix}len`, 'x');
  p.get(`${keys.prefix}len`);
  expect(p.length).toBe(2);
  expect(light).toBeInstanceOf(Pipeline);
  (stock.promise as Promise<unknown>).catch(() => {});
});

it('runs scripts and commands in an explicit pipeline, in order, with each reply in its place', async () => {
  const k = `${keys.prefix}explicit`;
  const p = redis.pipeline() as unknown as WithScripts & { exec(): Promise<[Error | null, unknown][]>; set(...a: unknown[]): unknown; get(k: string): unknown };
  p.set(k, 1);
  p.twice(k, 5);
  p.get(k);
  expect(await p.exec()).toEqual([
    [null, 'OK'],
    [null, 11],
    [null, '11'],
  ]);
  // The array form (addBatch) too.
  expect(await redis.pipeline([['incr', k], ['get', k]]).exec()).toEqual([
    [null, 12],
    [null, '12'],
  ]);
});

it('a script defined after the first pipeline is on the next one', async () => {
  redis.pipeline();
  redis.defineCommand('thrice', { numberOfKeys: 1, lua: `-- ${keys.prefix}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1] * 3)` });
  const k = `${keys.prefix}later`;
  const p = redis.pipeline() as unknown as WithScripts & { exec(): Promise<[Error | null, unknown][]> };
  expect(typeof p.thrice).toBe('function');
  p.thrice(k, 2);
  p.twice(k, 1);
  expect(await p.exec()).toEqual([
    [null, 6],
    [null, 8],
  ]);
});

it('auto-pipelined script calls and commands of one turn each get their own reply', async () => {
  const k = (i: number) => `${keys.prefix}auto:${i}`;
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? redis.twice(k(i), i) : redis.incrby(k(i), i))));
  expect(results).toEqual(Array.from({ length: 200 }, (_, i) => (i % 2 ? 2 * i : i)));
  // A script error answers its own call only.
  const mixed = await Promise.allSettled([redis.twice(k(1), Number.NaN), redis.get(k(1))]);
  expect(mixed[0]!.status).toBe('rejected');
  expect(mixed[1]).toEqual({ status: 'fulfilled', value: '2' });
});

it('MULTI still runs as one transaction', async () => {
  const k = `${keys.prefix}multi`;
  expect(await redis.multi().set(k, 'a').append(k, 'b').get(k).exec()).toEqual([
    [null, 'OK'],
    [null, 2],
    [null, 'ab'],
  ]);
});

it('a Cluster client gets the same pipelines, which route as a Cluster', () => {
  const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
  cluster.defineCommand('twice', { numberOfKeys: 1, lua: 'return 1' });
  lightPipelines(cluster);
  const p = cluster.pipeline() as unknown as Record<string, unknown>;
  expect(p.isCluster).toBe(true);
  expect(p.redis).toBe(cluster);
  expect(typeof p.twice).toBe('function');
  cluster.disconnect();
});
