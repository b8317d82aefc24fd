import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';

/**
 * One redis-server process of a test's own (Debian's package), on its own port: what the private
 * Redis, the Redis Cluster and the Sentinel set-ups are made of. Its output is kept for the error
 * that says why it did not start; kill() is SIGKILL by PID (what a crash looks like to clients).
 */
export interface RedisServerProcess {
  port: number;
  pid: number | undefined;
  /** What it printed so far. */
  output(): string;
  alive(): boolean;
  /** SIGKILL, and wait for the exit (at once when it is not running). */
  kill(): Promise<void>;
}

/** Spawns `redis-server <args>` and waits until it answers PING on `port` (10 s). */
export async function spawnRedisServer(port: number, args: string[]): Promise<RedisServerProcess> {
  let out = '';
  const c: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  c.stdout!.on('data', (d) => (out += d));
  c.stderr!.on('data', (d) => (out += d));
  const alive = () => c.exitCode === null && c.signalCode === null;
  const proc: RedisServerProcess = {
    port,
    pid: c.pid,
    output: () => out,
    alive,
    async kill() {
      if (!alive()) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
  };
  await until(
    async () => {
      if (c.exitCode !== null) throw new Error(`redis-server on ${port} exited (${c.exitCode}):\n${out}`);
      return (await redisCommand(port, 'ping').catch(() => undefined)) === 'PONG';
    },
    10_000,
    () => `redis-server on ${port} to answer:\n${out}`,
    { rethrow: true },
  );
  return proc;
}

/** One command on a short-lived connection (no retries: a server that is down fails at once). */
export async function redisCommand(port: number, ...args: string[]): Promise<unknown> {
  const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await r.call(args[0]!, ...args.slice(1));
  } finally {
    r.disconnect();
  }
}

/**
 * Polls `check` every 50 ms until it is true; a check that throws counts as false unless `rethrow`
 * (a process that exited will not come back). Times out with what it waited for.
 */
export async function until(check: () => Promise<boolean>, ms: number, what: () => string, o: { rethrow?: boolean } = {}): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      if (o.rethrow) throw err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
