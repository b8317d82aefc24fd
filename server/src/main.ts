import { ConfigError, loadConfig } from './config.js';
import { lockDataDir } from './lockfile.js';
import { createPairly } from './pairly.js';

/** Process entry: `npm start` (embedded by default) or one node of a cluster. */
async function main(): Promise<void> {
  const config = loadConfig();
  const unlock = config.databaseUrl ? () => undefined : lockDataDir(config.dataDir, 'pairly server');
  // Listening for signals before start-up (migrations can take seconds): a stop that comes meanwhile
  // waits for it and then shuts down gracefully, instead of killing the process half-started.
  let signalled: string | undefined;
  const early = (signal: string) => void (signalled ??= signal);
  process.on('SIGTERM', early).on('SIGINT', early);
  const pairly = await createPairly(config).catch((err) => {
    unlock();
    throw err;
  });
  process.off('SIGTERM', early).off('SIGINT', early);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    pairly.logger.info({ signal }, 'signal received');
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

  await pairly.listen();
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
