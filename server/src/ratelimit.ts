import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { AppError } from './errors.js';

export interface LimiterOptions {
  keyPrefix: string;
  points: number;
  durationSeconds: number;
  blockSeconds?: number;
}

/**
 * Rate limiters come from one place: Redis-backed when the deployment has
 * Redis (counters shared by every node), memory-backed otherwise.
 */
export type LimiterFactory = (opts: LimiterOptions) => RateLimiterAbstract;

export function limiterFactory(redis: Redis | undefined, prefix: string): LimiterFactory {
  return (o) => {
    const common = {
      keyPrefix: `${prefix}rl:${o.keyPrefix}`,
      points: o.points,
      duration: o.durationSeconds,
      blockDuration: o.blockSeconds ?? 0,
    };
    return redis
      ? new RateLimiterRedis({ ...common, storeClient: redis, useRedisPackage: false })
      : new RateLimiterMemory(common);
  };
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
