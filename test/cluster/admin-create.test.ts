import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, newUser } from '../support/client.js';
import { enrolTwoFactor } from '../support/two-factor.js';
import { runAdminCreate, runLedgerVerify } from '../support/admin-cli.js';
import { startNodeProcess, tempDir } from '../support/pairly.js';

/**
 * `npm run admin:create` in embedded mode: with the server stopped it opens
 * the data dir itself; while the server runs (and holds the data dir) it
 * asks that server on loopback, authorised by the secret the server wrote
 * into the data dir. Either way: one clear line on failure, never a stack.
 */
const dir = tempDir('pairly-admin-create');
const env = { PAIRLY_DATA_DIR: dir.path, LOG_LEVEL: 'warn', ARGON2_MEMORY_KIB: '1024' };
const PASSWORD = 'Admin-password-123';

afterAll(() => dir.remove());

const create = (email: string, extra: Record<string, string> = {}) => runAdminCreate({ ...env, PAIRLY_ADMIN_PASSWORD: PASSWORD, ...extra }, ['--email', email]);
const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

// Each test starts an embedded server (PGlite) and runs the CLI as a process, several times.
describe('admin:create in embedded mode', { timeout: 120_000 }, () => {
  it('works while the server runs: the running server makes the admin, who can log in at once', async () => {
    const node = await startNodeProcess(env);
    try {
      const run = await create('boss@example.test');
      noStack(run.stderr);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ email: 'boss@example.test', role: 'admin' });

      const login = await http(node.url, 'POST', '/api/auth/login', { body: { email: 'boss@example.test', password: PASSWORD } });
      expect(login.status).toBe(200);
      expect(login.body.user.role).toBe('admin');
      // The admin area opens once two-factor sign-in is on (turned on by this session).
      const presence = () => http(node.url, 'GET', '/api/admin/presence', { token: login.body.accessToken });
      expect((await presence()).body.error.code).toBe('TWO_FACTOR_SETUP_REQUIRED');
      await enrolTwoFactor(node.url, login.body.accessToken);
      expect((await presence()).status).toBe(200);

      // An existing account is promoted.
      const fan = await newUser(node.url);
      const promoted = await create(fan.user.email);
      expect(promoted.code, promoted.stderr).toBe(0);
      expect(JSON.parse(promoted.stdout)).toMatchObject({ id: fan.user.id, role: 'admin' });

      // Bad input is one clear line, from the server's own checks.
      const weak = await create('weak@example.test', { PAIRLY_ADMIN_PASSWORD: 'password123' });
      expect(weak.code).toBe(1);
      noStack(weak.stderr);
      expect(weak.stderr.trim().split('\n')).toHaveLength(1);
      expect(weak.stderr).toMatch(/password must have/);
    } finally {
      expect(await node.stop()).toBe(0);
    }
  });

  it('the server accepts the call only with the secret from the data dir', async () => {
    const node = await startNodeProcess(env);
    try {
      const body = { email: 'intruder@example.test', password: PASSWORD, displayName: 'X' };
      const none = await http(node.url, 'POST', '/_control/admin-users', { body });
      expect(none.status).toBe(401);
      const wrong = await http(node.url, 'POST', '/_control/admin-users', { body, headers: { authorization: `Bearer ${'x'.repeat(43)}` } });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('UNAUTHENTICATED');
      expect((await http(node.url, 'POST', '/api/auth/login', { body: { email: 'intruder@example.test', password: PASSWORD } })).status).toBe(401);
      // Readable only by the server's user, like the JWT secret next to it.
      expect(statSync(join(dir.path, 'control.json')).mode & 0o777).toBe(0o600);
    } finally {
      await node.stop();
    }
    // The secret goes with the server.
    expect(existsSync(join(dir.path, 'control.json'))).toBe(false);
  });

  it('ledger:verify runs in the running server too, and only with the secret', async () => {
    const node = await startNodeProcess(env);
    try {
      const run = await runLedgerVerify(env);
      noStack(run.stderr);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, totalPosted: 0 });
      expect((await http(node.url, 'GET', '/_control/ledger-verify')).status).toBe(401);
    } finally {
      await node.stop();
    }
    // And with the server stopped it opens the data dir itself.
    const offline = await runLedgerVerify(env);
    expect(offline.code, offline.stderr).toBe(0);
    expect(JSON.parse(offline.stdout)).toMatchObject({ ok: true });
  });

  it('opens the data dir itself when no server runs', async () => {
    const run = await create('offline@example.test');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ email: 'offline@example.test', role: 'admin' });
    const node = await startNodeProcess(env);
    try {
      expect((await http(node.url, 'POST', '/api/auth/login', { body: { email: 'offline@example.test', password: PASSWORD } })).body.user.role).toBe('admin');
    } finally {
      await node.stop();
    }
  });

  it('prints one clear line, no stack, when another live process that is not a server holds the data dir', async () => {
    // This test process is alive and is not a Pairly server: it takes the lock the way another CLI would.
    writeFileSync(join(dir.path, 'pairly.lock'), `${process.pid} admin:create\n`, { flag: 'wx' });
    try {
      const run = await create('blocked@example.test');
      expect(run.code).toBe(1);
      noStack(run.stderr);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(new RegExp(`in use by process ${process.pid}`));
    } finally {
      rmSync(join(dir.path, 'pairly.lock'), { force: true });
    }
  });
});
