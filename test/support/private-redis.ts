import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './pairly.js';

/**
 * A redis-server of this test's own (no persistence), for tests that kill
 * Redis: the shared one at 127.0.0.1:6379 serves every other test file.
 * kill() is SIGKILL; start() brings up an empty Redis on the same port, as
 * a Redis without persistence comes back after a crash.
 */
export interface PrivateRedis {
  port: number;
  url: string;
  start(): Promise<void>;
  kill(): Promise<void>;
  /** A short-lived client for the test's own reads. */
  client(): Redis;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = freePort();
  let child: ChildProcess | undefined;
  const r: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      let out = '';
      const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout!.on('data', (d) => (out += d));
      c.stderr!.on('data', (d) => (out += d));
      child = c;
      const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        for (let i = 0; ; i++) {
          if (c.exitCode !== null) throw new Error(`redis-server on ${port} exited (${c.exitCode}):\n${out}`);
          try {
            await probe.connect();
            if ((await probe.ping()) === 'PONG') return;
          } catch {
            probe.disconnect();
          }
          if (i > 100) throw new Error(`redis-server on ${port} did not answer:\n${out}`);
          await new Promise((res) => setTimeout(res, 50));
        }
      } finally {
        probe.disconnect();
      }
    },
    async kill() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((res) => c.once('exit', res));
      c.kill('SIGKILL');
      await exited;
    },
    client: () => new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 }),
  };
  await r.start();
  return r;
}
