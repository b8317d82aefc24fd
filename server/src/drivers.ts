import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import type { RedisClient } from './redis.js';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Config } from './config.js';
import { createMemoryCounters, createRedisCounters, type Counters } from './counters.js';
import type { Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { createPgDatabase } from './db/pg.js';
import { createPgliteDatabase } from './db/pglite.js';
import { withReplicas } from './db/replicas.js';
import { DependencyState } from './dependency-state.js';
import { createInlineQueue } from './jobs/inline.js';
import type { DeadLetterSink, JobHandlers, JobQueue, JobSchedule } from './jobs/jobs.js';
import type { Logger } from './logger.js';
import { limiterFactory, syncedLimiterFactory, type LimiterFactory, type SyncedLimiterFactory } from './ratelimit.js';
import { closeRedis, createRedis, whenReady, type RedisClientOptions } from './redis.js';
import { createMemorySocketQuota, createRedisSocketQuota, type SocketQuota } from './realtime/socket-quota.js';
import { createMemoryRevocations, createRedisRevocations, type RevocationOptions, type SessionRevocations } from './modules/auth/revocations.js';
import { createMemoryMatchQueue, createRedisMatchQueue, type MatchQueue } from './modules/match/match.queue.js';
import { createMemoryPresence, createRedisPresence, type PresenceStore } from './modules/presence/presence.store.js';
import { createSfuController } from '../../sfu/src/index.js';
import { createTokenSigner } from './modules/media/signed-token.js';
import type { MediaStorage } from './modules/media/storage.js';
import { createLocalStorage } from './modules/media/storage.local.js';
import { createS3Storage } from './modules/media/storage.s3.js';
import type { SfuController } from '../../shared/sfu.js';

/**
 * What differs between embedded mode and a cluster, chosen here and nowhere
 * else: with REDIS_URL every driver is the Redis one (shared by all nodes),
 * without it every driver is the in-process one. Config refuses
 * DATABASE_URL without REDIS_URL unless one node is meant.
 */
export interface Drivers {
  db: Database;
  /** The command client (fail-fast on a server node); absent in embedded mode. */
  redis?: RedisClient;
  jobs: Jobs;
  /** Socket.IO's adapter: the sharded Redis one, or undefined for the in-memory default. */
  ioAdapter?: ReturnType<typeof createShardedAdapter>;
  /**
   * Resolves once the adapter's subscriber has answered everything sent to it before (a PING behind
   * its re-subscriptions after a reconnection). On a Redis Cluster, whose subscribers are per master
   * and internal to ioredis, at once.
   */
  subscribed(): Promise<void>;
  presence: PresenceStore;
  revocations(o: RevocationOptions): SessionRevocations;
  counters: Counters;
  matchQueue: MatchQueue;
  socketQuota: SocketQuota;
  limiter: LimiterFactory;
  /** Limits counted per node and synced to Redis in batches (no round trip per event); in memory without Redis. */
  syncedLimiter: SyncedLimiterFactory;
  /** Each outage of a dependency is logged once when it starts and once when it ends. */
  dependencies: { database: DependencyState; redis: DependencyState };
  /** Closes in reverse: jobs (waiting for active ones), the adapter's and the command Redis clients, the database. */
  close(): Promise<void>;
}

export interface Jobs {
  queue: JobQueue;
  /** Starts running handlers in this process when the config says so (always for the inline driver). */
  startWorkers(run: { handlers: JobHandlers; onDead: DeadLetterSink; schedules: JobSchedule[] }): Promise<void>;
  close(): Promise<void>;
}

/**
 * `node`: a server node (fail-fast Redis on request paths, start-up waits for Redis).
 * `workers`: the cluster's job process (always runs workers; its presence is read-only).
 */
export async function openDrivers(config: Config, logger: Logger, opts: { role: 'node' | 'workers' }): Promise<Drivers> {
  const node = opts.role === 'node';
  const dependencies = { database: new DependencyState('database', logger), redis: new DependencyState('redis', logger) };
  const db = await openDatabase(config, logger, node ? dependencies.database : undefined);
  const clients: RedisClient[] = [];
  try {
    const open = (name: string, o: Omit<RedisClientOptions, 'commandTimeoutMs' | 'state'> = {}) => {
      const c = openRedis(config, logger, name, node ? { ...o, state: dependencies.redis } : o);
      if (c) clients.push(c);
      return c;
    };
    const redis = node ? open('cmd', { mode: 'failFast' }) : open('workers');
    const pubSub = redis && (node
      ? { pub: open('pub', { mode: 'failFast' })!, sub: open('sub', { mode: 'untilBack', shardedSubscriber: true })! }
      : { pub: open('emitter-pub')!, sub: open('emitter-sub', { mode: 'untilBack', shardedSubscriber: true })! });
    // Fail-fast clients refuse commands until connected: start-up waits for them (and fails if Redis is absent).
    if (node && redis && pubSub) await Promise.all([whenReady(redis), whenReady(pubSub.pub)]);

    const p = config.redisPrefix;
    const presenceNode = node ? config.nodeId : `${config.nodeId}-workers`;
    const matchOptions = { fallbackMs: config.match.fallbackMs, cooldownMs: config.match.cooldownMs, scan: 500 };
    const quotaOptions = { max: config.socketsPerUserMax, ttlMs: config.socketQuotaTtlSeconds * 1000 };
    const jobs = await openJobs({ config: node ? config : { ...config, runWorkers: true }, logger, redis });
    const closeJobs = once(() => jobs.close());
    return {
      db,
      redis,
      jobs: { ...jobs, close: closeJobs },
      ioAdapter: pubSub && createShardedAdapter(pubSub.pub, pubSub.sub, { channelPrefix: `${p}sio` }),
      async subscribed() {
        if (pubSub?.sub instanceof Redis && pubSub.sub.status === 'ready') await pubSub.sub.ping();
      },
      presence: redis ? createRedisPresence(redis, p, presenceNode) : createMemoryPresence(presenceNode),
      revocations: (o) =>
        redis ? createRedisRevocations(redis, p, { ...o, onError: (err) => logger.error({ err }, 'revocations reload failed') }) : createMemoryRevocations(o),
      counters: redis ? createRedisCounters(redis, p, (err) => logger.debug({ err }, 'counter failed')) : createMemoryCounters(),
      matchQueue: redis ? createRedisMatchQueue(redis, p, config.nodeId, matchOptions) : createMemoryMatchQueue(matchOptions),
      // Places lapse on the presence TTL: a dead node's sockets stop counting when they go offline.
      socketQuota: redis ? createRedisSocketQuota(redis, p, quotaOptions) : createMemorySocketQuota(quotaOptions),
      limiter: limiterFactory(redis, p),
      syncedLimiter: syncedLimiterFactory(redis, p, logger),
      dependencies,
      async close() {
        await closeJobs();
        // The sharded adapter's close() does not return ioredis' SUNSUBSCRIBE promises; a PING queued
        // behind them resolves once they are answered, so quitting afterwards rejects nothing.
        if (pubSub?.sub.status === 'ready') await pubSub.sub.ping().catch(() => undefined);
        await Promise.all(clients.map(closeRedis));
        await db.close();
      },
    };
  } catch (err) {
    await Promise.all(clients.map(closeRedis));
    await db.close().catch(() => undefined);
    throw err;
  }
}

export async function openDatabase(config: Config, logger: Logger, state?: DependencyState): Promise<Database> {
  const db = config.databaseUrl
    ? createPgDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize, connectTimeoutMs: config.databaseConnectTimeoutMs, logger, state })
    : await createPgliteDatabase({ dir: join(config.dataDir, 'pglite'), logger });
  try {
    await migrate(db, logger);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  const r = config.databaseReplicas;
  if (!config.databaseUrl || r.urls.length === 0) return db;
  const withReads = withReplicas(db, { ...r, poolSize: config.databasePoolSize, connectTimeoutMs: config.databaseConnectTimeoutMs, logger });
  // A replica down at start-up is not fatal: reads go to the primary until its check passes.
  await withReads.checkReplicas();
  return withReads;
}

/** A client of the deployment's Redis; `failFast` ones also get the command timeout. */
function openRedis(config: Config, logger: Logger, name: string, opts: Omit<RedisClientOptions, 'commandTimeoutMs'> = {}): RedisClient | undefined {
  if (!config.redisUrl) return undefined;
  const commandTimeoutMs = opts.mode === 'failFast' ? config.redisCommandTimeoutMs : undefined;
  return createRedis(config.redisUrl, logger, `${config.nodeId}:${name}`, { ...opts, commandTimeoutMs });
}

async function openJobs(opts: { config: Config; logger: Logger; redis?: RedisClient }): Promise<Jobs> {
  const { config, logger, redis } = opts;
  const schedule = async (queue: JobQueue, schedules: JobSchedule[]) => {
    for (const s of schedules) await queue.schedule(s.name, s.payload, s.everyMs);
  };
  if (!redis) {
    const queue = createInlineQueue({ logger, retry: config.jobRetry });
    return {
      queue,
      async startWorkers(run) {
        queue.attach(run.handlers, run.onDead);
        await schedule(queue, run.schedules);
      },
      close: () => queue.close(),
    };
  }
  // BullMQ only with Redis: an embedded server does not load it.
  const { createBullQueue, startBullWorkers } = await import('./jobs/bullmq.js');
  const queue = createBullQueue({
    connection: redis,
    prefix: config.redisPrefix,
    logger,
    retry: config.jobRetry,
    scheduleCheckMs: config.jobWorkers.scheduleCheckSeconds * 1000,
  });
  let workers: { close(): Promise<void> } | undefined;
  return {
    queue,
    async startWorkers(run) {
      if (!config.runWorkers) return;
      workers = startBullWorkers({ connection: redis, prefix: config.redisPrefix, handlers: run.handlers, logger, onDead: run.onDead, stall: config.jobWorkers });
      await schedule(queue, run.schedules);
    },
    async close() {
      await workers?.close();
      await queue.close();
    },
  };
}

/** The Janus pool's controller, when SFU_JANUS_INSTANCES is set; calls and video matches are off otherwise. */
export function openSfu(config: Config, jwtSecret: string, logger: Logger): SfuController | undefined {
  if (config.sfu.instances.length === 0) return undefined;
  return createSfuController({
    instances: config.sfu.instances,
    // Every node derives the same room ids, secrets and tokens: from SFU_SECRET, or from the shared JWT secret.
    secret: config.sfu.secret ?? createHmac('sha256', jwtSecret).update('pairly-sfu').digest('hex'),
    timeoutMs: config.sfu.timeoutMs,
    circuit: config.sfu.breaker,
    logger,
  });
}

/**
 * Where media bytes go: the data dir (embedded mode, or a volume every node shares) or an S3 bucket;
 * undefined when config.media.storage is null (media off: its routes answer MEDIA_UNAVAILABLE).
 */
export function openMediaStorage(config: Config, jwtSecret: string): MediaStorage | undefined {
  const c = config.media.storage;
  if (!c) return undefined;
  if (c.driver === 's3') return createS3Storage(c);
  // Every node derives the same key, so any node verifies the URLs another signed.
  return createLocalStorage({ dir: c.dir, signer: createTokenSigner(createHmac('sha256', jwtSecret).update('pairly-media-urls').digest()) });
}

function once(f: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= f());
}
