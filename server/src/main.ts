import { writeSync } from 'node:fs';
import { ConfigError, loadConfig } from './config.js';
import { controlUrl, newControlSecret, writeControlInfo } from './control.js';
import { lockDataDir } from './lockfile.js';
import { createPairly } from './pairly.js';

/** Process entry: `npm start` (embedded by default) or one node of a cluster. */
async function main(): Promise<void> {
  const config = loadConfig();
  const lockedDataDir = !config.databaseUrl;
  const unlockDataDir = lockedDataDir ? lockDataDir(config.dataDir, 'pairly server') : () => undefined;
  // While this process holds the data dir, `npm run admin:create` comes through it (control.ts).
  const control = lockedDataDir ? { secret: newControlSecret() } : undefined;
  let removeControl: () => void = () => undefined;
  const unlock = () => {
    removeControl();
    unlockDataDir();
  };
  // Listening for signals before start-up (migrations can take seconds): a stop that comes meanwhile
  // waits for it and then shuts down gracefully, instead of killing the process half-started.
  let signalled: string | undefined;
  const early = (signal: string) => void (signalled ??= signal);
  process.on('SIGTERM', early).on('SIGINT', early);
  const pairly = await createPairly(config, { control }).catch((err) => {
    unlock();
    throw err;
  });
  process.off('SIGTERM', early).off('SIGINT', early);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    pairly.logger.info({ signal }, 'signal received');
    // A shutdown must end: past twice the grace period (plus the pools' own close), say which step it is stuck
    // at, written at once (the logger writes asynchronously), and exit with an error rather than hang until killed.
    const overdueMs = config.shutdownGraceSeconds * 2_000 + 10_000;
    setTimeout(() => {
      writeSync(2, `${JSON.stringify({ level: 50, time: Date.now(), node: config.nodeId, step: pairly.shutdownStep(), msg: `shutdown overdue after ${overdueMs} ms: exiting` })}\n`);
      unlock();
      process.exit(1);
    }, overdueMs).unref();
    pairly
      .shutdown()
      .then(() => {
        unlock();
        process.exit(0);
      })
      .catch((err) => {
        pairly.logger.error({ err }, 'shutdown failed');
        unlock();
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => pairly.logger.error({ err }, 'unhandled rejection'));
  if (signalled) return stop(signalled);

  const port = await pairly.listen();
  if (control) removeControl = writeControlInfo(config.dataDir, { pid: process.pid, url: controlUrl(config.host, port), secret: control.secret });
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
