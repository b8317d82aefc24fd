import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, http, newUser, waitFor } from '../support/client.js';
import { createBacking, ROOT, startNodeProcess, tempDir, type Backing } from '../support/pairly.js';
import { exclusive } from '../support/exclusive.js';
import { pgQuery } from '../support/services.js';

/**
 * The production path, as the Dockerfile lays it out: `npm run build` into
 * <app>/dist, then package.json + package-lock.json and `npm ci --omit=dev`
 * beside it, and nothing else (no sources, no tsx, no typescript). The compiled
 * server and workers must start from there on plain node.
 */
const run = promisify(execFile);
const app = tempDir('pairly-build');
const SERVER = 'dist/server/src/main.js';
const WORKERS = 'dist/workers/src/main.js';

async function npm(args: string[], cwd: string): Promise<void> {
  try {
    await run('npm', args, { cwd, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Files below dir, relative to it. */
const filesIn = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile())
    .map((f) => join(f.parentPath ?? f.path, f.name).slice(dir.length + 1))
    .sort();

beforeAll(async () => {
  // Not beside the embedded test's first start (test/support/exclusive.ts).
  await exclusive('cpu-heavy', async () => {
    await npm(['run', 'build', '--', '--out-dir', join(app.path, 'dist')], ROOT);
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, f), join(app.path, f));
    // The install's postinstall patches PGlite, as the Dockerfile's does (scripts/patch-pglite.mjs).
    mkdirSync(join(app.path, 'scripts'));
    copyFileSync(join(ROOT, 'scripts/patch-pglite.mjs'), join(app.path, 'scripts/patch-pglite.mjs'));
    await npm(['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app.path);
  });
}, 480_000);
afterAll(() => app.remove());

describe('the production build', () => {
  it('installs no dev dependency and carries every run-time asset', () => {
    // A package the lockfile marks devOptional is also an optional peer of a production dependency, which
    // `npm ci --omit=dev` keeps (typescript, for bull-board's valibot): installed, never loaded at run time.
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { devOptional?: boolean }> };
    for (const dev of ['tsx', 'typescript', 'vitest', 'playwright-core']) {
      if (lock.packages[`node_modules/${dev}`]?.devOptional) continue;
      expect(existsSync(join(app.path, 'node_modules', dev)), dev).toBe(false);
    }
    expect(filesIn(join(app.path, 'dist/server/migrations'))).toEqual(filesIn(join(ROOT, 'server/migrations')));
    expect(filesIn(join(app.path, 'dist/server/sql'))).toEqual(filesIn(join(ROOT, 'server/sql')));
    expect(filesIn(join(ROOT, 'server/sql'))).toContain('ledger/ledger_apply.sql');
    const lua = (dir: string) => filesIn(dir).filter((f) => f.endsWith('.lua'));
    expect(lua(join(app.path, 'dist/server/src'))).toEqual(lua(join(ROOT, 'server/src')));
    expect(lua(join(ROOT, 'server/src')).length).toBeGreaterThan(0);
  });

  it('starts the compiled server in embedded mode, serves and stops cleanly on SIGTERM', async () => {
    const data = tempDir('pairly-build-data');
    try {
      const node = await startNodeProcess(
        { PAIRLY_DATA_DIR: data.path, LOG_LEVEL: 'warn', ARGON2_MEMORY_KIB: '1024' },
        { entry: SERVER, cwd: app.path },
      );
      try {
        const ready = await http(node.url, 'GET', '/readyz');
        expect(ready.status).toBe(200);
        expect(ready.body.checks.database).toBe('ok');
        const u = await newUser(node.url); // migrations applied: the users table exists
        expect((await http(node.url, 'GET', '/api/me', { token: u.accessToken })).status).toBe(200);
      } finally {
        expect(await node.stop()).toBe(0);
      }
    } finally {
      data.remove();
    }
  });

  describe('cluster mode (PostgreSQL + Redis)', () => {
    let backing: Backing;
    beforeAll(async () => {
      backing = await createBacking();
    });
    afterAll(async () => {
      await backing?.cleanup();
    });

    it('runs the compiled server and workers: Lua scripts load, jobs reach the workers, both stop with 0', async () => {
      const node = await startNodeProcess(backing.env, { entry: SERVER, cwd: app.path });
      const workers = await startNodeProcess({ ...backing.env, LOG_LEVEL: 'info' }, { entry: WORKERS, cwd: app.path, waitForHealth: false });
      try {
        const ready = await http(node.url, 'GET', '/readyz');
        expect(ready.status).toBe(200);
        expect(ready.body.checks).toMatchObject({ database: 'ok', redis: 'ok' });
        await waitFor(() => workers.output().includes('workers running'), 30_000, 'the workers process');
        const u = await newUser(node.url);
        // Connecting runs the socket-quota and presence Lua scripts read from dist.
        const s = await connect(node.url, u.accessToken);
        expect((await (s as any).timeout(5000).emitWithAck('system:ping', {})).ok).toBe(true);
        s.close();
        // Server nodes run no workers in cluster mode: only the compiled workers process writes this row.
        await waitFor(async () => {
          const rows = await pgQuery(backing.databaseUrl, "SELECT 1 FROM audit_log WHERE actor_id = $1 AND action = 'auth.signup'", [u.user.id]);
          return rows.length > 0;
        }, 15_000, 'the audit row');
      } finally {
        const [w, n] = [await workers.stop(), await node.stop()];
        expect({ workers: w, node: n }, workers.output()).toEqual({ workers: 0, node: 0 });
      }
    });
  });
});
