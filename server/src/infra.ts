import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { createPgDatabase } from './db/pg.js';
import { createPgliteDatabase } from './db/pglite.js';
import { createJobHandlers, scheduleRecurringJobs, type Domain } from './domain.js';
import { createBullQueue, startBullWorkers } from './jobs/bullmq.js';
import { createInlineQueue } from './jobs/inline.js';
import type { JobQueue } from './jobs/jobs.js';
import type { Logger } from './logger.js';
import { createRedis } from './redis.js';
import type { PairlyServer } from './realtime/io.js';
import { createHmac } from 'node:crypto';
import { createSfuController } from '../../sfu/src/index.js';
import type { SfuController } from '../../shared/sfu.js';

/**
 * The edges that differ between embedded and cluster mode, chosen here and
 * nowhere else: the database driver, Redis, the job driver.
 */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  const db = config.databaseUrl
    ? createPgDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize, logger })
    : await createPgliteDatabase({ dir: join(config.dataDir, 'pglite') });
  try {
    await migrate(db, logger);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}

export function openRedis(config: Config, logger: Logger, name: string): Redis | undefined {
  return config.redisUrl ? createRedis(config.redisUrl, logger, `${config.nodeId}:${name}`) : undefined;
}

export interface Jobs {
  queue: JobQueue;
  /** Starts running handlers in this process when the config says so (always for the inline driver). */
  startWorkers(domain: Domain): Promise<void>;
  close(): Promise<void>;
}

export function openJobs(opts: { config: Config; logger: Logger; redis?: Redis }): Jobs {
  const { config, logger, redis } = opts;
  if (!redis) {
    const queue = createInlineQueue({ logger, retry: config.jobRetry });
    return {
      queue,
      async startWorkers(domain) {
        queue.attach(createJobHandlers(domain, logger));
        await scheduleRecurringJobs(queue, config);
      },
      close: () => queue.close(),
    };
  }
  const queue = createBullQueue({ connection: redis, prefix: config.redisPrefix, logger, retry: config.jobRetry });
  let workers: { close(): Promise<void> } | undefined;
  return {
    queue,
    async startWorkers(domain) {
      if (!config.runWorkers) return;
      workers = startBullWorkers({ connection: redis, prefix: config.redisPrefix, handlers: createJobHandlers(domain, logger), logger });
      await scheduleRecurringJobs(queue, config);
    },
    async close() {
      await workers?.close();
      await queue.close();
    },
  };
}

/**
 * A Socket.IO server with no HTTP listener: it joins the cluster through the
 * sharded adapter so that the workers process can push to users' rooms.
 */
export function openEmitter(config: Config, logger: Logger): { io: PairlyServer; close(): Promise<void> } {
  const pub = openRedis(config, logger, 'emitter-pub')!;
  const sub = openRedis(config, logger, 'emitter-sub')!;
  const io: PairlyServer = new Server({
    adapter: createShardedAdapter(pub, sub, { channelPrefix: `${config.redisPrefix}sio` }),
  });
  return {
    io,
    async close() {
      // Not io.close(): it ends by closing the Engine.IO server, which an io never attached to
      // HTTP lacks, and throws (the workers then exited 1 on SIGTERM). The adapters are what it holds.
      await Promise.allSettled([...io._nsps.values()].map((nsp) => nsp.adapter.close()));
      await sub.ping().catch(() => undefined);
      await Promise.all([pub.quit().catch(() => pub.disconnect()), sub.quit().catch(() => sub.disconnect())]);
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
    logger,
  });
}
