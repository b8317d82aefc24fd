import { ConfigError, loadConfig } from '../../server/src/config.js';
import { Server } from 'socket.io';
import { createModules, jobHandlersOf, schedulesOf } from '../../server/src/modules.js';
import { openDrivers, openSfu, type Drivers } from '../../server/src/drivers.js';
import { createLogger } from '../../server/src/logger.js';
import { realtimeOf, type PairlyServer } from '../../server/src/realtime/io.js';

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

  // A stop while the drivers open (migrations) waits for them, then closes them.
  const opening = openDrivers(config, logger, { role: 'workers' });
  opened.push({ what: 'drivers', close: async () => (await opening).close() });
  const drivers = await opening;
  if (stopping) return;
  // Pushes from jobs (a wallet credited by a webhook) reach users through the cluster's adapter.
  const emitter = openEmitter(drivers);
  opened.push({ what: 'emitter', close: () => emitter.close() });
  opened.push({ what: 'jobs', close: () => drivers.jobs.close() }); // waits for active jobs
  // The same list a server node mounts; only its jobs and schedules run here (no routes, events or start).
  // Presence is read-only here: call ticks ask whether the participants are still connected somewhere.
  const modules = createModules({
    config,
    jwtSecret: config.jwtSecret!,
    logger,
    drivers,
    realtime: realtimeOf(() => emitter.io),
    // Ticks that end a call for lack of credits destroy its room.
    sfu: openSfu(config, config.jwtSecret!, logger),
  });
  // Analytics events the jobs recorded (purchases) are written before the database closes, after the jobs have stopped.
  opened.splice(1, 0, { what: 'analytics events', close: () => modules.analyticsRecorder.stop() });
  await drivers.jobs.startWorkers({ handlers: jobHandlersOf(modules.list), onDead: (f) => modules.deadLetters.record(f), schedules: schedulesOf(modules.list) });
  logger.info('workers running');
}

/**
 * A Socket.IO server with no HTTP listener: it joins the cluster through the
 * sharded adapter so that jobs can push to users' rooms.
 */
function openEmitter(drivers: Drivers): { io: PairlyServer; close(): Promise<void> } {
  const io: PairlyServer = new Server({ adapter: drivers.ioAdapter });
  return {
    io,
    async close() {
      // Not io.close(): it also closes the engine, which a server never attached to HTTP does not have
      // (a TypeError that left Redis and the database open). The adapters are all this server holds;
      // their Redis clients are the drivers', closed after this.
      await Promise.allSettled([...io._nsps.values()].map((nsp) => nsp.adapter.close()));
    },
  };
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
