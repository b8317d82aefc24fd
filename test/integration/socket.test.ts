import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import { connect, http, newUser, nextEvent, type ClientSocket } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

let backing: Backing;
let node: InProcessNode;
let url: string;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, SOCKET_EVENTS_PER_SECOND: '10', SOCKET_MAX_PAYLOAD: '16000' });
  url = node.url;
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

const emit = (socket: ClientSocket, event: string, ...args: unknown[]) =>
  (socket as any).timeout(5000).emitWithAck(event, ...args) as Promise<any>;

describe('handshake', () => {
  it('refuses a missing or bad token with connect_error data.code', async () => {
    await expect(connect(url, undefined)).rejects.toMatchObject({ data: { code: 'UNAUTHENTICATED' } });
    await expect(connect(url, 'garbage')).rejects.toMatchObject({ data: { code: 'INVALID_TOKEN' } });
  });

  it('accepts a valid token and answers system:ping with the node id', async () => {
    const u = await newUser(url);
    const s = await connect(url, u.accessToken);
    const res = await emit(s, 'system:ping', { sentAt: 42 });
    expect(res).toMatchObject({ ok: true, nodeId: node.pairly.config.nodeId, sentAt: 42 });
    s.close();
  });

  it('works over the polling transport too', async () => {
    const u = await newUser(url);
    const s = await connect(url, u.accessToken, { transports: ['polling'] });
    expect((await emit(s, 'system:ping', {})).ok).toBe(true);
    s.close();
  });
});

describe('bad events', () => {
  let s: ClientSocket;
  beforeAll(async () => {
    const u = await newUser(url);
    s = await connect(url, u.accessToken);
  });
  afterAll(() => s.close());

  it('answers unknown events with UNKNOWN_EVENT', async () => {
    const res = await emit(s, 'chat:explode', { x: 1 });
    expect(res).toEqual({ ok: false, error: { code: 'UNKNOWN_EVENT', message: 'unknown event "chat:explode"' } });
  });

  it('pushes system:error for a failing event sent without an ack', async () => {
    const err = nextEvent<any>(s, 'system:error');
    (s as any).emit('nope:nothing', {});
    expect(await err).toMatchObject({ event: 'nope:nothing', error: { code: 'UNKNOWN_EVENT' } });
  });

  it.each([
    ['a string', 'hello'],
    ['a number', 5],
    ['null', null],
    ['wrong field type', { sentAt: 'yesterday' }],
    ['unknown field', { sentAt: 1, admin: true }],
    ['an array', [1, 2]],
  ])('answers VALIDATION_FAILED for %s', async (_name, payload) => {
    const res = await emit(s, 'system:ping', payload);
    expect(res.ok).toBe(false);
    expect(res.error.code).toBe('VALIDATION_FAILED');
  });

  it('answers VALIDATION_FAILED when the payload is missing (only an ack)', async () => {
    const res = await (s as any).timeout(5000).emitWithAck('system:ping');
    expect(res.error.code).toBe('VALIDATION_FAILED');
  });
});

describe('limits', () => {
  it('rate limits an event flood and stays up', async () => {
    const u = await newUser(url);
    const s = await connect(url, u.accessToken);
    const results = await Promise.all(Array.from({ length: 60 }, () => emit(s, 'system:ping', {})));
    const limited = results.filter((r) => !r.ok);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expect(r.error.code).toBe('RATE_LIMITED');
      expect(r.error.retryAfterSeconds).toBeGreaterThan(0);
    }
    expect(results.filter((r) => r.ok).length).toBeGreaterThan(0);
    s.close();
    // Other clients and REST are unaffected.
    const v = await newUser(url);
    const t = await connect(url, v.accessToken);
    expect((await emit(t, 'system:ping', {})).ok).toBe(true);
    expect((await http(url, 'GET', '/healthz')).status).toBe(200);
    t.close();
  });

  it('disconnects a socket that keeps flooding after being limited', async () => {
    const u = await newUser(url);
    const s = await connect(url, u.accessToken);
    const gone = nextEvent<string>(s, 'disconnect', 15_000);
    for (let i = 0; i < 400; i++) (s as any).emit('system:ping', {}, () => undefined);
    expect(await gone).toBe('io server disconnect');
  });

  it('closes a connection that sends a payload over maxHttpBufferSize, and keeps serving others', async () => {
    const u = await newUser(url);
    const s = await connect(url, u.accessToken);
    const gone = nextEvent<string>(s, 'disconnect', 10_000);
    (s as any).emit('system:ping', { blob: 'x'.repeat(100_000) });
    expect(await gone).toMatch(/transport (close|error)/);
    const t = await connect(url, u.accessToken);
    expect((await emit(t, 'system:ping', {})).ok).toBe(true);
    t.close();
  });

  it('survives a client speaking raw garbage to the engine', async () => {
    const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { method: 'POST', body: '\u0000\u0001garbage' });
    expect(res.status).toBe(400);
    expect((await http(url, 'GET', '/healthz')).status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  it('tells clients to reconnect, closes their transport (so they do), and stops cleanly', async () => {
    const own = await startInProcess({ ...backing.env, NODE_ID: 'shutdown-node' });
    const u = await newUser(own.url);
    const s = ioClient(own.url, { auth: { token: u.accessToken }, transports: ['websocket'], reconnection: false, forceNew: true });
    await nextEvent(s, 'connect');
    const notice = nextEvent<any>(s, 'system:shutdown');
    const reason = nextEvent<string>(s, 'disconnect');
    await own.stop();
    expect(await notice).toEqual({ nodeId: 'shutdown-node', reconnect: true });
    // "transport close" is what makes socket.io-client reconnect on its own (a server "disconnect" would not).
    expect(await reason).toBe('transport close');
    await expect(fetch(`${own.url}/healthz`)).rejects.toThrow();
  });
});

describe('access-token expiry on a live socket', () => {
  // Its own node: access tokens of 5 s, so a socket outlives its token within the test.
  let short: InProcessNode;
  beforeAll(async () => {
    short = await startInProcess({ ...backing.env, ACCESS_TOKEN_TTL_SECONDS: '5' });
  });
  afterAll(async () => {
    await short?.stop();
  });

  it('tells the socket and closes it when its token expires', async () => {
    const u = await newUser(short.url);
    const s = await connect(short.url, u.accessToken, { reconnection: false });
    const expired = nextEvent<{ expiredAt: string }>(s, 'auth:expired', 10_000);
    const closed = nextEvent<string>(s, 'disconnect', 10_000);
    const { exp } = JSON.parse(Buffer.from(u.accessToken.split('.')[1]!, 'base64url').toString());
    expect((await expired).expiredAt).toBe(new Date(exp * 1000).toISOString());
    expect(await closed).toBe('io server disconnect');
    // The expired token opens nothing either.
    await expect(connect(short.url, u.accessToken)).rejects.toMatchObject({ data: { code: 'TOKEN_EXPIRED' } });
  });

  it('stays open past the first expiry after auth:refresh with a fresher token of its session', async () => {
    const u = await newUser(short.url);
    const s = await connect(short.url, u.accessToken, { reconnection: false });
    const expiredEvents: unknown[] = [];
    s.on('auth:expired' as any, (p: unknown) => expiredEvents.push(p));
    await new Promise((r) => setTimeout(r, 1100)); // a token issued a second later expires a second later
    const fresh = await http(short.url, 'POST', '/api/auth/refresh', { body: { refreshToken: u.refreshToken } });
    expect(fresh.status).toBe(200);
    const refreshed = await emit(s, 'auth:refresh', { accessToken: fresh.body.accessToken });
    const { exp } = JSON.parse(Buffer.from(fresh.body.accessToken.split('.')[1]!, 'base64url').toString());
    expect(refreshed).toEqual({ ok: true, expiresAt: new Date(exp * 1000).toISOString() });
    const { exp: firstExp } = JSON.parse(Buffer.from(u.accessToken.split('.')[1]!, 'base64url').toString());
    expect(exp).toBeGreaterThan(firstExp);
    // Past the first token's expiry: still open and answering.
    await new Promise((r) => setTimeout(r, Math.max(0, firstExp * 1000 - Date.now()) + 300));
    expect(s.connected).toBe(true);
    expect((await emit(s, 'system:ping', {})).ok).toBe(true);
    expect(expiredEvents).toEqual([]);
    // Then the refreshed token expires in turn.
    await nextEvent(s, 'disconnect', 10_000);
    expect(expiredEvents).toHaveLength(1);
  });

  it("refuses a token of another session, a forged one and a malformed payload, and the socket's expiry stays", async () => {
    const u = await newUser(short.url);
    const other = await newUser(short.url);
    const s = await connect(short.url, u.accessToken, { reconnection: false });
    expect((await emit(s, 'auth:refresh', { accessToken: other.accessToken })).error.code).toBe('FORBIDDEN');
    const [h, p] = u.accessToken.split('.');
    expect((await emit(s, 'auth:refresh', { accessToken: `${h}.${p}.AAAA` })).error.code).toBe('INVALID_TOKEN');
    expect((await emit(s, 'auth:refresh', { accessToken: 42 })).error.code).toBe('VALIDATION_FAILED');
    // A second login is another session of the same user: refused too.
    const login = await http(short.url, 'POST', '/api/auth/login', { body: { email: u.user.email, password: u.password } });
    expect((await emit(s, 'auth:refresh', { accessToken: login.body.accessToken })).error.code).toBe('FORBIDDEN');
    await nextEvent(s, 'disconnect', 10_000);
  });
});
