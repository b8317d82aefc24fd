import { ConfigError, loadConfig } from '../../server/src/config.js';
import { createDomain } from '../../server/src/domain.js';
import { openDatabase, openEmitter, openJobs, openRedis, openSfu } from '../../server/src/infra.js';
import { createLogger } from '../../server/src/logger.js';
import { realtimeOf } from '../../server/src/realtime/io.js';
import { createRedisPresence } from '../../server/src/modules/presence/presence.store.js';

/**
 * The cluster's job process: BullMQ workers running the same handlers the
 * embedded runner runs. Needs DATABASE_URL and REDIS_URL.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.redisUrl || !config.databaseUrl) {
    throw new ConfigError(['workers need DATABASE_URL and REDIS_URL (embedded mode runs jobs in the server)']);
  }
  const logger = createLogger({ level: config.logLevel, nodeId: `${config.nodeId}-workers` });
  const db = await openDatabase(config, logger);
  const redis = openRedis(config, logger, 'workers')!;
  // Pushes from jobs (a wallet credited by a webhook) reach users through the cluster's adapter.
  const emitter = openEmitter(config, logger);
  const jobs = openJobs({ config: { ...config, runWorkers: true }, logger, redis });
  const domain = createDomain({
    config,
    jwtSecret: config.jwtSecret!,
    db,
    logger,
    jobs: jobs.queue,
    realtime: realtimeOf(() => emitter.io),
    // Read-only here: call ticks ask whether the participants are still connected somewhere.
    presence: createRedisPresence(redis, config.redisPrefix, `${config.nodeId}-workers`),
    // Ticks that end a call for lack of credits destroy its room.
    sfu: openSfu(config, config.jwtSecret!, logger),
  });
  await jobs.startWorkers(domain);
  logger.info('workers running');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    logger.info('workers stopping');
    await jobs.close(); // waits for active jobs
    await emitter.close();
    await redis.quit().catch(() => redis.disconnect());
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
