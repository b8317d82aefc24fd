import { readFileSync } from 'node:fs';
import { slotPrefix, type RedisClient } from '../../redis.js';
import type { MatchMode } from '../../../../shared/match.js';
import { DEFAULT_WINDOW } from './match.memory-queue.js';

export { createMemoryMatchQueue } from './match.memory-queue.js';

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
  /** How many users due for a look-up one pairing pass takes (half the longest-due, half the newest). */
  scan: number;
  /** How many waiters a look-up reads from each index that fits (half its oldest, half its newest); default 32. */
  window?: number;
}

/**
 * The random-match queue. Drivers: Redis (every node of a cluster pairs
 * through the same Lua scripts, so a user is never paired twice) and memory
 * (embedded mode, the same rules in one process: match.memory-queue.ts).
 *
 * Pairing is a look-up per user who is due (just joined or requeued, or whose
 * fall-back wait or cooldown just ended), not a sweep of the whole queue:
 * waiters are indexed by (gender, seeks) bucket and by interest, and a look-up
 * reads a bounded window of the indexes that fit that user. A pass costs what
 * its due users cost, whatever the number of waiters nobody can pair.
 */
export type JoinResult =
  | { state: 'queued' }
  | { state: 'in_session'; sessionId: string }
  | { state: 'pending'; sessionId: string; peerId: string | null };

export interface MatchQueue {
  /**
   * Queues the user (or refreshes their entry). 'pending': a session of theirs has ended in the queue
   * but its end may not be recorded yet (the skip that ended it is still on its way to PostgreSQL); the
   * user stays parked until the caller has recorded that end and called requeueIfIdle.
   */
  join(e: QueueEntry, now: number): Promise<JoinResult>;
  /** Pairs whoever can be paired now; `sessionIds` are fresh ids to use, one per pair at most. */
  pair(mode: MatchMode, now: number, sessionIds: string[]): Promise<Pairing[]>;
  /**
   * Ends the user's session, then requeues them (at the back), parks them (queued, at the back, but
   * not paired until requeueIfIdle), or removes them. With `onlySocket`, only if that socket is the queued one.
   * A user whose peer ended their session (and who has not joined since) gets that session back, without
   * a peer: the caller records its end (a no-op if the peer's call did) before the user can be paired again.
   * So does a parked skipper until requeued, with the peer (their node may have died before recording it).
   * With `onlySession`, only if the user is in that session, or has it back ended or closing (a pairing
   * that could not be recorded ends only itself, not a later session one of them has moved on to), and
   * without the cooldown: a pairing that was never recorded was never shown, the two never met.
   */
  end(
    userId: string,
    now: number,
    then: 'requeue' | 'park' | 'leave',
    onlySocket?: string,
    onlySession?: string,
  ): Promise<{ ended: boolean; sessionId: string | null; peerId: string | null }>;
  sizes(): Promise<Record<MatchMode, number>>;
  /** Whether both users are still in this session (neither skipped, left or disconnected since the pairing). */
  inSession(sessionId: string, userIds: [string, string]): Promise<boolean>;
  /**
   * Back into the queue at their old place, if still queued and in no session (a pairing that fell through,
   * or a session whose end the caller has just recorded: `recorded`, null for none). Not while the end of
   * another session of theirs is pending: whoever got that one back records it and requeues them.
   */
  requeueIfIdle(userId: string, recorded: string | null): Promise<boolean>;
  /** Users queued or in session through a node (to clean up after it died). */
  usersOfNode(nodeId: string): Promise<string[]>;
  /** The sessions, as the queue has them, of users queued through this node (memory: every user): for the orphan sweep. */
  sessionsHere(): Promise<{ userId: string; sessionId: string; peerId: string }[]>;
}

const read = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
/** Each script with the shared index helpers in front (Redis scripts cannot include one another). */
const lua = (name: string) => `${read('match-lib')}\n${read(name)}`;

type Scripted = RedisClient & {
  matchJoin(...args: (string | number)[]): Promise<[string, string, string?]>;
  matchPair(...args: (string | number)[]): Promise<string[]>;
  matchEnd(...args: (string | number)[]): Promise<[string, string, string]>;
  matchRequeue(...args: (string | number)[]): Promise<number>;
  matchSessionsHere(nodeKey: string, prefix: string): Promise<string[]>;
};

export function createRedisMatchQueue(redis: RedisClient, deploymentPrefix: string, nodeId: string, opts: QueueOptions): MatchQueue {
  // `<prefix>mq:`. The scripts build the keys of other users and of both modes' indexes from it (a
  // user's hash outlives a change of mode): one hash tag puts the whole queue in one Cluster slot.
  const prefix = slotPrefix(redis, deploymentPrefix, 'mq');
  if (typeof (redis as unknown as Partial<Scripted>).matchJoin !== 'function') {
    redis.defineCommand('matchJoin', { numberOfKeys: 2, lua: lua('match-join-2') });
    redis.defineCommand('matchPair', { numberOfKeys: 1, lua: lua('match-pair-1') });
    redis.defineCommand('matchEnd', { numberOfKeys: 1, lua: lua('match-end-1') });
    redis.defineCommand('matchRequeue', { numberOfKeys: 1, lua: lua('match-requeue-1') });
    redis.defineCommand('matchSessionsHere', { numberOfKeys: 1, lua: read('match-sessions-here-1') });
  }
  const r = redis as unknown as Scripted;
  const key = {
    user: (u: string) => `${prefix}u:${u}`,
    node: (n: string) => `${prefix}node:${n}`,
    wait: (m: string) => `${prefix}wait:${m}`,
  };
  return {
    async join(e, now) {
      const [state, value, peer] = await r.matchJoin(
        key.user(e.userId), key.node(nodeId), prefix, e.userId, e.mode, now, e.socketId, nodeId,
        e.interests.join(','), e.gender ?? '', e.age, [...new Set(e.seeks)].sort().join(','), e.ageMin, e.ageMax, e.blocked.join(','),
      );
      if (state === 'in_session') return { state, sessionId: value };
      if (state === 'pending') return { state, sessionId: value, peerId: peer || null };
      return { state: 'queued' };
    },
    async pair(mode, now, sessionIds) {
      const flat = await r.matchPair(`${prefix}due:${mode}`, prefix, mode, now, opts.fallbackMs, opts.scan, opts.window ?? DEFAULT_WINDOW, ...sessionIds);
      const out: Pairing[] = [];
      const list = (s: string | undefined) => (s ? s.split(',') : []);
      for (let i = 0; i < flat.length; i += 6) {
        out.push({ userId: flat[i]!, peerId: flat[i + 1]!, sessionId: flat[i + 2]!, commonInterests: list(flat[i + 3]), userInterests: list(flat[i + 4]), peerInterests: list(flat[i + 5]) });
      }
      return out;
    },
    async end(userId, now, then, onlySocket, onlySession) {
      const [state, session, peer] = await r.matchEnd(key.user(userId), prefix, userId, now, opts.cooldownMs, then, onlySocket ?? '', onlySession ?? '');
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
    async requeueIfIdle(userId, recorded) {
      return (await r.matchRequeue(key.user(userId), prefix, userId, recorded ?? '')) === 1;
    },
    usersOfNode: (n) => r.smembers(key.node(n)),
    async sessionsHere() {
      const flat = await r.matchSessionsHere(key.node(nodeId), prefix);
      const out: { userId: string; sessionId: string; peerId: string }[] = [];
      for (let i = 0; i + 2 < flat.length; i += 3) out.push({ userId: flat[i]!, sessionId: flat[i + 1]!, peerId: flat[i + 2]! });
      return out;
    },
  };
}

