import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../server/src/config.js';
import { createLogger, type Logger } from '../../server/src/logger.js';
import { createPairly, type Pairly } from '../../server/src/pairly.js';
import { claimDir } from './claim.js';
import { createRedisPrefix, createTestDatabase, TEST_REDIS_URL } from './services.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TEST_JWT_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

/**
 * The suite signs up hundreds of users and sends thousands of requests from
 * 127.0.0.1, which the production per-address limits would refuse. Every
 * test server gets these unless its env says otherwise; the tests of the
 * limits themselves (test/integration/rate-limits.test.ts) pass '' to run
 * with the defaults.
 */
export const TEST_RATE_LIMITS: Record<string, string> = {
  SIGNUP_MAX_PER_IP: '1000000',
  // A login's point is taken before the password is judged: hundreds of test users logging in at once from
  // 127.0.0.1 are in flight together. The tests of this limit set their own.
  LOGIN_MAX_FAILURES_PER_IP: '1000000',
  HTTP_MAX_REQUESTS_PER_IP: '100000000',
};

/**
 * Test servers serve no web app unless a test asks (test/support/web.ts passes
 * the build the global set-up made): whether a developer's web/dist exists
 * must not change what a test sees.
 */
const NO_WEB_APP = { WEB_DIR: 'off' };

export interface Backing {
  env: Record<string, string>;
  databaseUrl: string;
  redisPrefix: string;
  cleanup(): Promise<void>;
}

/** A database and a Redis prefix of its own for one test file (cluster-mode backing services). */
export async function createBacking(): Promise<Backing> {
  const db = await createTestDatabase();
  const redis = createRedisPrefix();
  // The data dir holds what a node writes besides the database (the mail outbox): one per test file, not the repository's ./data.
  const data = tempDir('pairly-data');
  return {
    databaseUrl: db.url,
    redisPrefix: redis.prefix,
    env: {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: redis.prefix,
      JWT_SECRET: TEST_JWT_SECRET,
      PAIRLY_DATA_DIR: data.path,
      // Fast hashing keeps auth tests quick; production uses the default 19 MiB.
      ARGON2_MEMORY_KIB: '1024',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    },
    async cleanup() {
      await redis.cleanup();
      await db.drop();
      data.remove();
    },
  };
}

export interface InProcessNode {
  pairly: Pairly;
  url: string;
  stop(): Promise<void>;
}

/** Pairly in this test process: fast to start, and the test can reach its internals. */
export async function startInProcess(env: Record<string, string>, logger?: Logger): Promise<InProcessNode> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', ...NO_WEB_APP, ...TEST_RATE_LIMITS, ...env });
  const pairly = await createPairly(config, {
    logger: logger ?? createLogger({ level: env.LOG_LEVEL ?? 'silent', nodeId: config.nodeId }),
  });
  const port = await pairly.listen();
  return { pairly, url: `http://127.0.0.1:${port}`, stop: () => pairly.shutdown() };
}

export interface NodeProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  /**
   * SIGTERM and wait for exit; resolves with the exit code. A node still running `withinMs` later (default
   * 60 s) is SIGKILLed and the stop rejects with its output: a shutdown that hangs is a failure, and a node
   * left running would hold its port and data dir for the tests after.
   */
  stop(withinMs?: number): Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * Ports for nodes and stand-ins this test process starts. Test files run two at a time, each in a new process:
 * a process claims blocks of 20 ports (20000–29999), each a directory named after the block (claim.ts). Port
 * blocks picked by pid alone collided when two processes' pids agreed modulo the number of blocks.
 */
const PORT_BLOCKS = join(tmpdir(), 'pairly-test-ports');
const BLOCK_SIZE = 20;
const BLOCKS = 500;
let nextPort = 0;
let blockEnd = 0;

function claimPortBlock(): number {
  mkdirSync(PORT_BLOCKS, { recursive: true });
  for (let i = 0; i < BLOCKS; i++) {
    const block = (process.pid + i) % BLOCKS;
    if (claimDir(join(PORT_BLOCKS, String(block)))) return 20_000 + block * BLOCK_SIZE;
  }
  throw new Error(`no free port block under ${PORT_BLOCKS}`);
}

export function freePort(): number {
  if (nextPort === blockEnd) {
    nextPort = claimPortBlock();
    blockEnd = nextPort + BLOCK_SIZE;
  }
  return nextPort++;
}

/**
 * A real server process (`node --import tsx server/src/main.ts`: one PID),
 * waited on until /healthz answers. A `.js` entry (a build) runs on plain
 * node, from `cwd` (default the repository).
 */
export async function startNodeProcess(
  env: Record<string, string>,
  opts: { entry?: string; port?: number; waitForHealth?: boolean; cwd?: string; healthWithinMs?: number } = {},
): Promise<NodeProcess> {
  const port = opts.port ?? freePort();
  const entry = opts.entry ?? 'server/src/main.ts';
  let out = '';
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, entry], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port), HOST: '127.0.0.1', NODE_ID: `node-${port}`, ...NO_WEB_APP, ...TEST_RATE_LIMITS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const spawnedAt = Date.now();
  const elapsed = () => `${((Date.now() - spawnedAt) / 1000).toFixed(1)} s`;

  if (opts.waitForHealth !== false) {
    const deadline = Date.now() + (opts.healthWithinMs ?? 45_000);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`node on ${port} exited early (${child.exitCode}) after ${elapsed()}:\n${out}`);
      try {
        // A node that accepted the connection but does not answer must not hold the wait past its deadline.
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
        if (res.ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`node on ${port} did not become healthy within ${elapsed()}:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  const stop = async (withinMs = 60_000) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), withinMs)));
    const code = await Promise.race([kill('SIGTERM'), late]);
    clearTimeout(timer);
    if (code !== 'late') return code;
    child.kill('SIGKILL');
    await exited;
    throw new Error(`node on ${port} did not stop within ${withinMs / 1000} s of SIGTERM (killed ${elapsed()} after its start):\n${out}`);
  };
  return { url, port, child, output: () => out, kill, stop };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
