import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { connect, http, newUser } from '../support/client.js';
import { exclusive } from '../support/exclusive.js';
import { freePort, startNodeProcess as startNode, tempDir, type NodeProcess } from '../support/pairly.js';
import { waitFor } from '../support/client.js';

/** Embedded mode as a newcomer runs it: no DATABASE_URL, no REDIS_URL, nothing but Node. */
const dir = tempDir('pairly-embedded');
// Info: a failed test prints the node's log, which then says how far start-up or shut-down got.
const env = { PAIRLY_DATA_DIR: dir.path, LOG_LEVEL: 'info', ARGON2_MEMORY_KIB: '1024' };
/**
 * A first start creates the PostgreSQL data dir and runs every migration in WebAssembly: 7–12 s here, 20–40 s
 * on the 2 shared cores while the rest of the suite runs; beside the build test (which compiles and installs) it
 * took over 100 s once, and once never finished its test in 240 s, so the two no longer overlap. Not a timing
 * check: the budget only has to outlast a slow start; a test that times out has its node killed (afterEach).
 */
const START_BUDGET_MS = 240_000;
/** The first test may first wait for the build test's build (about a minute here) to end. */
const FIRST_BUDGET_MS = START_BUDGET_MS + 180_000;

afterAll(() => dir.remove());

/**
 * A test that fails or times out may leave its node running: vitest gives up on the test, not on the process,
 * which would hold the data dir and fail every test after it. Each test's nodes are killed when it ends, and a
 * failed test prints their output.
 */
const started: NodeProcess[] = [];
const startNodeProcess: typeof startNode = async (...args) => {
  const node = await startNode(...args);
  started.push(node);
  return node;
};
afterEach(async (ctx) => {
  for (const node of started.splice(0)) {
    if (ctx.task.result?.state === 'fail') console.log(`--- node on ${node.port} ---\n${node.output()}`);
    await node.kill('SIGKILL');
  }
});

describe('embedded mode', () => {
  let email = '';
  let password = '';

  it('starts with PGlite on disk, signs up, logs in and connects a socket', async () => {
    // The first start is not run beside the build test's build and npm ci (test/support/exclusive.ts).
    const node = await exclusive('cpu-heavy', () => startNodeProcess(env, { healthWithinMs: 180_000 }));
    try {
      expect((await http(node.url, 'GET', '/readyz')).body.checks).toEqual({ database: 'ok', memory: 'ok' });
      const u = await newUser(node.url);
      email = u.user.email;
      password = u.password;
      const login = await http(node.url, 'POST', '/api/auth/login', { body: { email, password } });
      expect(login.status).toBe(200);
      const s = await connect(node.url, login.body.accessToken);
      const pong = await (s as any).timeout(5000).emitWithAck('system:ping', {});
      expect(pong.ok).toBe(true);
      s.close();
      // PGlite runs the same migrations, cube/earthdistance included: a distance search works.
      await http(node.url, 'PUT', '/api/profile', { token: login.body.accessToken, body: { gender: 'woman', location: { lat: 52.52, lng: 13.405 } } });
      await http(node.url, 'PUT', '/api/profile/preferences', { token: login.body.accessToken, body: { maxDistanceKm: 25 } });
      const discover = await http(node.url, 'GET', '/api/discover', { token: login.body.accessToken });
      expect(discover.status).toBe(200);
      expect(discover.body.candidates).toEqual([]);
      // ... and pg_trgm: a creator found by a typo of their handle.
      const creator = await newUser(node.url, { role: 'creator' });
      expect((await http(node.url, 'PUT', '/api/creator/page', { token: creator.accessToken, body: { handle: 'moonlight_yoga' } })).status).toBe(200);
      // pg_trgm's functions have crashed PGlite's WebAssembly backend now and then on a loaded machine (1 in
      // 10-20 first starts here): the server then answers NOT_READY and opens the database again (db/pglite.ts,
      // test/integration/pglite-crash.test.ts), and a client retries, as this does.
      const search = () => http(node.url, 'GET', '/api/creators?q=moonlite', { token: login.body.accessToken });
      let found = await search();
      if (found.status === 503 && found.body.error?.code === 'NOT_READY') found = await search();
      expect(found.body.creators.map((c: { handle: string }) => c.handle)).toEqual(['moonlight_yoga']);
      // The job runner is in-process; the audit row appears without any worker process.
      expect(existsSync(join(dir.path, 'pglite'))).toBe(true);
      expect(statSync(join(dir.path, 'jwt-secret')).mode & 0o777).toBe(0o600);
    } finally {
      expect(await node.stop()).toBe(0);
    }
  }, FIRST_BUDGET_MS);

  it('keeps users and the JWT secret across a restart', async () => {
    const node = await startNodeProcess(env);
    try {
      const login = await http(node.url, 'POST', '/api/auth/login', { body: { email, password } });
      expect(login.status).toBe(200);
      expect((await http(node.url, 'GET', '/api/me', { token: login.body.accessToken })).body.user.email).toBe(email);
    } finally {
      await node.stop();
    }
  }, START_BUDGET_MS);

  it('`npm start` (the README\'s first command) serves, with its allocator settings in the server\'s environment', async () => {
    // Reopens the data dir of the tests above. --ignore-scripts leaves out prestart's web build (NO_WEB_APP).
    const port = freePort();
    const npm = spawn('npm', ['start', '--ignore-scripts'], {
      cwd: join(import.meta.dirname, '../..'),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, PORT: String(port), HOST: '127.0.0.1', WEB_DIR: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let serverPid: string | undefined;
    npm.stdout!.on('data', (d) => (out += d));
    npm.stderr!.on('data', (d) => (out += d));
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok === true, START_BUDGET_MS - 20_000, 'npm start healthy');
      // The server: the node process npm started (npm → sh → node) with this port (not the shell, whose line names it too).
      serverPid = readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .find((d) => {
          try {
            const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
            return /(^|\/)node$/.test(argv[0]!) && argv.includes('server/src/main.ts') && readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(`PORT=${port}`);
          } catch {
            return false; // gone meanwhile, or not ours to read
          }
        });
      expect(serverPid).toBeDefined();
      const environ = readFileSync(`/proc/${serverPid}/environ`, 'utf8').split('\0');
      // glibc reads these at start (an idle embedded server ~100 MB smaller: BENCHMARKS.md, "An idle embedded server").
      expect(environ).toContain('MALLOC_ARENA_MAX=2');
      expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=131072');
    } catch (err) {
      console.log(`--- npm start ---\n${out}`);
      throw err;
    } finally {
      process.kill(-npm.pid!, 'SIGTERM');
      await new Promise((r) => npm.once('exit', r));
      // The next test opens the same data dir: the server must have let it go.
      if (serverPid) await waitFor(() => !existsSync(`/proc/${serverPid}`), 30_000, 'the server to exit');
    }
  }, START_BUDGET_MS);

  it('refuses to open the data dir a running server holds', async () => {
    const node = await startNodeProcess(env);
    try {
      const second = await startNodeProcess(env, { waitForHealth: false });
      expect(await new Promise((r) => second.child.once('exit', r))).toBe(1);
      expect(second.output()).toMatch(/in use by process \d+/);
    } finally {
      await node.stop();
    }
  }, START_BUDGET_MS);
});

describe('configuration errors', () => {
  it('lists every bad variable and exits 1', async () => {
    const node = await startNodeProcess(
      { PORT: 'not-a-port', DATABASE_URL: 'postgres://127.0.0.1/x', LOG_LEVEL: 'loud' },
      { waitForHealth: false, port: 1 },
    );
    expect(await new Promise((r) => node.child.once('exit', r))).toBe(1);
    const out = node.output();
    expect(out).toContain('PORT');
    expect(out).toContain('LOG_LEVEL');
    expect(out).toContain('JWT_SECRET');
  });
});
