import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../logger.js';

/**
 * A fixed-window limit shared by every node without a Redis round trip per
 * event (a Redis-backed limiter per event cost a cluster node about 40 µs of
 * CPU per acknowledged event plus Redis' own; BENCHMARKS.md, "ping").
 *
 *   first event of a key in a window ──► INCRBY 1 in Redis (exact; learns the others' count)
 *   later events                      ──► counted here against the last known total
 *   every syncMs (500 ms)             ──► INCRBY what was counted here, in one pipeline; learn the total
 *                                         (PEXPIRE too for a key whose first INCRBY did not reach Redis)
 *   an event refused here             ──► flush this key first, so other nodes see the limit reached now
 *
 * Between two syncs each node may admit what the last known total left, so a
 * user spread over N nodes can exceed the limit by at most N × (points) in
 * one sync interval, and never for longer. Redis unreachable: counting goes
 * on per node (the fail-open decision of every limiter, README "When a
 * dependency is down").
 */
type Scripted = Redis & { batchedLimiterAdd(key: string, n: number, ttlMs: number): Promise<number> };

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

interface KeyState {
  window: number;
  total: number;
  unsynced: number;
  expiring: boolean;
}

export class BatchedLimiter {
  /** `expiring`: the window's key in Redis has its expiry (set with the first INCRBY that reached it). */
  private readonly state = new Map<string, KeyState>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly d: {
      redis: Redis;
      /** Redis key prefix, e.g. `<REDIS_PREFIX>rl:user-events:`. */
      prefix: string;
      points: number;
      durationSeconds: number;
      /**
       * Default 500 ms: a user sends a few events a second, so a shorter interval syncs most keys once per
       * event (about one INCRBY per event, the cost this class exists to avoid); a refusal syncs at once anyway.
       */
      syncMs?: number;
      logger: Logger;
    },
  ) {
    if (typeof (d.redis as unknown as Partial<Scripted>).batchedLimiterAdd !== 'function') {
      d.redis.defineCommand('batchedLimiterAdd', { numberOfKeys: 1, lua: lua('batched-limiter-add-1') });
    }
    this.timer = setInterval(() => void this.sync().catch((err) => d.logger.debug({ err }, 'batched limiter sync failed')), d.syncMs ?? 500);
    this.timer.unref();
  }

  async consume(key: string): Promise<void> {
    const durationMs = this.d.durationSeconds * 1000;
    const window = Math.floor(Date.now() / durationMs);
    let s = this.state.get(key);
    if (!s || s.window !== window) {
      s = { window, total: 0, unsynced: 0, expiring: false };
      this.state.set(key, s);
      try {
        s.total = await this.add(key, window, 1);
        s.expiring = true;
      } catch {
        s.unsynced += 1; // Redis away: count here, sync later
        s.total = 0;
      }
      if (s.total + s.unsynced > this.d.points) throw this.refusal(window, durationMs);
      return;
    }
    if (s.total + s.unsynced >= this.d.points) {
      if (s.unsynced > 0) await this.flush(key, s).catch(() => undefined);
      throw this.refusal(window, durationMs);
    }
    s.unsynced += 1;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private refusal(window: number, durationMs: number): RateLimiterRes {
    return new RateLimiterRes(0, (window + 1) * durationMs - Date.now(), this.d.points + 1, false);
  }

  private async add(key: string, window: number, n: number): Promise<number> {
    const k = `${this.d.prefix}${key}:${window}`;
    // One script call: a MULTI made ioredis build a pipeline object per call (~5% of a node's busy time in the chat loop).
    return Number(await (this.d.redis as unknown as Scripted).batchedLimiterAdd(k, n, this.d.durationSeconds * 2000));
  }

  private async flush(key: string, s: KeyState): Promise<void> {
    const n = s.unsynced;
    s.unsynced = 0;
    try {
      s.total = await this.add(key, s.window, n);
      s.expiring = true;
    } catch (err) {
      s.unsynced += n;
      throw err;
    }
  }

  /** Every key's unsynced count in one pipeline (one round trip per sync, not a MULTI/EXEC per key). */
  private async sync(): Promise<void> {
    const durationMs = this.d.durationSeconds * 1000;
    const window = Math.floor(Date.now() / durationMs);
    const due: { key: string; s: KeyState; n: number; reply: number; expire: boolean }[] = [];
    let replies = 0;
    for (const [key, s] of this.state) {
      if (s.window < window) this.state.delete(key); // a window that has passed: nothing left to count
      else if (s.unsynced > 0) {
        due.push({ key, s, n: s.unsynced, reply: replies, expire: !s.expiring });
        replies += s.expiring ? 1 : 2;
        s.unsynced = 0;
      }
    }
    if (due.length === 0) return;
    const pipe = this.d.redis.pipeline();
    for (const { key, s, n, expire } of due) {
      const k = `${this.d.prefix}${key}:${s.window}`;
      pipe.incrby(k, n);
      if (expire) pipe.pexpire(k, durationMs * 2);
    }
    let res: [Error | null, unknown][] | null;
    try {
      res = await pipe.exec();
    } catch (err) {
      for (const d of due) d.s.unsynced += d.n;
      throw err;
    }
    for (const d of due) {
      const [err, total] = res?.[d.reply] ?? [new Error('no reply'), 0];
      if (err) d.s.unsynced += d.n;
      else {
        d.s.total = Number(total);
        if (d.expire && !res?.[d.reply + 1]?.[0]) d.s.expiring = true;
      }
    }
  }
}
