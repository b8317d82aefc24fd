import type { Redis } from 'ioredis';

/**
 * Per-second event counters for the admins' live view (messages per second
 * over the whole cluster). Redis: one key per second, expiring after a
 * minute; memory: a small ring for one process.
 */
export interface Counters {
  incr(name: string): void;
  /** Count of the last complete second. */
  lastSecond(name: string): Promise<number>;
}

export function createMemoryCounters(): Counters {
  const counts = new Map<string, number>();
  const key = (name: string, sec: number) => `${name}:${sec}`;
  return {
    incr(name) {
      const sec = Math.floor(Date.now() / 1000);
      counts.set(key(name, sec), (counts.get(key(name, sec)) ?? 0) + 1);
      counts.delete(key(name, sec - 60));
    },
    async lastSecond(name) {
      return counts.get(key(name, Math.floor(Date.now() / 1000) - 1)) ?? 0;
    },
  };
}

export function createRedisCounters(redis: Redis, prefix: string, onError: (err: unknown) => void): Counters {
  const key = (name: string, sec: number) => `${prefix}stats:${name}:${sec}`;
  return {
    incr(name) {
      const k = key(name, Math.floor(Date.now() / 1000));
      // Fire and forget on the auto-pipelined client: a lost increment only blurs a dashboard.
      redis.multi().incr(k).expire(k, 60).exec().catch(onError);
    },
    async lastSecond(name) {
      return Number((await redis.get(key(name, Math.floor(Date.now() / 1000) - 1))) ?? 0);
    },
  };
}
