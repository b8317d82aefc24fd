import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisClient } from './redis.js';
import { AppError } from './errors.js';
import type { Logger } from './logger.js';
import { SyncedLimiter, type PointLimiter } from './realtime/synced-limiter.js';

export interface LimiterOptions {
  keyPrefix: string;
  points: number;
  durationSeconds: number;
  blockSeconds?: number;
}

/**
 * Rate limiters come from one place: Redis-backed when the deployment has
 * Redis (counters shared by every node), memory-backed otherwise.
 *
 * When Redis cannot be reached, a Redis-backed limiter fails open to a memory
 * limiter of this node (rate-limiter-flexible's insurance limiter), with the
 * same limits, until Redis answers again. Limits protect against abuse and
 * floods, not money or data: refusing every message, login and skip because
 * their counters are unreachable would turn a Redis outage into a full one,
 * while a per-node limit still bounds each user (to at most N times the limit
 * over N nodes, for the outage's length).
 */
export type LimiterFactory = (opts: LimiterOptions) => RateLimiterAbstract;

export function limiterFactory(redis: RedisClient | undefined, prefix: string): LimiterFactory {
  return (o) => {
    const common = {
      keyPrefix: `${prefix}rl:${o.keyPrefix}`,
      points: o.points,
      duration: o.durationSeconds,
      blockDuration: o.blockSeconds ?? 0,
    };
    return redis
      ? new RateLimiterRedis({
          ...common,
          storeClient: redis,
          useRedisPackage: false,
          // A disconnected client goes straight to the insurance limiter instead of trying Redis first.
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory(common),
        })
      : new RateLimiterMemory(common);
  };
}

/**
 * Limiters counted on each node and synced to Redis in batches (SyncedLimiter), for limits hit on
 * every message where a few events more within one sync interval do not matter; memory-backed
 * without Redis. No Redis round trip per event, unlike LimiterFactory's.
 */
export type SyncedLimiterFactory = (opts: Omit<LimiterOptions, 'blockSeconds'>) => PointLimiter;

export function syncedLimiterFactory(redis: RedisClient | undefined, prefix: string, logger: Logger): SyncedLimiterFactory {
  return (o) =>
    redis
      ? new SyncedLimiter({ redis, prefix: `${prefix}rl:${o.keyPrefix}:`, points: o.points, durationSeconds: o.durationSeconds, logger })
      : localLimiter(o);
}

/** Memory limiter for what is local by nature (one socket lives on one node). */
export function localLimiter(o: LimiterOptions): RateLimiterAbstract {
  return new RateLimiterMemory({
    keyPrefix: o.keyPrefix,
    points: o.points,
    duration: o.durationSeconds,
    blockDuration: o.blockSeconds ?? 0,
  });
}

export function retryAfterSeconds(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/** rate-limiter-flexible rejects with a RateLimiterRes when over the limit, with an Error when the store fails. */
export function rateLimited(err: unknown, message = 'too many requests'): AppError {
  if (err instanceof RateLimiterRes) {
    return new AppError('RATE_LIMITED', message, { retryAfterSeconds: retryAfterSeconds(err) });
  }
  throw err;
}

/** Points one attempt took from several limiters, to give back when the attempt turns out not to count. */
export interface Charge {
  refund(): Promise<void>;
}

/**
 * Takes a point from each limiter at once (one round trip of latency). If any
 * refuses, the points the others gave are returned and the refusal is thrown
 * as RATE_LIMITED with that limiter's message.
 */
export async function consumeAll(items: { limiter: PointLimiter; key: string; message: string }[]): Promise<Charge> {
  const results = await Promise.allSettled(items.map((i) => i.limiter.consume(i.key)));
  const taken = items.filter((_, n) => results[n]!.status === 'fulfilled');
  const charge: Charge = {
    async refund() {
      // A refund that cannot be made only leaves a counter one point high until its window ends.
      await Promise.all(taken.map((i) => i.limiter.reward(i.key).catch(() => undefined)));
    },
  };
  const refused = results.findIndex((r) => r.status === 'rejected');
  if (refused >= 0) {
    await charge.refund();
    throw rateLimited((results[refused] as PromiseRejectedResult).reason, items[refused]!.message);
  }
  return charge;
}
