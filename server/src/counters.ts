import { slotPrefix, type RedisClient } from './redis.js';

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

export function createRedisCounters(redis: RedisClient, prefix: string, onError: (err: unknown) => void, flushMs = 200): Counters {
  // One hash tag: the flush is one MULTI over every counter, which a Redis Cluster allows within one slot.
  const p = slotPrefix(redis, prefix, 'stats');
  const key = (name: string, sec: number) => `${p}${name}:${sec}`;
  // Counted here and added to Redis every flushMs in one pipeline, not a MULTI/INCR/EXPIRE/EXEC per
  // event (four commands per chat message, for a dashboard). A second's count is complete in Redis
  // flushMs after it ends; a node that dies loses at most its last flushMs of counts.
  let pending = new Map<string, number>();
  const timer = setInterval(() => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const multi = redis.multi();
    for (const [k, n] of batch) multi.incrby(k, n).expire(k, 60);
    multi.exec().catch(onError);
  }, flushMs);
  timer.unref();
  return {
    incr(name) {
      const k = key(name, Math.floor(Date.now() / 1000));
      pending.set(k, (pending.get(k) ?? 0) + 1);
    },
    async lastSecond(name) {
      return Number((await redis.get(key(name, Math.floor(Date.now() / 1000) - 1))) ?? 0);
    },
  };
}
