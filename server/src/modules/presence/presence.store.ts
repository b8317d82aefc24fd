import { readFileSync } from 'node:fs';
import { slotPrefix, type RedisClient } from '../../redis.js';
import type { PresenceStatus } from '../../../../shared/chat.js';

export interface Change {
  before: PresenceStatus;
  after: PresenceStatus;
}

/** One of this node's live sockets, as presence should record it. */
export interface LocalSocket {
  userId: string;
  socketId: string;
  state: 'online' | 'away';
}

/**
 * Who is connected, over all devices and nodes. Drivers: memory (one
 * process) and Redis (a cluster; each multi-key change is one Lua script).
 * A node that dies leaves its sockets behind; live nodes reap them once the
 * dead node's heartbeat key has expired. Redis can also lose it all (a
 * restart without persistence, FLUSHALL): a node whose own heartbeat key is
 * gone writes its live sockets back (`reregister`).
 */
export interface PresenceStore {
  connect(userId: string, socketId: string, state: 'online' | 'away'): Promise<Change>;
  disconnect(userId: string, socketId: string): Promise<Change>;
  setState(userId: string, socketId: string, state: 'online' | 'away'): Promise<Change>;
  statuses(userIds: string[]): Promise<Map<string, { status: PresenceStatus; lastSeen: number | null }>>;
  /**
   * Marks this node alive for ttlSeconds; returns nodes whose heartbeat has
   * lapsed, and `lost`: this node's own heartbeat key was gone (Redis lost
   * its data, or this node stalled past the TTL and may have been reaped), so
   * its sockets may be missing.
   */
  heartbeat(ttlSeconds: number): Promise<{ dead: string[]; lost: boolean }>;
  /**
   * Removes a node's sockets; returns users whose status changed, with the
   * lastSeen (ms) recorded for those now offline: `seenAt` when given (a
   * graceful stop), else the node's last heartbeat (a crash). The node leaves
   * the set of nodes peers watch, unless `stillRunning` (it is rebuilding its
   * own entries: were it dropped from the set, peers would not notice it stop
   * before its next heartbeat, and the sockets it writes back would never be
   * reaped).
   */
  reap(nodeId: string, opts?: { seenAt?: number; stillRunning?: boolean }): Promise<{ userId: string; status: PresenceStatus; lastSeen?: number }[]>;
  onlineCount(): Promise<number>;
  onlineUsers(limit: number): Promise<string[]>;
  socketsPerNode(): Promise<Record<string, number>>;
  /** Writes this node's live sockets (again), in one round trip; returns each one's change. */
  reregister(sockets: LocalSocket[]): Promise<Change[]>;
  /**
   * When presence was last started from nothing (ms): the first heartbeat
   * after Redis lost its data. null: not since the last loss. Until every
   * live node has heartbeaten once after it, "offline" may mean "not
   * re-registered yet".
   */
  rebuiltAt(): Promise<number | null>;
  /** True for exactly one caller per lapse of a node (for ttlSeconds): that caller reaps and reports it. */
  claimReap(nodeId: string, ttlSeconds: number): Promise<boolean>;
  /** Called on every (re)connection to the backing store; returns the unsubscribe. */
  onReconnect(listener: () => void): () => void;
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
  // Process memory: presence starts from nothing with the process, and is never lost while it runs.
  const createdAt = Date.now();
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
    heartbeat: async () => ({ dead: [], lost: false }),
    reregister: async (list) => list.map((x) => change(x.userId, (m) => m.set(x.socketId, x.state))),
    rebuiltAt: async () => createdAt,
    claimReap: async () => true,
    onReconnect: () => () => undefined,
    reap: async () => [],
    onlineCount: async () => sockets.size,
    onlineUsers: async (limit) => [...sockets.keys()].slice(0, limit),
    socketsPerNode: async () => ({ [nodeId]: [...sockets.values()].reduce((n, m) => n + m.size, 0) }),
  };
}

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
const script = (name: string) => `${lua('_status')}\n${lua(name)}`;

type Scripted = RedisClient & {
  presenceConnect(k1: string, k2: string, k3: string, u: string, s: string, n: string, st: string): Promise<[string, string]>;
  presenceDisconnect(k1: string, k2: string, k3: string, k4: string, u: string, s: string, now: number): Promise<[string, string]>;
  presenceState(k1: string, s: string, n: string, st: string): Promise<[string, string]>;
  presenceReap(k1: string, k2: string, k3: string, k4: string, k5: string, prefix: string, node: string, seenAt: string, keep: string): Promise<string[]>;
};

export function createRedisPresence(redis: RedisClient, prefix: string, nodeId: string): PresenceStore {
  if (typeof (redis as unknown as Partial<Scripted>).presenceConnect !== 'function') {
    redis.defineCommand('presenceConnect', { numberOfKeys: 3, lua: script('presence-connect-3') });
    redis.defineCommand('presenceDisconnect', { numberOfKeys: 4, lua: script('presence-disconnect-4') });
    redis.defineCommand('presenceState', { numberOfKeys: 1, lua: script('presence-state-1') });
    redis.defineCommand('presenceReap', { numberOfKeys: 5, lua: script('presence-reap-5') });
  }
  const r = redis as unknown as Scripted;
  // One hash tag for all of presence: a reap walks a node's sockets over every user's hash, and the
  // heartbeat reads every node's key at once, so in a Redis Cluster they all live in one slot.
  const p = slotPrefix(redis, prefix, 'presence');
  const k = {
    sockets: (u: string) => `${p}sockets:${u}`,
    node: (n: string) => `${p}node:${n}`,
    alive: (n: string) => `${p}alive:${n}`,
    reaping: (n: string) => `${p}reaping:${n}`,
    rebuilt: `${p}rebuilt`,
    online: `${p}online`,
    lastSeen: `${p}lastseen`,
    nodes: `${p}nodes`,
    beats: `${p}beats`,
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
      // GET: the previous value, null when the key was gone. `rebuilt` is kept from the first heartbeat after a loss.
      const res = await r.multi().set(k.alive(nodeId), '1', 'EX', ttl, 'GET').hset(k.beats, nodeId, Date.now()).sadd(k.nodes, nodeId).set(k.rebuilt, Date.now(), 'NX').exec();
      const lost = res?.[0]?.[1] === null;
      const nodes = await r.smembers(k.nodes);
      const others = nodes.filter((n) => n !== nodeId);
      if (others.length === 0) return { dead: [], lost };
      const alive = await r.mget(...others.map(k.alive));
      return { dead: others.filter((_, i) => alive[i] === null), lost };
    },
    async reregister(list) {
      if (list.length === 0) return [];
      const pipe = r.pipeline() as unknown as Pick<Scripted, 'presenceConnect'> & { exec(): Promise<[Error | null, unknown][] | null> };
      for (const x of list) pipe.presenceConnect(k.sockets(x.userId), k.node(nodeId), k.online, x.userId, x.socketId, nodeId, x.state);
      const res = (await pipe.exec()) ?? [];
      return res.map(([err, v]) => {
        if (err) throw err;
        return asChange(v as [string, string]);
      });
    },
    async rebuiltAt() {
      const v = await r.get(k.rebuilt);
      return v === null ? null : Number(v);
    },
    async claimReap(n, ttl) {
      return (await r.set(k.reaping(n), nodeId, 'EX', ttl, 'NX')) === 'OK';
    },
    onReconnect(listener) {
      redis.on('ready', listener);
      return () => void redis.off('ready', listener);
    },
    async reap(n, { seenAt, stillRunning } = {}) {
      const at = seenAt === undefined ? '' : String(seenAt);
      const flat = await r.presenceReap(k.node(n), k.online, k.lastSeen, k.nodes, k.beats, k.sockets(''), n, at, stillRunning ? '1' : '');
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
