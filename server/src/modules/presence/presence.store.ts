import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { PresenceStatus } from '../../../../shared/chat.js';

export interface Change {
  before: PresenceStatus;
  after: PresenceStatus;
}

/**
 * Who is connected, over all devices and nodes. Drivers: memory (one
 * process) and Redis (a cluster; each multi-key change is one Lua script).
 * A node that dies leaves its sockets behind; live nodes reap them once the
 * dead node's heartbeat key has expired.
 */
export interface PresenceStore {
  connect(userId: string, socketId: string, state: 'online' | 'away'): Promise<Change>;
  disconnect(userId: string, socketId: string): Promise<Change>;
  setState(userId: string, socketId: string, state: 'online' | 'away'): Promise<Change>;
  statuses(userIds: string[]): Promise<Map<string, { status: PresenceStatus; lastSeen: number | null }>>;
  /** Marks this node alive for ttlSeconds; returns nodes whose heartbeat has lapsed. */
  heartbeat(ttlSeconds: number): Promise<string[]>;
  /**
   * Removes a node's sockets; returns users whose status changed, with the
   * lastSeen (ms) recorded for those now offline: `seenAt` when given (a
   * graceful stop), else the node's last heartbeat (a crash).
   */
  reap(nodeId: string, seenAt?: number): Promise<{ userId: string; status: PresenceStatus; lastSeen?: number }[]>;
  onlineCount(): Promise<number>;
  onlineUsers(limit: number): Promise<string[]>;
  socketsPerNode(): Promise<Record<string, number>>;
}

function statusOf(states: Iterable<string>): PresenceStatus {
  let any = false;
  for (const s of states) {
    if (s === 'online') return 'online';
    any = true;
  }
  return any ? 'away' : 'offline';
}

export function createMemoryPresence(nodeId: string): PresenceStore {
  const sockets = new Map<string, Map<string, 'online' | 'away'>>();
  const lastSeen = new Map<string, number>();
  const change = (userId: string, fn: (m: Map<string, 'online' | 'away'>) => void): Change => {
    const m = sockets.get(userId) ?? new Map();
    const before = statusOf(m.values());
    fn(m);
    if (m.size) sockets.set(userId, m);
    else {
      sockets.delete(userId);
      if (before !== 'offline') lastSeen.set(userId, Date.now());
    }
    return { before, after: statusOf(m.values()) };
  };
  return {
    connect: async (u, s, state) => change(u, (m) => m.set(s, state)),
    disconnect: async (u, s) => change(u, (m) => m.delete(s)),
    setState: async (u, s, state) => change(u, (m) => m.has(s) && m.set(s, state)),
    async statuses(ids) {
      return new Map(ids.map((id) => [id, { status: statusOf(sockets.get(id)?.values() ?? []), lastSeen: lastSeen.get(id) ?? null }]));
    },
    heartbeat: async () => [],
    reap: async () => [],
    onlineCount: async () => sockets.size,
    onlineUsers: async (limit) => [...sockets.keys()].slice(0, limit),
    socketsPerNode: async () => ({ [nodeId]: [...sockets.values()].reduce((n, m) => n + m.size, 0) }),
  };
}

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
const script = (name: string) => `${lua('_status')}\n${lua(name)}`;

type Scripted = Redis & {
  presenceConnect(k1: string, k2: string, k3: string, u: string, s: string, n: string, st: string): Promise<[string, string]>;
  presenceDisconnect(k1: string, k2: string, k3: string, k4: string, u: string, s: string, now: number): Promise<[string, string]>;
  presenceState(k1: string, s: string, n: string, st: string): Promise<[string, string]>;
  presenceReap(k1: string, k2: string, k3: string, k4: string, k5: string, prefix: string, node: string, seenAt: string): Promise<string[]>;
};

export function createRedisPresence(redis: Redis, prefix: string, nodeId: string): PresenceStore {
  if (typeof (redis as unknown as Partial<Scripted>).presenceConnect !== 'function') {
    redis.defineCommand('presenceConnect', { numberOfKeys: 3, lua: script('presence-connect-3') });
    redis.defineCommand('presenceDisconnect', { numberOfKeys: 4, lua: script('presence-disconnect-4') });
    redis.defineCommand('presenceState', { numberOfKeys: 1, lua: script('presence-state-1') });
    redis.defineCommand('presenceReap', { numberOfKeys: 5, lua: script('presence-reap-5') });
  }
  const r = redis as unknown as Scripted;
  const k = {
    sockets: (u: string) => `${prefix}presence:sockets:${u}`,
    node: (n: string) => `${prefix}presence:node:${n}`,
    alive: (n: string) => `${prefix}presence:alive:${n}`,
    online: `${prefix}presence:online`,
    lastSeen: `${prefix}presence:lastseen`,
    nodes: `${prefix}presence:nodes`,
    beats: `${prefix}presence:beats`,
  };
  const asChange = ([before, after]: [string, string]): Change => ({ before: before as PresenceStatus, after: after as PresenceStatus });
  return {
    connect: async (u, s, state) => asChange(await r.presenceConnect(k.sockets(u), k.node(nodeId), k.online, u, s, nodeId, state)),
    disconnect: async (u, s) => asChange(await r.presenceDisconnect(k.sockets(u), k.node(nodeId), k.online, k.lastSeen, u, s, Date.now())),
    setState: async (u, s, state) => asChange(await r.presenceState(k.sockets(u), s, nodeId, state)),
    async statuses(ids) {
      if (ids.length === 0) return new Map();
      const pipe = r.pipeline();
      for (const id of ids) pipe.hvals(k.sockets(id));
      pipe.hmget(k.lastSeen, ...ids);
      const res = (await pipe.exec()) ?? [];
      const seen = (res.at(-1)?.[1] as (string | null)[]) ?? [];
      return new Map(
        ids.map((id, i) => {
          const vals = (res[i]?.[1] as string[]) ?? [];
          return [id, { status: statusOf(vals.map((v) => v.slice(v.lastIndexOf('|') + 1))), lastSeen: seen[i] ? Number(seen[i]) : null }];
        }),
      );
    },
    async heartbeat(ttl) {
      await r.multi().set(k.alive(nodeId), '1', 'EX', ttl).hset(k.beats, nodeId, Date.now()).sadd(k.nodes, nodeId).exec();
      const nodes = await r.smembers(k.nodes);
      const others = nodes.filter((n) => n !== nodeId);
      if (others.length === 0) return [];
      const alive = await r.mget(...others.map(k.alive));
      return others.filter((_, i) => alive[i] === null);
    },
    async reap(n, seenAt) {
      const flat = await r.presenceReap(k.node(n), k.online, k.lastSeen, k.nodes, k.beats, `${prefix}presence:sockets:`, n, seenAt === undefined ? '' : String(seenAt));
      const out: { userId: string; status: PresenceStatus; lastSeen?: number }[] = [];
      for (let i = 0; i < flat.length; i += 3) {
        out.push({ userId: flat[i]!, status: flat[i + 1] as PresenceStatus, ...(flat[i + 2] ? { lastSeen: Number(flat[i + 2]) } : {}) });
      }
      return out;
    },
    onlineCount: () => r.scard(k.online),
    async onlineUsers(limit) {
      const [, users] = await r.sscan(k.online, '0', 'COUNT', limit);
      return users.slice(0, limit);
    },
    async socketsPerNode() {
      const nodes = await r.smembers(k.nodes);
      const counts = await Promise.all(nodes.map((n) => r.scard(k.node(n))));
      return Object.fromEntries(nodes.map((n, i) => [n, counts[i] ?? 0]));
    },
  };
}
