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

  // What is open, closed in reverse order on a signal. The handlers go in before anything opens,
  // so that a stop during start-up (migrations, Redis) still closes what was opened and exits 0.
  const opened: { what: string; close: () => Promise<unknown> }[] = [];
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    logger.info('workers stopping');
    // Every step runs even when one before it failed, so Redis and the database are always closed;
    // a failed step makes the exit code 1 (the cluster command reports it).
    let failed = false;
    for (const { what, close } of [...opened].reverse()) {
      try {
        await close();
      } catch (err) {
        failed = true;
        logger.error({ err }, `workers stop: closing the ${what} failed`);
      }
    }
    logger.info('workers stopped');
    process.exit(failed ? 1 : 0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());

  // A stop while the database opens (migrations) waits for it, then closes it.
  const opening = openDatabase(config, logger);
  opened.push({ what: 'database', close: async () => (await opening).close() });
  const db = await opening;
  if (stopping) return;
  const redis = openRedis(config, logger, 'workers')!;
  opened.push({ what: 'redis', close: () => redis.quit().catch(() => redis.disconnect()) });
  // Pushes from jobs (a wallet credited by a webhook) reach users through the cluster's adapter.
  const emitter = openEmitter(config, logger);
  opened.push({ what: 'emitter', close: () => emitter.close() });
  const jobs = openJobs({ config: { ...config, runWorkers: true }, logger, redis });
  opened.push({ what: 'jobs', close: () => jobs.close() }); // waits for active jobs
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
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
