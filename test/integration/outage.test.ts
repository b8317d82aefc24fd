import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, waitFor, type ClientSocket } from '../support/client.js';
import { logCapture, startPrivateRedis, startTcpProxy, type PrivateRedis, type TcpProxy } from '../support/outages.js';
import { startInProcess, TEST_JWT_SECRET, type InProcessNode } from '../support/pairly.js';
import { createTestDatabase, PG_BASE_URL } from '../support/services.js';
import { createLogger } from '../../server/src/logger.js';

/*
 * A node whose Redis (a private redis-server) and PostgreSQL (reached through
 * a TCP proxy the test controls) go away and come back. What it must do:
 * answer NOT_READY with a Retry-After at once (never INTERNAL, never hang),
 * log each outage once when it starts and once when it ends, and work again
 * afterwards without a restart.
 */
const FLOOD = 5;

let redis: PrivateRedis;
let proxy: TcpProxy;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let node: InProcessNode;
let url: string;
const logs = logCapture();
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  redis = await startPrivateRedis();
  const pg = new URL(PG_BASE_URL);
  proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  db = await createTestDatabase();
  const viaProxy = new URL(db.url);
  viaProxy.port = String(proxy.port);
  node = await startInProcess(
    {
      DATABASE_URL: viaProxy.toString(),
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'outage:',
      JWT_SECRET: TEST_JWT_SECRET,
      ARGON2_MEMORY_KIB: '1024',
      CHAT_FLOOD_PER_5S: String(FLOOD),
      SOCKET_EVENTS_PER_SECOND: '1000',
    },
    createLogger({ level: 'info', nodeId: 'outage' }, logs.stream),
  );
  url = node.url;
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await proxy?.close();
  await redis?.stop();
  await db?.drop();
});

const open = async (token: string) => {
  const s = await connect(url, token);
  sockets.push(s);
  return s;
};
const send = (s: ClientSocket, p: object) => (s as any).timeout(15_000).emitWithAck('chat:send', { clientId: randomUUID(), ...p }) as Promise<any>;
const logged = (msg: string, dependency: string) => logs.lines.filter((l) => l.msg === msg && l.dependency === dependency).length;

function expectNotReady(res: { status: number; body: any; headers: Headers }) {
  expect(res.body?.error?.code).toBe('NOT_READY');
  expect(res.status).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('when Redis goes away', () => {
  it('REST and handshakes answer NOT_READY, open sockets keep sending under a local limit, and all is back when Redis is', async () => {
    const a = await newUser(url);
    const b = await newUser(url);
    const c = await newUser(url);
    const sa = await open(a.accessToken);
    const sb = await open(b.accessToken);
    const sc = await open(c.accessToken);
    // A pair that has sent nothing yet: its flood limit starts with the outage, so the count below does not
    // depend on how much of the window of the messages sent before it is left (this node keeps counting those).
    const d = await newUser(url);
    const e = await newUser(url);
    const sd = await open(d.accessToken);
    const se = await open(e.accessToken);
    const eGot: string[] = [];
    se.on('chat:message', (m: any) => eGot.push(m.body));
    const gone = await newUser(url);
    expect((await http(url, 'POST', '/api/auth/logout', { token: gone.accessToken })).status).toBe(204);
    const conversationId = (await send(sa, { toUserId: b.user.id, body: 'before' })).message.conversationId;
    // Presence is shared only with peers who wrote: b answers a, and a answers c.
    expect(await send(sb, { conversationId, body: 'reply' })).toMatchObject({ ok: true });
    const withC = (await send(sc, { toUserId: a.user.id, body: 'hello a' })).message.conversationId;
    expect(await send(sa, { conversationId: withC, body: 'hello c' })).toMatchObject({ ok: true });

    await redis.stop();

    // Authentication needs the revocation list: it fails closed.
    expectNotReady(await http(url, 'GET', '/api/me', { token: a.accessToken }));
    expectNotReady(await http(url, 'GET', '/api/conversations', { token: b.accessToken }));
    const refused = await open(a.accessToken).catch((err) => err);
    expect(refused.data).toMatchObject({ code: 'NOT_READY' });
    expect(refused.data.retryAfterSeconds).toBeGreaterThan(0);

    // Rate limits fail open to this node's own memory limiter: sends go on, and are still limited.
    const during = [await send(sd, { toUserId: e.user.id, body: 'during 0' })];
    const withE = during[0].message?.conversationId;
    for (let i = 1; i < FLOOD + 2; i++) during.push(await send(sd, { conversationId: withE, body: `during ${i}` }));
    for (const r of during.slice(0, FLOOD)) expect(r).toMatchObject({ ok: true });
    expect(during.at(-1).error).toMatchObject({ code: 'RATE_LIMITED' });
    // Pushes to sockets on this node need no Redis.
    await waitFor(() => eGot.filter((body) => body.startsWith('during')).length === FLOOD, 5000, 'pushes on this node');

    // A presence write that cannot reach Redis does not break anything.
    sc.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(logged('dependency down', 'redis')).toBe(1);

    await redis.start();
    await waitFor(async () => (await http(url, 'GET', '/api/me', { token: a.accessToken })).status === 200, 20_000, 'REST after Redis is back');
    await waitFor(() => logged('dependency back', 'redis') === 1, 10_000, "one 'back' line");
    expect(logged('dependency down', 'redis')).toBe(1);
    // The new Redis is empty: the revocations are put back from PostgreSQL.
    await waitFor(async () => (await http(url, 'GET', '/api/me', { token: gone.accessToken })).status === 401, 5000, 'revoked session refused');
    expect((await http(url, 'GET', '/api/me', { token: gone.accessToken })).body.error.code).toBe('SESSION_REVOKED');
    // The new Redis is empty: this node puts back the sockets it has, so a (still connected) is online again, c is not.
    await waitFor(async () => {
      const list = (await http(url, 'GET', '/api/conversations', { token: b.accessToken })).body;
      return list?.conversations?.[0]?.peer?.presence === 'online';
    }, 10_000, 'presence rebuilt');
    const cList = (await http(url, 'GET', '/api/conversations', { token: a.accessToken })).body.conversations;
    expect(cList.find((x: any) => x.peer.id === c.user.id).peer.presence).toBe('offline');
    expect(await send(sa, { conversationId, body: 'after' })).toMatchObject({ ok: true });
    const again = await open(a.accessToken);
    expect(await send(again, { conversationId, body: 'after, from a new socket' })).toMatchObject({ ok: true });
  });
});

describe('when PostgreSQL goes away', () => {
  it('REST and chat:send answer NOT_READY, handshakes still work, and all is back when it is', async () => {
    const a = await newUser(url);
    const b = await newUser(url);
    const sa = await open(a.accessToken);
    const conversationId = (await send(sa, { toUserId: b.user.id, body: 'before' })).message.conversationId;

    await proxy.down();

    expectNotReady(await http(url, 'GET', '/api/me', { token: a.accessToken }));
    expectNotReady(await http(url, 'GET', '/api/conversations', { token: a.accessToken }));
    expectNotReady(await http(url, 'POST', '/api/auth/login', { body: { email: 'nobody@example.test', password: 'Whatever-123456' } }));
    for (let i = 0; i < 3; i++) {
      const r = await send(sa, { conversationId, body: `during ${i}` });
      expect(r.error).toMatchObject({ code: 'NOT_READY' });
      expect(r.error.retryAfterSeconds).toBeGreaterThan(0);
    }
    // The handshake needs only the token and Redis.
    const during = await open(b.accessToken);
    expect(during.connected).toBe(true);
    expect(logged('dependency down', 'database')).toBe(1);

    await proxy.up();
    await waitFor(async () => (await http(url, 'GET', '/api/me', { token: a.accessToken })).status === 200, 20_000, 'REST after PostgreSQL is back');
    expect(await send(sa, { conversationId, body: 'after' })).toMatchObject({ ok: true });
    expect(logged('dependency back', 'database')).toBe(1);
    expect(logged('dependency down', 'database')).toBe(1);
  });
});

describe('the log of both outages', () => {
  it('has no error object or stack trace per request: each outage is its down and back lines', () => {
    const withErrors = logs.lines.filter((l) => l.err !== undefined);
    expect(withErrors.map((l) => `${l.msg}: ${l.err?.message}`)).toEqual([]);
  });
});
