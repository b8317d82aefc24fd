import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { clusterNodes, sentinelTarget } from '../redis.js';
import pg from 'pg';

/**
 * `npm run cluster -- --nodes 3`: a local cluster without Docker, for
 * developers and load testers. N server nodes on ports base..base+N-1 and one
 * workers process, all against local PostgreSQL and Redis. No proxy: each
 * client picks a node URL. Production is docker-compose.yml behind nginx.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SECRET_FILE = join(ROOT, 'data', 'cluster-jwt-secret');
const HEALTH_TIMEOUT_MS = 60_000;
const USAGE = `usage: npm run cluster -- [--nodes 3] [--base-port 4001] [--host 127.0.0.1] [--database-url URL] [--redis-url URL]
  --database-url  else $DATABASE_URL, else postgres://127.0.0.1:5432/pairly (created if missing)
  --redis-url     else $REDIS_URL, else redis://127.0.0.1:6379
  JWT_SECRET      from the env, else ./data/cluster-jwt-secret (generated on first use)`;

/** A value and where it came from, for the summary. */
type Setting = { value: string; from: string };
type Child = { name: string; isNode: boolean; proc: ChildProcess; done: boolean; closed: Promise<void> };

const children: Child[] = [];
/** Children that died on their own, or did not stop cleanly when told to: any makes the exit code non-zero. */
const failures: string[] = [];
let stopping = false;
const log = (msg: string) => process.stdout.write(`[cluster] ${msg}\n`);
const redact = (url: string) => url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');

function usageError(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseFlags() {
  try {
    return parseArgs({
      options: {
        nodes: { type: 'string', short: 'n', default: '3' },
        'base-port': { type: 'string', default: '4001' },
        host: { type: 'string', default: '127.0.0.1' },
        'database-url': { type: 'string' },
        'redis-url': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    return usageError((err as Error).message);
  }
}

function intFlag(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) usageError(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

function setting(flag: string | undefined, envName: string, fallback: string): Setting {
  if (flag) return { value: flag, from: 'flag' };
  const env = process.env[envName];
  return env ? { value: env, from: `env ${envName}` } : { value: fallback, from: 'default' };
}

/** Every node must share the secret, and tokens should survive a restart of the cluster. */
function jwtSecret(): Setting {
  if (process.env.JWT_SECRET) return { value: process.env.JWT_SECRET, from: 'env JWT_SECRET' };
  try {
    const existing = readFileSync(SECRET_FILE, 'utf8').trim();
    if (existing.length >= 32) return { value: existing, from: SECRET_FILE };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(SECRET_FILE), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(SECRET_FILE, `${secret}\n`, { mode: 0o600 });
  return { value: secret, from: `${SECRET_FILE} (generated now)` };
}

/** Creates the database named in `url` unless it exists, through the `postgres` database beside it. */
async function ensureDatabase(url: string): Promise<boolean> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new Error(`DATABASE_URL ${redact(url)} names no database`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '42P04') return false; // created by someone else meanwhile
    throw new Error(`PostgreSQL at ${redact(admin.toString())}: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(url: string): Promise<void> {
  // A Cluster or Sentinel URL: its first seed node (or sentinel) answering is enough to start; the nodes find the rest.
  const [first] = (clusterNodes(url) as { host: string; port: number }[] | undefined) ?? sentinelTarget(url)?.sentinels ?? [];
  const r = new Redis(first ? `redis://${first.host}:${first.port}` : url, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  let cause: Error | undefined; // the socket error says more than the "Connection is closed" that follows it
  r.on('error', (err: Error) => (cause ??= err));
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    throw new Error(`Redis is not reachable at ${redact(url)}: ${(cause ?? (err as Error)).message}`);
  } finally {
    r.disconnect();
  }
}

/** `node --import tsx <entry>`: one PID per child; every output line prefixed with its name. */
function start(name: string, entry: string, env: Record<string, string>, isNode: boolean): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const [from, to] of [[proc.stdout, process.stdout], [proc.stderr, process.stderr]] as const) {
    createInterface({ input: from!, crlfDelay: Infinity }).on('line', (line) => to.write(`[${name}] ${line}\n`));
  }
  const child: Child = { name, isNode, proc, done: false, closed: Promise.resolve() };
  // 'close' rather than 'exit': it comes after the child's last output line.
  child.closed = new Promise((resolve) =>
    proc.once('close', (code, signal) => {
      child.done = true;
      resolve();
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (stopping) {
        if (code === 0) return;
        failures.push(`${name} (${how})`);
        return log(`${name} did not stop cleanly (${how})`);
      }
      failures.push(`${name} (${how})`);
      log(`${name} exited unexpectedly (${how})`);
      // One node lost leaves a working cluster (node loss can be tried by hand); no nodes, or no workers, does not.
      if (!isNode) {
        log('the workers process is gone; stopping');
        void shutdown(1);
      } else if (children.every((c) => !c.isNode || c.done)) {
        log('every server node has died; stopping');
        void shutdown(1);
      }
    }),
  );
  proc.on('error', (err) => log(`${name}: ${err.message}`));
  children.push(child);
  return child;
}

let exitCode = 0;
/** Stops every child, then exits; a second call (a signal during a stop) only raises the exit code. */
async function shutdown(code: number): Promise<void> {
  exitCode = Math.max(exitCode, code);
  if (stopping) return;
  stopping = true;
  for (const c of children) if (!c.done) c.proc.kill('SIGTERM');
  await Promise.all(children.map((c) => c.closed));
  if (failures.length > 0) {
    log(`stopped with failures: ${failures.join(', ')}`);
    process.exit(exitCode || 1);
  }
  log('stopped');
  process.exit(exitCode);
}

async function waitHealthy(child: Child, url: string): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (!(await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false))) {
    if (child.done) throw new Error(`${child.name} exited before answering ${url}/healthz`);
    if (Date.now() > deadline) throw new Error(`${child.name} did not answer ${url}/healthz in ${HEALTH_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  const flags = parseFlags();
  if (flags.help) return void console.log(USAGE);
  const count = intFlag('nodes', flags.nodes, 1, 64);
  const basePort = intFlag('base-port', flags['base-port'], 1, 65536 - count);
  const database = setting(flags['database-url'], 'DATABASE_URL', 'postgres://127.0.0.1:5432/pairly');
  const redis = setting(flags['redis-url'], 'REDIS_URL', 'redis://127.0.0.1:6379');
  const secret = jwtSecret();
  // libpq (psql) logs in as the OS user when the URL names none; pg reads only $USER or $PGUSER.
  if (!new URL(database.value).username && !process.env.PGUSER && !process.env.USER) {
    process.env.PGUSER = userInfo().username; // the children inherit it
  }
  const created = await ensureDatabase(database.value);
  await checkRedis(redis.value);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log(`${signal} again: killing what is left`);
      for (const c of children) if (!c.done) c.proc.kill('SIGKILL');
      return;
    }
    log(`${signal}: stopping every process (send it again to force)`);
    void shutdown(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const shared = { DATABASE_URL: database.value, REDIS_URL: redis.value, JWT_SECRET: secret.value };
  const probeHost = flags.host === '0.0.0.0' ? '127.0.0.1' : flags.host;
  const nodes = Array.from({ length: count }, (_, i) => {
    const port = basePort + i;
    const env = { ...shared, PORT: String(port), HOST: flags.host, NODE_ID: `node-${port}` };
    return { child: start(`node-${port}`, 'server/src/main.ts', env, true), url: `http://${probeHost}:${port}` };
  });
  start('workers', 'workers/src/main.ts', { ...shared, NODE_ID: 'cluster' }, false);

  try {
    await Promise.all(nodes.map((n) => waitHealthy(n.child, n.url)));
  } catch (err) {
    if (stopping) return; // a signal or the death of every node got there first
    log(`${(err as Error).message}; stopping`);
    await shutdown(1);
  }
  if (stopping) return;
  const summary = [
    `Pairly cluster is up: ${count} server node(s) and 1 workers process.`,
    ...nodes.map((n) => `  ${n.child.name.padEnd(12)} ${n.url}   REST ${n.url}/api   Socket.IO path /socket.io`),
    `  DATABASE_URL ${redact(database.value)}   [${database.from}${created ? '; database created now' : ''}]`,
    `  REDIS_URL    ${redact(redis.value)}   [${redis.from}]`,
    ...(process.env.REDIS_PREFIX ? [`  REDIS_PREFIX ${process.env.REDIS_PREFIX}   [env REDIS_PREFIX]`] : []),
    `  JWT_SECRET   [${secret.from}]`,
    'No proxy in front: point each client at one node. Ctrl-C stops everything.',
  ];
  log(summary.join('\n'));
}

main().catch((err) => {
  log(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
  void shutdown(1);
});
