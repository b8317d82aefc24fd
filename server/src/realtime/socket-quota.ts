import { readFileSync } from 'node:fs';
import type { Namespace } from 'socket.io';
import { bySlotGroup, type RedisClient } from '../redis.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '../../../shared/events.js';
import type { PairlySocket } from './event-router.js';

type PairlyNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/**
 * How many sockets each user has open, over every node, so that one more
 * than the cap is refused at the handshake.
 *
 * Each open socket holds a place that lapses `ttlMs` after it was last
 * refreshed; the node that holds the socket refreshes its places every
 * ttl/3 and releases a place on disconnect. A node that dies stops
 * refreshing, so its places lapse within the TTL on their own, and a place
 * taken by a handshake that never became a connection does too. Why not a
 * counter: after a crash nobody knows how much of it belonged to the dead
 * node. Why not a hash per node: counting one user would read every node's.
 * Redis: one sorted set per user (socket id → lapse time) changed by Lua
 * scripts; memory: the same in a Map, for one process.
 */
export interface SocketQuota {
  /** Sockets one user may have open at once; how long a place lasts unless refreshed (ms). */
  readonly max: number;
  readonly ttlMs: number;
  /** Takes a place for the socket; false when the user already has `max`. */
  acquire(userId: string, socketId: string): Promise<boolean>;
  release(userId: string, socketId: string): Promise<void>;
  /** Keeps the places of sockets still open on this node from lapsing. */
  refresh(sockets: { userId: string; socketId: string }[]): Promise<void>;
}

export function createMemorySocketQuota(o: { max: number; ttlMs: number }): SocketQuota {
  const places = new Map<string, Map<string, number>>();
  return {
    max: o.max,
    ttlMs: o.ttlMs,
    async acquire(userId, socketId) {
      const now = Date.now();
      const mine = places.get(userId) ?? new Map<string, number>();
      for (const [id, until] of mine) if (until <= now) mine.delete(id);
      if (!mine.has(socketId) && mine.size >= o.max) return false;
      mine.set(socketId, now + o.ttlMs);
      places.set(userId, mine);
      return true;
    },
    async release(userId, socketId) {
      const mine = places.get(userId);
      mine?.delete(socketId);
      if (mine?.size === 0) places.delete(userId);
    },
    async refresh(sockets) {
      const until = Date.now() + o.ttlMs;
      for (const s of sockets) {
        const mine = places.get(s.userId);
        if (mine?.has(s.socketId)) mine.set(s.socketId, until);
      }
    },
  };
}

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

type Scripted = RedisClient & {
  socketQuotaAcquire(key: string, socketId: string, max: number, ttlMs: number): Promise<number>;
  socketQuotaRefresh(key: string, ttlMs: number, ...socketIds: string[]): Promise<number>;
};

export function createRedisSocketQuota(redis: RedisClient, prefix: string, o: { max: number; ttlMs: number }): SocketQuota {
  if (typeof (redis as unknown as Partial<Scripted>).socketQuotaAcquire !== 'function') {
    redis.defineCommand('socketQuotaAcquire', { numberOfKeys: 1, lua: lua('socket-quota-acquire-1') });
    redis.defineCommand('socketQuotaRefresh', { numberOfKeys: 1, lua: lua('socket-quota-refresh-1') });
  }
  const r = redis as unknown as Scripted;
  const key = (userId: string) => `${prefix}sockets:${userId}`;
  return {
    max: o.max,
    ttlMs: o.ttlMs,
    acquire: async (userId, socketId) => (await r.socketQuotaAcquire(key(userId), socketId, o.max, o.ttlMs)) === 1,
    release: async (userId, socketId) => void (await r.zrem(key(userId), socketId)),
    async refresh(sockets) {
      const byUser = new Map<string, string[]>();
      for (const s of sockets) {
        const ids = byUser.get(s.userId) ?? [];
        ids.push(s.socketId);
        byUser.set(s.userId, ids);
      }
      // One pipeline per Redis (one in all but a Cluster).
      const groups = bySlotGroup(redis, [...byUser], ([userId]) => key(userId));
      await Promise.all(
        groups.map((group) => {
          const pipe = r.pipeline();
          for (const [userId, ids] of group) (pipe as unknown as Scripted).socketQuotaRefresh(key(userId), o.ttlMs, ...ids);
          return pipe.exec();
        }),
      );
    },
  };
}

/**
 * The handshake check (after authentication) and the bookkeeping for one
 * namespace. A quota that cannot be reached lets the socket in: it guards
 * memory, and refusing every connection while Redis blips would be worse.
 * Returns a stop function for the refresh timer.
 */
export function enforceSocketQuota(
  nsp: PairlyNamespace,
  quota: SocketQuota,
  o: {
    logger: Logger;
    /** Whose places a socket takes: the user by default; another namespace counts apart (`<user>:admin`), so the one connection an admin's /admin socket shares with their main socket is not counted twice. */
    keyOf?: (userId: string) => string;
  },
): () => void {
  const keyOf = o.keyOf ?? ((u: string) => u);
  nsp.use(async (socket, next) => {
    const userId = keyOf(socket.data.userId);
    try {
      if (await quota.acquire(userId, socket.id)) return next();
    } catch (err) {
      o.logger.warn({ err, userId }, 'socket quota unavailable; socket let in');
      return next();
    }
    o.logger.info({ userId, max: quota.max }, 'socket refused: too many sockets');
    const e = new AppError('TOO_MANY_SOCKETS', `at most ${quota.max} connections per account; close one first`);
    next(Object.assign(new Error(e.message), { data: { code: e.code } }));
  });
  // One listener for every socket (`this` is the socket), not a closure per socket.
  function release(this: PairlySocket): void {
    quota.release(keyOf(this.data.userId), this.id).catch((err) => o.logger.warn({ err }, 'socket quota release failed'));
  }
  nsp.on('connection', (socket: PairlySocket) => {
    socket.on('disconnect', release);
  });
  const timer = setInterval(() => {
    const open = [...nsp.sockets.values()].map((s) => ({ userId: keyOf(s.data.userId), socketId: s.id }));
    if (open.length) quota.refresh(open).catch((err) => o.logger.warn({ err }, 'socket quota refresh failed'));
  }, Math.max(100, Math.floor(quota.ttlMs / 3)));
  timer.unref();
  return () => clearInterval(timer);
}
