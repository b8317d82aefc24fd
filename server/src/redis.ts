import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import { DependencyState } from './dependency-state.js';
import type { Logger } from './logger.js';
import { lightPipelines } from './redis-pipeline.js';

export interface RedisClientOptions {
  /**
   * What a command does while Redis is unreachable:
   * - `failFast`: refused at once instead of queued, so a request that needs
   *   Redis answers NOT_READY now, not after the ~10 s of reconnection attempts
   *   the offline queue takes. For the clients on request paths (commands, publishing).
   * - `untilBack`: queued until Redis is back, never failed. For the Socket.IO
   *   adapter's subscriber, whose (un)subscribe calls nobody awaits.
   * - `blocking`: the same, for BullMQ workers' blocking commands.
   * - unset: queued, failed after 3 reconnection attempts.
   */
  mode?: 'failFast' | 'untilBack' | 'blocking';
  /** A command not answered within this many ms fails: a Redis that accepts connections but does not answer. */
  commandTimeoutMs?: number;
  /** Told when this client loses and regains its connection; one of its own otherwise. */
  state?: DependencyState;
  /**
   * The Socket.IO adapter's subscriber (SSUBSCRIBE). In a Redis Cluster it keeps a subscriber
   * connection per master (ioredis' sharded subscribers), each channel on the master of its slot,
   * moved with the slot when a replica takes over. No effect on a single Redis.
   */
  shardedSubscriber?: boolean;
}

/**
 * A client of the deployment's Redis: one server, or a Redis Cluster (several masters, each with
 * replicas). Both have every command, scripts (`defineCommand`), pipelines and MULTI, with the
 * Cluster's rules: a script's or a MULTI's keys share one hash slot (`slotPrefix`), and a pipeline's
 * keys one node (`bySlotGroup`).
 */
export type RedisClient = Redis | Cluster;

const CLUSTER_URL = /^redis\+cluster:\/\//;
const SENTINEL_URL = /^redis\+sentinel:\/\/([^/]+)\/(.+)$/;

const hostPorts = (list: string): ClusterNode[] =>
  list.split(',').map((hp) => {
    const at = hp.lastIndexOf(':');
    return { host: hp.slice(0, at), port: Number(hp.slice(at + 1)) };
  });

/** The sentinels and master name of a `redis+sentinel://host:port,host:port/<master name>` URL. */
export function sentinelTarget(url: string): { sentinels: { host: string; port: number }[]; name: string } | undefined {
  const m = SENTINEL_URL.exec(url);
  return m ? { sentinels: hostPorts(m[1]!) as { host: string; port: number }[], name: decodeURIComponent(m[2]!) } : undefined;
}

/** The seed nodes of a `redis+cluster://host:port,host:port` URL; undefined for a plain Redis URL. */
export function clusterNodes(url: string): ClusterNode[] | undefined {
  if (!CLUSTER_URL.test(url)) return undefined;
  return hostPorts(url.replace(CLUSTER_URL, '').replace(/\/.*$/, ''));
}

/**
 * `{part}` in a Redis Cluster, `part` on a single Redis. Cluster hashes only the part of a key
 * between its first braces, so keys that a script, a MULTI or an MGET uses together carry the same
 * tag and live in one slot (on one master). A single Redis keeps its key names as they were: nodes
 * of the previous version share them during a rolling deploy.
 */
export function hashTag(client: RedisClient, part: string): string {
  return client instanceof Cluster ? `{${part}}` : part;
}

/** `<prefix><tag>:`, the tag hash-tagged in a Cluster (`hashTag`): the prefix of keys used together. */
export const slotPrefix = (client: RedisClient, prefix: string, tag: string): string => `${prefix}${hashTag(client, tag)}:`;

/** A key's hash slot, as Redis Cluster computes it: CRC16 (XMODEM) of the key, or of its hash tag, mod 16384. */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b); // {
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/**
 * Splits items whose keys go in one pipeline into groups that a Cluster can pipeline: the keys of
 * one group are served by one master (ioredis refuses a pipeline spanning nodes). One group on a
 * single Redis. The groups are read from the client's slot map at call time; a slot that moves
 * meanwhile fails that pipeline, as any command to a moving slot may.
 */
export function bySlotGroup<T>(client: RedisClient, items: T[], keyOf: (item: T) => string): T[][] {
  if (!(client instanceof Cluster)) return items.length ? [items] : [];
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const slot = keySlot(keyOf(item));
    const node = client.slots[slot]?.[0] ?? `slot:${slot}`;
    const group = groups.get(node);
    if (group) group.push(item);
    else groups.set(node, [item]);
  }
  return [...groups.values()];
}

/**
 * A Redis client whose connection changes are reported to its DependencyState
 * (which logs an outage once). Its error listener is required: an unhandled
 * 'error' would crash the process while ioredis reconnects by itself.
 */
export function createRedis(url: string, logger: Logger, name: string, opts: RedisClientOptions = {}): RedisClient {
  const options: RedisOptions = {
    connectionName: name,
    lazyConnect: false,
    enableAutoPipelining: opts.mode !== 'blocking',
    maxRetriesPerRequest: opts.mode === 'untilBack' || opts.mode === 'blocking' ? null : 3,
    enableOfflineQueue: opts.mode !== 'failFast',
    ...(opts.commandTimeoutMs ? { commandTimeout: opts.commandTimeoutMs } : {}),
  };
  const nodes = clusterNodes(url);
  // Behind Sentinel: the sentinels name the master, asked again on every reconnection (a failover).
  const sentinel = sentinelTarget(url);
  const client: RedisClient = nodes
    ? createCluster(nodes, options, opts.shardedSubscriber ?? false)
    : sentinel
      ? new Redis({ ...options, sentinels: sentinel.sentinels, name: sentinel.name })
      : new Redis(url, options);
  lightPipelines(client);
  const state = opts.state ?? new DependencyState('redis', logger);
  client.on('ready', () => state.up(name));
  client.on('reconnecting', () => state.down(new Error('connection lost'), name));
  client.on('error', (err) => {
    // A down Redis emits an error per reconnection attempt: the state logs the outage once.
    if (client.status !== 'ready') state.down(err, name);
    logger.debug({ err, client: name }, 'redis client error');
  });
  return client;
}

/**
 * A Cluster client with one server's options: the offline queue and auto-pipelining at the Cluster
 * level, the rest on each node's connection. Reads go to masters (`scaleReads: 'master'`): Pairly
 * reads what it has just written (presence, queues, limits), which a replica may not have yet.
 * A fail-fast Cluster still queues on its nodes while a failover moves their slots (the node
 * level's offline queue), so a command caught by a master's death waits for the replica
 * (within the command timeout) instead of failing at once.
 */
function createCluster(nodes: ClusterNode[], o: RedisOptions, shardedSubscribers: boolean): Cluster {
  return new Cluster(nodes, {
    scaleReads: 'master',
    shardedSubscribers,
    lazyConnect: false,
    enableOfflineQueue: o.enableOfflineQueue,
    enableAutoPipelining: o.enableAutoPipelining,
    // A command redirected or refused while slots move (MOVED, TRYAGAIN, CLUSTERDOWN) is retried this often.
    maxRedirections: 16,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    redisOptions: {
      connectionName: o.connectionName,
      maxRetriesPerRequest: o.maxRetriesPerRequest,
      ...(o.commandTimeout ? { commandTimeout: o.commandTimeout } : {}),
    },
  });
}

/**
 * A copy of a client for blocking commands (BullMQ workers): queued until Redis is back, never
 * timed out nor failed fast, whatever the original does.
 */
export function duplicateForBlocking(client: RedisClient): RedisClient {
  const node = { maxRetriesPerRequest: null, enableAutoPipelining: false, enableOfflineQueue: true, commandTimeout: undefined };
  if (client instanceof Cluster) {
    return client.duplicate(undefined, {
      enableOfflineQueue: true,
      enableAutoPipelining: false,
      redisOptions: { ...client.options.redisOptions, maxRetriesPerRequest: null, commandTimeout: undefined },
    });
  }
  return client.duplicate(node);
}

/** Resolves once the client is connected; rejects on its first failure (start-up does not wait for an absent Redis). */
export function whenReady(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      client.off('ready', onReady);
      client.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    client.once('ready', onReady);
    client.once('error', done);
  });
}

/** QUIT when connected; otherwise just drop the connection (a QUIT queued for an absent Redis would wait for it). */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  await client.quit().catch(() => client.disconnect());
}
