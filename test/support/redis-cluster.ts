import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { keySlot } from '../../server/src/redis.js';
import { tempDir } from './pairly.js';
import { redisCommand as command, spawnRedisServer, type RedisServerProcess } from './redis-server.js';

/**
 * A Redis Cluster of the test's own, from Debian's redis-server: three masters and three replicas
 * (cluster-enabled instances on their own ports, no persistence, `redis-cli --cluster create`).
 * `cluster-node-timeout` is short so a killed master's replica takes over within seconds.
 * kill() is SIGKILL by PID; start() brings an instance back on its port and directory, where its
 * nodes.conf makes it rejoin (a killed master comes back as a replica of whoever took its slots).
 */
export interface RedisCluster {
  ports: number[];
  /** `host:port,host:port,...`: REDIS_CLUSTER_NODES. */
  nodes: string;
  /** `redis+cluster://host:port,...`: the same as a REDIS_URL. */
  url: string;
  pid(port: number): number | undefined;
  /** The masters serving slots now, by port (from CLUSTER NODES of a live instance). */
  masters(): Promise<number[]>;
  /** The port of the master serving this key's slot now. */
  masterOf(key: string): Promise<number>;
  /** SIGKILL one instance and wait for its exit. */
  kill(port: number): Promise<void>;
  start(port: number): Promise<void>;
  /** Every live instance reports cluster_state:ok and every slot has a live master. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** A Cluster client of the test's own (masters only). */
  client(): Cluster;
  stop(): Promise<void>;
}

export const CLUSTER_NODE_TIMEOUT_MS = 2000;

export async function startRedisCluster(ports: number[] = [7101, 7102, 7103, 7104, 7105, 7106]): Promise<RedisCluster> {
  const dir = tempDir('pairly-redis-cluster');
  const servers = new Map<number, RedisServerProcess>();

  const start = async (port: number) => {
    const home = join(dir.path, String(port));
    mkdirSync(home, { recursive: true });
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', home,
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS),
      '--save', '', '--appendonly', 'no',
      // A replica fails over however long ago it last heard its master (no data is older than a test).
      '--cluster-replica-validity-factor', '0',
    ];
    servers.set(port, await spawnRedisServer(port, args));
  };
  const kill = async (port: number) => servers.get(port)?.kill();
  const alive = () => ports.filter((p) => servers.get(p)?.alive());
  const clusterNodes = async () => {
    for (const port of alive()) {
      const text = await command(port, 'cluster', 'nodes').catch(() => undefined);
      if (typeof text === 'string') return parseNodes(text);
    }
    throw new Error('no live cluster instance answered CLUSTER NODES');
  };
  const masters = async () => (await clusterNodes()).filter((n) => n.master && !n.failed && n.slots > 0).map((n) => n.port);

  const waitHealthy = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const states = await Promise.all(alive().map((p) => command(p, 'cluster', 'info').catch((e: Error) => e.message)));
      const ok = states.every((s) => typeof s === 'string' && s.includes('cluster_state:ok') && s.includes('cluster_slots_ok:16384'));
      if (ok) {
        const nodes = await clusterNodes();
        const servedBy = nodes.filter((n) => n.master && !n.failed && n.slots > 0);
        if (servedBy.reduce((n, m) => n + m.slots, 0) === 16384 && servedBy.every((m) => alive().includes(m.port))) return;
      }
      last = String(states[0]);
      if (Date.now() > deadline) throw new Error(`redis cluster not healthy within ${timeoutMs} ms: ${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  try {
    await Promise.all(ports.map(start));
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed (${create.status}):\n${create.stdout}\n${create.stderr}`);
    await waitHealthy();
    // Every replica in sync with its master: what a failover promotes is what the master had.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const replicas = (await clusterNodes()).filter((n) => !n.master && n.masterId).map((n) => n.port);
      const links = await Promise.all(replicas.map((p) => command(p, 'info', 'replication').catch(() => '')));
      if (replicas.length === ports.length / 2 && links.every((l) => String(l).includes('master_link_status:up'))) break;
      if (Date.now() > deadline) throw new Error('replicas did not sync with their masters');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await Promise.all(ports.map(kill));
    dir.remove();
    throw err;
  }

  const nodes = ports.map((p) => `127.0.0.1:${p}`).join(',');
  return {
    ports,
    nodes,
    url: `redis+cluster://${nodes}`,
    pid: (port) => servers.get(port)?.pid,
    masters,
    async masterOf(key) {
      const slot = keySlot(key);
      const m = (await clusterNodes()).find((n) => n.master && !n.failed && n.ranges.some(([a, b]) => slot >= a && slot <= b));
      if (!m) throw new Error(`no master serves slot ${slot}`);
      return m.port;
    },
    kill,
    start,
    waitHealthy,
    client: () => new Cluster(ports.slice(0, 3).map((port) => ({ host: '127.0.0.1', port })), { scaleReads: 'master', redisOptions: { maxRetriesPerRequest: 3 } }),
    async stop() {
      await Promise.all(ports.map(kill));
      dir.remove();
    },
  };
}

interface NodeLine {
  id: string;
  port: number;
  master: boolean;
  failed: boolean;
  masterId?: string;
  slots: number;
  ranges: [number, number][];
}

/** CLUSTER NODES: `<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot> ...`. */
function parseNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, addr, flags, master, , , , , ...slots] = line.split(' ');
      const f = flags!.split(',');
      const ranges: [number, number][] = [];
      for (const s of slots) {
        if (s.startsWith('[')) continue; // a slot being migrated
        const [a, b] = s.split('-').map(Number);
        ranges.push([a!, b ?? a!]);
      }
      const count = ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
      return { id: id!, port: Number(addr!.split('@')[0]!.split(':')[1]), master: f.includes('master'), failed: f.includes('fail'), masterId: master === '-' ? undefined : master, slots: count, ranges };
    });
}
