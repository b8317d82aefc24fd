import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './pairly.js';

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
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    let out = '';
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.on('data', (d) => (out += d));
    child = c;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`redis-server on ${port} exited (${c.exitCode}):\n${out}`);
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        /* not listening yet */
      } finally {
        probe.disconnect();
      }
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
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
