import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * A Redis client with an error listener (an unhandled 'error' would crash the
 * process while ioredis reconnects by itself). `blocking` is for BullMQ,
 * which needs maxRetriesPerRequest: null.
 */
export function createRedis(url: string, logger: Logger, name: string, opts: { blocking?: boolean } = {}): Redis {
  const options: RedisOptions = {
    connectionName: name,
    lazyConnect: false,
    enableAutoPipelining: !opts.blocking,
    ...(opts.blocking ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 3 }),
  };
  const client = new Redis(url, options);
  let lastLogged = 0;
  client.on('error', (err) => {
    // A down Redis emits an error per reconnect attempt; one line a second is enough.
    if (Date.now() - lastLogged > 1000) {
      lastLogged = Date.now();
      logger.error({ err, client: name }, 'redis client error');
    }
  });
  return client;
}
