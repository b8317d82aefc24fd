import { Redis, type RedisOptions } from 'ioredis';
import { DependencyState } from './dependency-state.js';
import type { Logger } from './logger.js';

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
}

/**
 * A Redis client whose connection changes are reported to its DependencyState
 * (which logs an outage once). Its error listener is required: an unhandled
 * 'error' would crash the process while ioredis reconnects by itself.
 */
export function createRedis(url: string, logger: Logger, name: string, opts: RedisClientOptions = {}): Redis {
  const options: RedisOptions = {
    connectionName: name,
    lazyConnect: false,
    enableAutoPipelining: opts.mode !== 'blocking',
    maxRetriesPerRequest: opts.mode === 'untilBack' || opts.mode === 'blocking' ? null : 3,
    enableOfflineQueue: opts.mode !== 'failFast',
    ...(opts.commandTimeoutMs ? { commandTimeout: opts.commandTimeoutMs } : {}),
  };
  const client = new Redis(url, options);
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

/** Resolves once the client is connected; rejects on its first failure (start-up does not wait for an absent Redis). */
export function whenReady(client: Redis): Promise<void> {
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
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  await client.quit().catch(() => client.disconnect());
}
