import { readFileSync } from 'node:fs';
import { Cluster } from 'ioredis';
import { bySlotGroup, keySlot, type RedisClient } from '../redis.js';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../logger.js';

/** What a limit needs to take a point and give it back (RateLimiterMemory has both too). */
export interface PointLimiter {
  consume(key: string): Promise<unknown>;
  reward(key: string): Promise<unknown>;
}

type Scripted = RedisClient & {
  /** numkeys, the keys, the window in ms, then each key's count: answers [total, ms left] per key, flat. */
  syncedLimiterAddMany(...args: (string | number)[]): Promise<number[]>;
};

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

/** How long after its window ended a key's state is kept here (for whether the next window may begin without a call). */
const REMEMBER_MS = 60_000;
/** Keys per script call of a sync (each call blocks Redis for its length: ~1 µs a key). */
const KEYS_PER_CALL = 500;

interface KeyState {
  /** When this key's window ends (local clock; never later than Redis' expiry of the key). */
  endsAt: number;
  /** The window's total in Redis when last heard, over every node. */
  total: number;
  /** Taken (or, negative, given back) here since then. */
  unsynced: number;
  /** What this node has added to the window in Redis. */
  pushed: number;
  /** Another node counts this key in this window too (Redis holds more than this node added): every event is exact here. */
  shared: boolean;
  /** Redis has told when this window ends (false for a window begun here without a call, until its first sync). */
  heard: boolean;
}

/**
 * A limit shared by every node without a Redis round trip for most events, for limits where a few
 * events more in one sync interval do not matter (chat's per-user and per-conversation limits:
 * floods, not money). The window of a key begins with its first event and lasts `durationSeconds`,
 * as with rate-limiter-flexible's limiters (same keys and values in Redis), so a user's budget does
 * not reset at a wall-clock boundary.
 *
 *   first event of a key's window here ──► one script call: counted in Redis (exact); learns the
 *                                          others' count and when the window ends
 *   ... unless this node counted the key  ──► counted here, like the events after it: the next sync
 *   alone in its last window                  adds it and learns the window's end (below)
 *   later events, while the last known ──► counted here; every syncMs, what every key counted here
 *   total leaves more than a quarter       goes to Redis in one pipeline, which answers each total
 *   of the points
 *   the last quarter of the points     ──► each event counted in Redis before it is admitted (exact,
 *                                          one round trip), as a limiter without batching does
 *   points given back, refused events  ──► taken back here, synced like the rest
 *
 * A user who writes now and then begins a new window with most events; counting each of those in Redis
 * was two round trips per chat message (the per-user event limit and a send limit) for most users (a
 * profile of `npm run bench -- chat` at 200 messages/s, BENCHMARKS.md). So a key whose last window this
 * node counted alone (never shared; ended at most a minute ago) begins the next one here, and its
 * first sync learns when Redis' window of it ends (a little after the local start: the window is then
 * that much longer, never shorter) and whether another node counts it meanwhile.
 *
 * So a user far from the limit costs no round trip, and one near it is counted exactly. A key that
 * another node counts in the same window (Redis answers a total above what this node added: a user
 * with sockets on two nodes) is counted exactly here from then on, every event a round trip. A node
 * learns of the others only from its own calls, so the limit can be exceeded only by what a node
 * admitted on its own reckoning before its next call to Redis (at most its next sync, and at most
 * three quarters of the points), and only for users with sockets on several nodes. Redis
 * unreachable: counting goes on per node (the fail-open rule of every limiter, README "When a
 * dependency is down"), added to Redis once it answers.
 */
export class SyncedLimiter implements PointLimiter {
  private readonly state = new Map<string, KeyState>();
  /** Started by the first event: a process that never counts (the workers) keeps no timer. */
  private timer: NodeJS.Timeout | undefined;
  private readonly r: Scripted;
  private readonly durationMs: number;
  /** Admitted without a round trip while the last known total stays within this. */
  private readonly localPoints: number;

  constructor(
    private readonly d: {
      redis: RedisClient;
      /** Redis key prefix, e.g. `<REDIS_PREFIX>rl:chat-user:`. */
      prefix: string;
      points: number;
      durationSeconds: number;
      /**
       * How often what was counted here goes to Redis (default 1 s). A user sends a few messages a second at
       * most, so a shorter interval would sync most keys once per event and save no Redis call; the last
       * quarter of the points does not wait for it.
       */
      syncMs?: number;
      logger: Logger;
    },
  ) {
    if (typeof (d.redis as unknown as Partial<Scripted>).syncedLimiterAddMany !== 'function') {
      d.redis.defineCommand('syncedLimiterAddMany', { lua: lua('synced-limiter-add-n') });
    }
    this.r = d.redis as unknown as Scripted;
    this.durationMs = d.durationSeconds * 1000;
    this.localPoints = d.points - Math.ceil(d.points / 4);
  }

  async consume(key: string): Promise<void> {
    this.timer ??= setInterval(() => void this.sync().catch((err) => this.d.logger.debug({ err }, 'synced limiter sync failed')), this.d.syncMs ?? 1000).unref();
    const now = Date.now();
    let s = this.state.get(key);
    if (s && s.endsAt > now && !s.shared && s.total + s.unsynced + 1 <= this.localPoints) {
      s.unsynced += 1;
      return;
    }
    if (!s || s.endsAt <= now) {
      // The key's last window here (kept for a while after it ended) says whether others count it too.
      const alone = s !== undefined && !s.shared && this.localPoints >= 1;
      s = { endsAt: now + this.durationMs, total: 0, unsynced: 0, pushed: 0, shared: false, heard: !alone };
      this.state.set(key, s);
      if (alone) {
        s.unsynced = 1;
        return;
      }
    }
    // The first event of a window, one of the last points or a key other nodes count: counted in Redis, then decided on the cluster's total.
    s.unsynced += 1;
    await this.push(key, s).catch(() => undefined); // Redis away: counted here, added at a later sync
    if (s.total + s.unsynced > this.d.points) {
      s.unsynced -= 1; // a refused event does not count (taken back from Redis at the next sync)
      throw this.refusal(s);
    }
  }

  /** Gives back a point taken in the key's current window (an attempt that did not count). */
  async reward(key: string): Promise<void> {
    const s = this.state.get(key);
    if (s && s.endsAt > Date.now()) s.unsynced -= 1;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private refusal(s: KeyState): RateLimiterRes {
    return new RateLimiterRes(0, Math.max(0, s.endsAt - Date.now()), s.total + s.unsynced, false);
  }

  /** Adds this key's unsynced count to Redis now and learns its total. */
  private async push(key: string, s: KeyState): Promise<void> {
    const n = s.unsynced;
    s.unsynced = 0;
    const sentAt = Date.now();
    try {
      const r = await this.r.syncedLimiterAddMany(1, this.d.prefix + key, this.durationMs, n);
      this.learn(s, n, [r[0]!, r[1]!], sentAt);
    } catch (err) {
      s.unsynced += n;
      throw err;
    }
  }

  private learn(s: KeyState, added: number, [total, ttl]: [number, number], sentAt: number): void {
    s.total = Number(total);
    s.pushed += added;
    if (s.total > s.pushed) s.shared = true;
    // Timed from before the call: the window never outlives the key here, so a late sync cannot start a new one.
    // A window begun here without a call ends with Redis' (which began at the sync, or with another node's first
    // event): ending it earlier here would add the next window's first sync to this one's key.
    s.endsAt = s.heard ? Math.min(s.endsAt, sentAt + Number(ttl)) : sentAt + Number(ttl);
    s.heard = true;
  }

  /** Every key's unsynced count in one pipeline (one round trip per sync, not a call per key); one per master in a Redis Cluster. */
  private async sync(): Promise<void> {
    const now = Date.now();
    const due: { key: string; s: KeyState; n: number }[] = [];
    for (const [key, s] of this.state) {
      // A window that has ended has nothing left to count; it is kept a while (REMEMBER_MS, at least one window's
      // length) for what it says of the next: a user writing every few seconds meets a 1 s window anew each time.
      if (s.endsAt <= now - Math.max(this.durationMs, REMEMBER_MS)) this.state.delete(key);
      else if (s.endsAt <= now) s.unsynced = 0;
      else if (s.unsynced !== 0) {
        due.push({ key, s, n: s.unsynced });
        s.unsynced = 0;
      }
    }
    const groups = bySlotGroup(this.d.redis, due, (x) => this.d.prefix + x.key);
    const results = await Promise.allSettled(groups.map((group) => this.syncGroup(group, now)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async syncGroup(due: { key: string; s: KeyState; n: number }[], now: number): Promise<void> {
    // One script call per run of keys (per hash slot on a Cluster, whose scripts take keys of one slot),
    // all of the group's calls in one pipeline: one round trip, and one script run per KEYS_PER_CALL keys.
    const calls: (typeof due)[] = [];
    const bySlot = new Map<number, typeof due>();
    for (const x of due) {
      const slot = this.d.redis instanceof Cluster ? keySlot(this.d.prefix + x.key) : 0;
      let run = bySlot.get(slot);
      if (!run || run.length === KEYS_PER_CALL) bySlot.set(slot, (run = []));
      if (run.length === 0) calls.push(run);
      run.push(x);
    }
    const pipe = this.r.pipeline() as unknown as Scripted & { exec(): Promise<[Error | null, unknown][] | null> };
    for (const run of calls) pipe.syncedLimiterAddMany(run.length, ...run.map((x) => this.d.prefix + x.key), this.durationMs, ...run.map((x) => x.n));
    let res: [Error | null, unknown][] | null;
    try {
      res = await pipe.exec();
    } catch (err) {
      for (const x of due) x.s.unsynced += x.n;
      throw err;
    }
    calls.forEach((run, c) => {
      const [err, reply] = res?.[c] ?? [new Error('no reply'), undefined];
      run.forEach((x, i) => {
        if (err) x.s.unsynced += x.n;
        else {
          const r = reply as number[];
          this.learn(x.s, x.n, [r[2 * i]!, r[2 * i + 1]!], now);
        }
      });
    });
  }
}
