import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import { connect, http, newUser } from '../support/client.js';
import { newAdminSession } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

/**
 * The operators' consoles (issue #14) on a cluster-mode node (BullMQ on Redis): bull-board at /admin/queues
 * and the Socket.IO admin UI at /admin/sockets with its namespace, opened only by an admin's console cookie
 * (a session with a second factor, unrevoked), and the operations metrics on /metrics.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, RUN_WORKERS: 'true', PAYMENTS_SANDBOX: 'true', METRICS_DB_CACHE_SECONDS: '1' });
  url = node.url;
}, 90_000);
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

/** POST /api/admin/consoles/session → the Set-Cookie it answers. */
async function consoleCookie(token: string): Promise<{ status: number; setCookie: string | null }> {
  const res = await fetch(`${url}/api/admin/consoles/session`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
  return { status: res.status, setCookie: res.headers.get('set-cookie') };
}
const cookieValue = (setCookie: string) => setCookie.split(';')[0]!;
const get = (path: string, cookie?: string) => fetch(`${url}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });

describe('console session', () => {
  it('is given to admins with a second factor only, as an HttpOnly SameSite=Strict cookie that lives as long as the token', async () => {
    const fan = await newUser(url);
    expect((await consoleCookie(fan.accessToken)).status).toBe(403);
    expect((await fetch(`${url}/api/admin/consoles/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    const admin = await newAdminSession(node.pairly, url);
    const { status, setCookie } = await consoleCookie(admin.accessToken);
    expect(status).toBe(204);
    expect(setCookie).toMatch(/^pairly_console=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie!)![1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(node.pairly.config.accessTokenTtlSeconds);
    const list = await http(url, 'GET', '/api/admin/consoles', { token: admin.accessToken });
    expect(list.body.consoles).toEqual({ queues: '/admin/queues/', sockets: '/admin/sockets/' });
    // Closing clears it.
    const closed = await fetch(`${url}/api/admin/consoles/session`, { method: 'DELETE', headers: { authorization: `Bearer ${admin.accessToken}` } });
    expect(closed.status).toBe(204);
    expect(closed.headers.get('set-cookie')).toMatch(/^pairly_console=; Path=\/; Max-Age=0/);
  });
});

describe('the queues console', () => {
  it('refuses without a console cookie, with a fan token in it, and with a revoked session; shows the queues to an admin', async () => {
    expect((await get('/admin/queues/')).status).toBe(401);
    const fan = await newUser(url);
    expect((await get('/admin/queues/', `pairly_console=${fan.accessToken}`)).status).toBe(403);
    expect((await get('/admin/queues/', 'pairly_console=not-a-token')).status).toBe(401);

    const admin = await newAdminSession(node.pairly, url);
    const cookie = cookieValue((await consoleCookie(admin.accessToken)).setCookie!);
    const page = await get('/admin/queues/', cookie);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Pairly queues');
    const queues = await get('/admin/queues/api/queues', cookie);
    expect(queues.status).toBe(200);
    const names = ((await queues.json()) as { queues: { name: string }[] }).queues.map((q) => q.name);
    expect(names).toEqual(expect.arrayContaining(['ledger.verify', 'payments.process-event', 'posts.fan-out']));

    // Logged out: the cookie's token is revoked, and the console says so.
    expect((await http(url, 'POST', '/api/auth/logout', { token: admin.accessToken, body: { refreshToken: admin.refreshToken } })).status).toBe(204);
    const after = await get('/admin/queues/api/queues', cookie);
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('SESSION_REVOKED');
  });
});

describe('the Socket.IO console', () => {
  it('serves the admin UI and its namespace to an admin only', async () => {
    const admin = await newAdminSession(node.pairly, url);
    const cookie = cookieValue((await consoleCookie(admin.accessToken)).setCookie!);
    expect((await get('/admin/sockets/')).status).toBe(401);
    const page = await get('/admin/sockets/', cookie);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Socket.IO Admin UI');

    const join = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const s = ioClient(`${url}/socket-admin`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: headers });
        s.once('connect', () => {
          s.close();
          resolve('connected');
        });
        s.once('connect_error', (err) => {
          s.close();
          resolve(err.message);
        });
      });
    expect(await join({ cookie })).toBe('connected');

    // The dashboard's per-second counts (server_stats every 2 s): a user's ping and its answer are counted
    // each way, with their bytes, and the user's connection.
    const watcher = ioClient(`${url}/socket-admin`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie } });
    const seen = new Map<string, number>();
    watcher.on('server_stats', (s: { aggregatedEvents: { type: string; count: number }[] }) => {
      for (const e of s.aggregatedEvents) seen.set(e.type, (seen.get(e.type) ?? 0) + e.count);
    });
    await new Promise<void>((resolve) => watcher.once('connect', () => resolve()));
    const user = await newUser(url);
    const userSocket = await connect(url, user.accessToken);
    expect((await (userSocket as any).timeout(5000).emitWithAck('system:ping', {})).ok).toBe(true);
    await vi.waitFor(() => {
      expect(seen.get('rawConnection')).toBeGreaterThanOrEqual(1);
      expect(seen.get('packetsIn')).toBeGreaterThanOrEqual(2); // the user's CONNECT and ping
      expect(seen.get('packetsOut')).toBeGreaterThanOrEqual(2); // its CONNECT answer and the ping's ack
      expect(seen.get('bytesIn')).toBeGreaterThan(seen.get('packetsIn')!);
    }, { timeout: 10_000, interval: 200 });
    userSocket.close();
    watcher.close();
    expect(await join({})).toBe('UNAUTHENTICATED');
    const fan = await newUser(url);
    expect(await join({ cookie: `pairly_console=${fan.accessToken}` })).toBe('FORBIDDEN');
  });
});

describe('operations metrics', () => {
  it('reports queues, dead letters, payments and the last ledger verification', async () => {
    const before = await (await fetch(`${url}/metrics`)).text();
    expect(before).toMatch(/pairly_queue_jobs\{queue="ledger\.verify",state="waiting",node="[^"]+"\} \d+/);
    expect(before).toMatch(/pairly_queue_oldest_waiting_seconds\{queue="posts\.fan-out",node="[^"]+"\} [\d.]+/);
    expect(before).toMatch(/pairly_dead_letters_open\{node="[^"]+"\} 0/);
    expect(before).toMatch(/pairly_payment_webhook_lag_seconds\{node="[^"]+"\} 0/);

    // A checkout shows in the last hour's checkouts; a verification run in the ledger's gauges.
    const u = await newUser(url);
    const c = await http(url, 'POST', '/api/payments/checkout', { token: u.accessToken, body: { packId: 'starter', provider: 'sandbox' }, headers: { 'idempotency-key': randomUUID() } });
    expect(c.status).toBe(201);
    await node.pairly.jobs.queue.enqueue('ledger.verify', {});
    // Database figures are read at most once a METRICS_DB_CACHE_SECONDS (1 here) per source: poll until both show.
    const checkout = /pairly_payment_checkouts_last_hour\{provider="sandbox",status="pending",node="[^"]+"\} 1/;
    let text = '';
    for (let i = 0; i < 100 && !(/pairly_ledger_verification_ok\{node="[^"]+"\} 1/.test(text) && checkout.test(text)); i++) {
      await new Promise((r) => setTimeout(r, 200));
      text = await (await fetch(`${url}/metrics`)).text();
    }
    expect(text).toMatch(/pairly_ledger_verification_ok\{node="[^"]+"\} 1/);
    expect(text).toMatch(/pairly_ledger_verification_age_seconds\{node="[^"]+"\} [\d.]+/);
    expect(text).toMatch(checkout);
  });

  it('reads the database figures once per METRICS_DB_CACHE_SECONDS on a node, however often it is scraped; the queues at each scrape', async () => {
    const other = await startInProcess({ ...backing.env, PAYMENTS_SANDBOX: 'true', METRICS_DB_CACHE_SECONDS: '300' });
    const s = other.pairly.services;
    const reads = [vi.spyOn(s.deadLetters, 'openCount'), vi.spyOn(s.payments, 'health'), vi.spyOn(s.ledger, 'lastVerification')];
    const queues = vi.spyOn(other.pairly.jobs.queue, 'stats');
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${other.url}/metrics`);
        expect(res.status).toBe(200);
        expect(await res.text()).toMatch(/pairly_dead_letters_open\{node="[^"]+"\} \d+/);
        // The next scrape after the per-scrape window (1 s) of the queue figures.
        if (i < 2) await new Promise((r) => setTimeout(r, 1100));
      }
      expect(reads.map((r) => r.mock.calls.length)).toEqual([1, 1, 1]);
      expect(queues.mock.calls.length).toBe(3);
    } finally {
      reads.forEach((r) => r.mockRestore());
      queues.mockRestore();
      await other.stop();
    }
  });
});
