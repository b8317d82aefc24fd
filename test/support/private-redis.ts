import { Redis } from 'ioredis';
import { freePort } from './pairly.js';
import { spawnRedisServer, type RedisServerProcess } from './redis-server.js';

/**
 * A redis-server of the test's own (no persistence), for tests that kill or
 * flush Redis: the shared one at 127.0.0.1:6379 serves every other test file
 * and is never restarted. kill() is SIGKILL; start() brings up an empty Redis
 * on the same port, as a Redis without persistence comes back after a crash.
 */
export interface PrivateRedis {
  port: number;
  url: string;
  start(): Promise<void>;
  /** SIGKILL (no save: it was started without persistence) and wait for the exit. */
  kill(): Promise<void>;
  /** kill() then start(): a new, empty redis-server on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** A short-lived client for the test's own reads. */
  client(): Redis;
  /** FLUSHALL from a client of the test's own: every key gone, no connection of the nodes' dropped. */
  flushAll(): Promise<void>;
}

export async function startPrivateRedis(port = freePort()): Promise<PrivateRedis> {
  let server: RedisServerProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    server = await spawnRedisServer(port, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  };
  const kill = async () => server?.kill();
  await start();
  return {
    port,
    url,
    start,
    kill,
    async restart() {
      await kill();
      await start();
    },
    stop: kill,
    client: () => new Redis(url, { maxRetriesPerRequest: 1 }),
    async flushAll() {
      const r = new Redis(url);
      try {
        await r.flushall();
      } finally {
        r.disconnect();
      }
    },
  };
}
