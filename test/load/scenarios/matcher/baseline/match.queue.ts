import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { MatchMode } from '../../../../../shared/match.js';

export interface QueueEntry {
  userId: string;
  mode: MatchMode;
  socketId: string;
  interests: string[];
  gender: string | null;
  age: number;
  seeks: string[];
  ageMin: number;
  ageMax: number;
  /** Users blocked either way (loaded from PostgreSQL at join). */
  blocked: string[];
}

export interface Pairing {
  userId: string;
  peerId: string;
  sessionId: string;
  commonInterests: string[];
  /** The interests each side joined with. */
  userInterests: string[];
  peerInterests: string[];
}

export interface QueueOptions {
  /** How long a user with interests waits for a shared interest before anyone will do. */
  fallbackMs: number;
  /** How long two users who just parted are not paired again. */
  cooldownMs: number;
  /** How many of the longest-waiting users one pairing pass looks at. */
  scan: number;
}

/**
 * The random-match queue. Drivers: Redis (every node of a cluster pairs
 * through the same Lua scripts, so a user is never paired twice) and memory
 * (embedded mode, the same rules in one process).
 */
export interface MatchQueue {
  join(e: QueueEntry, now: number): Promise<{ state: 'queued' | 'in_session'; sessionId?: string }>;
  /** Pairs whoever can be paired now; `sessionIds` are fresh ids to use, one per pair at most. */
  pair(mode: MatchMode, now: number, sessionIds: string[]): Promise<Pairing[]>;
  /**
   * Ends the user's session, then requeues them (at the back), parks them (queued, at the back, but
   * not paired until requeueIfIdle), or removes them. With `onlySocket`, only if that socket is the queued one.
   */
  end(userId: string, now: number, then: 'requeue' | 'park' | 'leave', onlySocket?: string): Promise<{ ended: boolean; sessionId: string | null; peerId: string | null }>;
  sizes(): Promise<Record<MatchMode, number>>;
  /** Whether both users are still in this session (neither skipped, left or disconnected since the pairing). */
  inSession(sessionId: string, userIds: [string, string]): Promise<boolean>;
  /** Back into the queue at their old place, if still queued and in no session (a pairing that fell through). */
  requeueIfIdle(userId: string): Promise<boolean>;
  /** Users queued or in session through a node (to clean up after it died). */
  usersOfNode(nodeId: string): Promise<string[]>;
}

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

type Scripted = Redis & {
  matchJoin(...args: (string | number)[]): Promise<[string, string]>;
  matchPair(...args: (string | number)[]): Promise<string[]>;
  matchEnd(...args: (string | number)[]): Promise<[string, string, string]>;
  matchRequeue(...args: (string | number)[]): Promise<number>;
};

export function createRedisMatchQueue(redis: Redis, prefix: string, nodeId: string, opts: QueueOptions): MatchQueue {
  if (typeof (redis as unknown as Partial<Scripted>).matchJoin !== 'function') {
    redis.defineCommand('matchJoin', { numberOfKeys: 2, lua: lua('match-join-2') });
    redis.defineCommand('matchPair', { numberOfKeys: 1, lua: lua('match-pair-1') });
    redis.defineCommand('matchEnd', { numberOfKeys: 1, lua: lua('match-end-1') });
    redis.defineCommand('matchRequeue', { numberOfKeys: 1, lua: lua('match-requeue-1') });
  }
  const r = redis as unknown as Scripted;
  const key = {
    user: (u: string) => `${prefix}mq:u:${u}`,
    node: (n: string) => `${prefix}mq:node:${n}`,
    wait: (m: string) => `${prefix}mq:wait:${m}`,
  };
  return {
    async join(e, now) {
      const [state, value] = await r.matchJoin(
        key.user(e.userId), key.node(nodeId), prefix, e.userId, e.mode, now, e.socketId, nodeId,
        e.interests.join(','), e.gender ?? '', e.age, e.seeks.join(','), e.ageMin, e.ageMax, e.blocked.join(','),
      );
      return state === 'in_session' ? { state: 'in_session', sessionId: value } : { state: 'queued' };
    },
    async pair(mode, now, sessionIds) {
      const flat = await r.matchPair(key.wait(mode), prefix, now, opts.fallbackMs, opts.scan, ...sessionIds);
      const out: Pairing[] = [];
      const list = (s: string | undefined) => (s ? s.split(',') : []);
      for (let i = 0; i < flat.length; i += 6) {
        out.push({ userId: flat[i]!, peerId: flat[i + 1]!, sessionId: flat[i + 2]!, commonInterests: list(flat[i + 3]), userInterests: list(flat[i + 4]), peerInterests: list(flat[i + 5]) });
      }
      return out;
    },
    async end(userId, now, then, onlySocket) {
      const [state, session, peer] = await r.matchEnd(key.user(userId), prefix, userId, now, opts.cooldownMs, then, onlySocket ?? '');
      return { ended: state === 'ended', sessionId: session || null, peerId: peer || null };
    },
    async sizes() {
      const [text, video] = await Promise.all([r.zcard(key.wait('text')), r.zcard(key.wait('video'))]);
      return { text, video };
    },
    async inSession(sessionId, userIds) {
      const sessions = await Promise.all(userIds.map((u) => r.hget(key.user(u), 'session')));
      return sessions.every((s) => s === sessionId);
    },
    async requeueIfIdle(userId) {
      return (await r.matchRequeue(key.user(userId), prefix, userId)) === 1;
    },
    usersOfNode: (n) => r.smembers(key.node(n)),
  };
}

interface MemUser extends QueueEntry {
  joined: number;
  session?: string;
  peer?: string;
}

/** The same rules as the Lua scripts, for one process. JavaScript runs each call to the end: it is atomic too. */
export function createMemoryMatchQueue(opts: QueueOptions): MatchQueue {
  const users = new Map<string, MemUser>();
  const waiting: Record<MatchMode, Map<string, number>> = { text: new Map(), video: new Map() };
  const cooldown = new Map<string, number>(); // "a|b" -> until

  const cooled = (a: string, b: string, now: number) => (cooldown.get(`${a}|${b}`) ?? 0) > now;
  const accepts = (a: MemUser, b: MemUser) =>
    (a.seeks.length === 0 || (b.gender !== null && a.seeks.includes(b.gender))) && b.age >= a.ageMin && b.age <= a.ageMax;
  const compatible = (a: MemUser, b: MemUser, now: number) =>
    !a.blocked.includes(b.userId) && !b.blocked.includes(a.userId) && accepts(a, b) && accepts(b, a) && !cooled(a.userId, b.userId, now) && !cooled(b.userId, a.userId, now);

  return {
    async join(e, now) {
      const existing = users.get(e.userId);
      if (existing?.session) return { state: 'in_session', sessionId: existing.session };
      if (existing && existing.mode !== e.mode) waiting[existing.mode].delete(e.userId);
      const joined = waiting[e.mode].get(e.userId) ?? now;
      waiting[e.mode].set(e.userId, joined);
      users.set(e.userId, { ...e, joined });
      return { state: 'queued' };
    },
    async pair(mode, now, sessionIds) {
      // As the Lua script: the longest-waiting half and the newest half of the window.
      const sorted = [...waiting[mode].entries()].sort((x, y) => x[1] - y[1]);
      const half = Math.floor(opts.scan / 2);
      const window = sorted.length > opts.scan ? [...sorted.slice(0, half), ...sorted.slice(Math.max(half, sorted.length - Math.ceil(opts.scan / 2)))] : sorted;
      const list = window.map(([id]) => users.get(id)!).filter((u) => u && !u.session);
      const taken = new Set<string>();
      const out: Pairing[] = [];
      for (let i = 0; i < list.length && out.length < sessionIds.length; i++) {
        const a = list[i]!;
        if (taken.has(a.userId)) continue;
        let best: MemUser | undefined;
        let bestCommon: string[] = [];
        let fallbackPick: MemUser | undefined;
        for (let j = i + 1; j < list.length; j++) {
          const b = list[j]!;
          if (taken.has(b.userId) || !compatible(a, b, now)) continue;
          const common = a.interests.filter((x) => b.interests.includes(x)).sort();
          if (common.length) {
            best = b;
            bestCommon = common;
            break;
          }
          if (!fallbackPick && ((a.interests.length === 0 && b.interests.length === 0) || now - a.joined >= opts.fallbackMs || now - b.joined >= opts.fallbackMs)) fallbackPick = b;
        }
        best ??= fallbackPick;
        if (!best) continue;
        const sessionId = sessionIds[out.length]!;
        taken.add(a.userId).add(best.userId);
        waiting[mode].delete(a.userId);
        waiting[mode].delete(best.userId);
        Object.assign(a, { session: sessionId, peer: best.userId });
        Object.assign(best, { session: sessionId, peer: a.userId });
        out.push({ userId: a.userId, peerId: best.userId, sessionId, commonInterests: best === fallbackPick && !bestCommon.length ? [] : bestCommon, userInterests: a.interests, peerInterests: best.interests });
      }
      return out;
    },
    async end(userId, now, then, onlySocket) {
      const u = users.get(userId);
      if (!u || (onlySocket && u.socketId !== onlySocket)) return { ended: false, sessionId: null, peerId: null };
      const sessionId = u.session ?? null;
      const peerId = u.peer ?? null;
      if (sessionId && peerId) {
        const p = users.get(peerId);
        if (p?.session === sessionId) delete p.session, delete p.peer;
        cooldown.set(`${userId}|${peerId}`, now + opts.cooldownMs);
        cooldown.set(`${peerId}|${userId}`, now + opts.cooldownMs);
        if (cooldown.size > 10_000) for (const [k, until] of cooldown) if (until <= now) cooldown.delete(k);
        delete u.session;
        delete u.peer;
      }
      if (then === 'requeue') {
        u.joined = now;
        waiting[u.mode].set(userId, now);
      } else if (then === 'park') {
        u.joined = now;
        waiting[u.mode].delete(userId);
      } else {
        waiting[u.mode].delete(userId);
        users.delete(userId);
      }
      return { ended: true, sessionId, peerId };
    },
    async sizes() {
      return { text: waiting.text.size, video: waiting.video.size };
    },
    inSession: async (sessionId, userIds) => userIds.every((u) => users.get(u)?.session === sessionId),
    async requeueIfIdle(userId) {
      const u = users.get(userId);
      if (!u || u.session) return false;
      if (!waiting[u.mode].has(userId)) waiting[u.mode].set(userId, u.joined);
      return true;
    },
    usersOfNode: async () => [],
  };
}
