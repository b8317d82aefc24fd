import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, http, newUser, nextEvent, waitFor } from '../support/client.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';
import { readdirSync } from 'node:fs';
import { MIGRATIONS_DIR } from '../../server/src/db/migrate.js';

/**
 * Real server processes joined by Redis, plus the BullMQ workers process.
 * All three start at the same moment on an empty database, so the migration
 * lock is exercised too.
 */
let backing: Backing;
let a: NodeProcess;
let b: NodeProcess;
let workers: NodeProcess;

beforeAll(async () => {
  backing = await createBacking();
  const env = { ...backing.env, PAYMENTS_SANDBOX: 'true' };
  [a, b, workers] = await Promise.all([
    startNodeProcess(env),
    startNodeProcess(env),
    startNodeProcess(env, { entry: 'workers/src/main.ts', waitForHealth: false }),
  ]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), workers?.stop()]);
  await backing?.cleanup();
});

describe('a cluster of two nodes', () => {
  it('applied each migration exactly once although the nodes started together', async () => {
    const rows = await pgQuery<{ name: string }>(backing.databaseUrl, 'SELECT name FROM schema_migrations');
    expect(rows.map((r) => r.name).sort()).toEqual(readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort());
  });

  it('delivers a push emitted on node B to the user socket on node A', async () => {
    const u = await newUser(a.url);
    const onA = await connect(a.url, u.accessToken);
    expect((await (onA as any).timeout(5000).emitWithAck('system:ping', {})).nodeId).toBe(`node-${a.port}`);
    const pushed = nextEvent<any>(onA, 'me:updated');
    const res = await http(b.url, 'PATCH', '/api/me', { token: u.accessToken, body: { displayName: 'From B' } });
    expect(res.status).toBe(200);
    expect((await pushed).user.displayName).toBe('From B');
    onA.close();
  });

  it('logout on node B disconnects the session socket on node A and A refuses the token', async () => {
    const u = await newUser(b.url);
    const onA = await connect(a.url, u.accessToken);
    const alsoOnB = await connect(b.url, u.accessToken);
    const revokedA = nextEvent<any>(onA, 'auth:revoked');
    const goneA = nextEvent<string>(onA, 'disconnect');
    const goneB = nextEvent<string>(alsoOnB, 'disconnect');
    expect((await http(b.url, 'POST', '/api/auth/logout', { token: u.accessToken })).status).toBe(204);
    expect((await revokedA).reason).toBe('logout');
    expect(await goneA).toBe('io server disconnect');
    expect(await goneB).toBe('io server disconnect');
    const me = await http(a.url, 'GET', '/api/me', { token: u.accessToken });
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('SESSION_REVOKED');
    await expect(connect(a.url, u.accessToken)).rejects.toMatchObject({ data: { code: 'SESSION_REVOKED' } });
  });

  it('shares login throttling across nodes (Redis limiter)', async () => {
    const u = await newUser(a.url);
    const nodes = [a, b, a, b, a];
    for (const n of nodes) {
      const r = await http(n.url, 'POST', '/api/auth/login', { body: { email: u.user.email, password: 'Wrong-pass-77' } });
      expect(r.status).toBe(401);
    }
    const blocked = await http(b.url, 'POST', '/api/auth/login', { body: { email: u.user.email, password: u.password } });
    expect(blocked.status).toBe(429);
  });

  // The server nodes run no workers in cluster mode (RUN_WORKERS defaults to false), so the row can only
  // have been written by the workers process taking the job from BullMQ.
  it('runs audit jobs in the workers process through BullMQ', async () => {
    const u = await newUser(b.url);
    // newUser signs up, then logs in: two audit jobs.
    const actions = await waitFor(async () => {
      const rows = await pgQuery<{ action: string }>(backing.databaseUrl, 'SELECT action FROM audit_log WHERE actor_id = $1 ORDER BY action', [u.user.id]);
      return rows.length === 2 ? rows.map((r) => r.action) : undefined;
    }, 15_000, 'the audit rows');
    expect(actions).toEqual(['auth.login', 'auth.signup']);
  });

  it('a purchase completed on node B is credited by the workers process and pushed to the socket on node A', async () => {
    const u = await newUser(a.url);
    const onA = await connect(a.url, u.accessToken);
    const pushed = nextEvent<any>(onA, 'wallet:updated', 15_000);
    const c = await http(b.url, 'POST', '/api/payments/checkout', {
      token: u.accessToken,
      body: { packId: 'starter', provider: 'sandbox' },
      headers: { 'idempotency-key': `cluster-${u.user.id}` },
    });
    expect(c.status).toBe(201);
    expect((await http(b.url, 'POST', c.body.client.completeUrl, { token: u.accessToken, body: { action: 'succeed' } })).status).toBe(200);
    expect(await pushed).toEqual({ available: 100, held: 0, debt: 0, earnings: 0 });
    expect((await http(a.url, 'GET', '/api/wallet', { token: u.accessToken })).body.wallet.available).toBe(100);
    onA.close();
  });

  it('a refresh token rotated on A cannot be reused on B', async () => {
    const u = await newUser(a.url);
    expect((await http(a.url, 'POST', '/api/auth/refresh', { body: { refreshToken: u.refreshToken } })).status).toBe(200);
    const reuse = await http(b.url, 'POST', '/api/auth/refresh', { body: { refreshToken: u.refreshToken } });
    expect(reuse.body.error.code).toBe('TOKEN_REUSED');
  });
});

describe('SIGTERM', () => {
  it('tells clients to reconnect, closes their transport, and exits 0', async () => {
    const c = await startNodeProcess(backing.env);
    const u = await newUser(c.url);
    const s = await connect(c.url, u.accessToken);
    const notice = nextEvent<any>(s, 'system:shutdown');
    const gone = nextEvent<string>(s, 'disconnect');
    const code = await c.stop();
    expect((await notice).reconnect).toBe(true);
    expect(await gone).toBe('transport close');
    expect(code).toBe(0);
  });
});
