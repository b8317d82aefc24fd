import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../server/src/config.js';
import { createLogger, type Logger } from '../../server/src/logger.js';
import { createPairly, type Pairly } from '../../server/src/pairly.js';
import WebSocket from 'ws';
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
  // SIGUSR2 makes Node write a diagnostic report (JavaScript and native stacks, open handles) even when the
  // event loop is stuck: what a node that does not stop is doing (stop() below asks for it before killing).
  const reports = join(tmpdir(), `pairly-node-reports-${process.pid}-${port}`);
  mkdirSync(reports, { recursive: true });
  // SIGUSR1 opens the inspector on this port (not before): it can pause JavaScript that never yields.
  const inspectPort = freePort();
  const diagnostics = ['--report-on-signal', '--report-signal=SIGUSR2', `--report-directory=${reports}`, '--report-compact', `--inspect-port=127.0.0.1:${inspectPort}`];
  const child = spawn(process.execPath, [...diagnostics, ...loader, entry], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port), HOST: '127.0.0.1', NODE_ID: `node-${port}`, ...NO_WEB_APP, ...TEST_RATE_LIMITS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => rmSync(reports, { recursive: true, force: true }));
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
    const report = await diagnosticReport();
    child.kill('SIGKILL');
    await exited;
    throw new Error(`node on ${port} did not stop within ${withinMs / 1000} s of SIGTERM (killed ${elapsed()} after its start):\n${out}\n${report}`);
  };
  /** Asks the running node for its diagnostic report and returns the parts that say where it is. */
  const diagnosticReport = async (): Promise<string> => {
    child.kill('SIGUSR2');
    for (let waited = 0; waited < 5_000; waited += 200) {
      await new Promise((r) => setTimeout(r, 200));
      if (child.exitCode !== null || child.signalCode !== null) return '(it exited while the diagnostic report was asked for)';
      const file = existsSync(reports) ? readdirSync(reports).find((f) => f.endsWith('.json')) : undefined;
      if (!file) continue;
      try {
        const r = JSON.parse(readFileSync(join(reports, file), 'utf8'));
        rmSync(reports, { recursive: true, force: true });
        const handles = (r.libuv ?? []).filter((h: { is_active?: boolean }) => h.is_active).map((h: { type: string; details?: string }) => `${h.type}${h.details ? ` ${h.details}` : ''}`);
        return [
          '--- diagnostic report (SIGUSR2) ---',
          `JavaScript: ${r.javascriptStack?.message ?? ''}\n${(r.javascriptStack?.stack ?? []).slice(0, 30).join('\n')}`,
          `native:\n${(r.nativeStack ?? []).slice(0, 30).map((f: { symbol: string }) => f.symbol).join('\n')}`,
          `active libuv handles: ${handles.join('; ')}`,
        ].join('\n');
      } catch {
        /* still being written */
      }
    }
    // Node writes the report from its event loop: none means the loop itself is stuck (JavaScript or
    // WebAssembly that does not return, or a blocking system call). The inspector can still pause running
    // JavaScript; the threads' native stacks say the rest.
    const paused = await pausedStack(child, inspectPort).catch((err) => `inspector: ${(err as Error).message}`);
    const stacks = await new Promise<string>((resolve) =>
      execFile('gdb', ['-p', String(child.pid), '-batch', '-ex', 'thread apply all bt 12'], { timeout: 30_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) =>
        resolve(err && !stdout ? `gdb: ${err.message}` : `${stdout}${stderr}`),
      ),
    );
    rmSync(reports, { recursive: true, force: true });
    return `--- no diagnostic report within 5 s of SIGUSR2: the event loop is stuck ---\nJavaScript (paused through the inspector):\n${paused}\nnative stacks (gdb):\n${stacks}`;
  };
  return { url, port, child, output: () => out, kill, stop };
}

/** Opens the inspector of a running node (SIGUSR1), pauses it and returns where its JavaScript was. */
async function pausedStack(child: ChildProcess, port: number): Promise<string> {
  child.kill('SIGUSR1');
  let target: string | undefined;
  for (let i = 0; i < 25 && !target; i++) {
    await new Promise((r) => setTimeout(r, 200));
    target = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(1_000) })
      .then(async (r) => ((await r.json()) as { webSocketDebuggerUrl: string }[])[0]?.webSocketDebuggerUrl)
      .catch(() => undefined);
  }
  if (!target) return 'the inspector did not open within 5 s';
  const ws = new WebSocket(target);
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not paused within 10 s')), 10_000);
      ws.on('error', reject);
      ws.on('open', () => {
        ws.send(JSON.stringify({ id: 1, method: 'Debugger.enable' }));
        ws.send(JSON.stringify({ id: 2, method: 'Debugger.pause' }));
      });
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { method?: string; params?: { callFrames: { functionName: string; url: string; location: { lineNumber: number } }[] } };
        if (m.method !== 'Debugger.paused') return;
        clearTimeout(timer);
        resolve(m.params!.callFrames.slice(0, 40).map((f) => `  ${f.functionName || '(anonymous)'} ${f.url.replace(`file://${ROOT.replace(/\/$/, '')}/`, '')}:${f.location.lineNumber + 1}`).join('\n'));
      });
    });
  } finally {
    ws.terminate();
  }
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
