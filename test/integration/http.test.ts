import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, http, newUser } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

let backing: Backing;
let node: InProcessNode;
let url: string;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, HTTP_BODY_LIMIT: '4096', CORS_ORIGINS: 'https://app.pairly.test' });
  url = node.url;
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

describe('bad REST input', () => {
  it('malformed JSON → 400 INVALID_JSON', async () => {
    for (const raw of ['{bad', '{"email": }', '[1,2', 'null', '"just a string"']) {
      const res = await http(url, 'POST', '/api/auth/login', { raw, headers: { 'content-type': 'application/json' } });
      expect(res.status, raw).toBe(400);
      expect(['INVALID_JSON', 'VALIDATION_FAILED'], raw).toContain(res.body.error.code);
    }
    const res = await http(url, 'POST', '/api/auth/login', { raw: '{bad', headers: { 'content-type': 'application/json' } });
    expect(res.body.error.code).toBe('INVALID_JSON');
  });

  it('oversized body → 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await http(url, 'POST', '/api/auth/signup', { body: { email: 'a@b.co', displayName: 'x'.repeat(10_000) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('non-JSON body → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await http(url, 'POST', '/api/auth/login', { raw: 'email=a@b.co&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('wrong types → 400 VALIDATION_FAILED with the offending fields', async () => {
    const res = await http(url, 'POST', '/api/auth/signup', {
      body: { email: 42, password: ['x'], displayName: '', birthdate: 'yesterday', role: 'king' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['email', 'password', 'displayName', 'birthdate', 'role']));
  });

  it('missing body → 400 VALIDATION_FAILED', async () => {
    const res = await http(url, 'POST', '/api/auth/login');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('unknown routes → 404 in the one error body', async () => {
    for (const [method, path] of [['GET', '/api/nothing'], ['DELETE', '/api/wallet'], ['GET', '/wp-admin']] as const) {
      const res = await http(url, method, path);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code, path).toBe('NOT_FOUND');
    }
  });

  it('PATCH /api/me validates its body', async () => {
    const u = await newUser(url);
    const res = await http(url, 'PATCH', '/api/me', { token: u.accessToken, body: { displayName: '', role: 'admin' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect((await http(url, 'GET', '/api/me', { token: u.accessToken })).body.user.role).toBe('fan');
  });
});

/** The accept queue of the socket listening on this port, as the kernel reports it (ss's Send-Q of a listener). */
function acceptQueue(port: string): number {
  const line = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim().split('\n')[0] ?? '';
  return Number(line.trim().split(/\s+/)[2]);
}

describe('HTTP surface', () => {
  it('listens with LISTEN_BACKLOG as its accept queue (4096 by default; Linux caps it at somaxconn)', async () => {
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    expect(acceptQueue(new URL(url).port)).toBe(Math.min(4096, somaxconn));
    const other = await startInProcess({ ...backing.env, LISTEN_BACKLOG: '100' });
    try {
      expect(acceptQueue(new URL(other.url).port)).toBe(Math.min(100, somaxconn));
    } finally {
      await other.stop();
    }
  });

  it('gives every response a request id, echoing a sane incoming one', async () => {
    const a = await http(url, 'GET', '/healthz');
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const b = await http(url, 'GET', '/healthz', { headers: { 'x-request-id': 'trace-abc.1' } });
    expect(b.headers.get('x-request-id')).toBe('trace-abc.1');
    const c = await http(url, 'GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces <script>' } });
    expect(c.headers.get('x-request-id')).not.toContain(' ');
  });

  it('sets security headers and allows only listed CORS origins', async () => {
    const ok = await http(url, 'GET', '/healthz', { headers: { origin: 'https://app.pairly.test' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.pairly.test');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    expect(ok.headers.get('x-powered-by')).toBeNull();
    const evil = await http(url, 'GET', '/healthz', { headers: { origin: 'https://evil.test' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('healthz, readyz (database and Redis) and metrics', async () => {
    expect((await http(url, 'GET', '/healthz')).body).toMatchObject({ status: 'ok' });
    const ready = await http(url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ database: 'ok', redis: 'ok', memory: 'ok' });

    const u = await newUser(url);
    const served = node.pairly.metrics.served.count;
    const s = await connect(url, u.accessToken);
    await (s as any).timeout(5000).emitWithAck('system:ping', {});
    await (s as any).timeout(5000).emitWithAck('nope:nope', {});
    await http(url, 'GET', '/healthz');
    // What the idle collector reads as traffic: the connection, both socket events (refused ones too) and the HTTP
    // request (counted when its response has finished, which the client may see first).
    await vi.waitFor(() => expect(node.pairly.metrics.served.count - served).toBe(4));
    const metrics = await fetch(`${url}/metrics`).then((r) => r.text());
    const line = (name: string, ...labels: string[]) =>
      metrics.split('\n').find((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)));
    expect(Number(line('pairly_connected_sockets')?.split(' ')[1])).toBeGreaterThan(0);
    expect(Number(line('pairly_socket_events_total', 'event="system:ping"', 'outcome="ok"')?.split(' ')[1])).toBeGreaterThan(0);
    expect(line('pairly_socket_events_total', 'event="unknown"', 'outcome="UNKNOWN_EVENT"')).toBeDefined();
    expect(line('pairly_http_request_duration_seconds_count', 'method="POST"', 'route="/api/auth/signup"', 'status="202"')).toBeDefined();
    expect(metrics).toMatch(/nodejs_eventloop_lag_seconds/);
    expect(metrics).toMatch(/^pairly_idle_collection_seconds_count(\{[^}]*\})? \d+/m);
    s.close();
  });

  it('never logs passwords or tokens, even at debug level', async () => {
    const lines: string[] = [];
    const { createLogger } = await import('../../server/src/logger.js');
    const { Writable } = await import('node:stream');
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const own = await startInProcess({ ...backing.env, LOG_LEVEL: 'debug' }, createLogger({ level: 'debug', nodeId: 'logcheck' }, sink));
    try {
      const u = await newUser(own.url);
      await http(own.url, 'POST', '/api/auth/login', { body: { email: u.user.email, password: u.password } });
      await http(own.url, 'POST', '/api/auth/login', { body: { email: u.user.email, password: 'Wrong-but-secret-9' } });
      const r = await http(own.url, 'POST', '/api/auth/refresh', { body: { refreshToken: u.refreshToken } });
      await http(own.url, 'GET', '/api/me', { token: r.body.accessToken });
      const all = lines.join('');
      expect(all).toContain('request completed');
      for (const secret of [u.password, 'Wrong-but-secret-9', u.refreshToken, u.accessToken, r.body.accessToken, r.body.refreshToken]) {
        expect(all).not.toContain(secret);
      }
    } finally {
      await own.stop();
    }
  });

  it('redacts secret-looking fields whoever logs them', async () => {
    const lines: string[] = [];
    const { createLogger } = await import('../../server/src/logger.js');
    const { Writable } = await import('node:stream');
    const logger = createLogger({ level: 'info', nodeId: 'x' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    logger.info({ password: 'p1', body: { password: 'p2', refreshToken: 'r1' }, req: { headers: { authorization: 'Bearer t1' } } }, 'x');
    const line = JSON.parse(lines[0]!);
    expect(line.password).toBe('[redacted]');
    expect(line.body).toEqual({ password: '[redacted]', refreshToken: '[redacted]' });
    expect(line.req.headers.authorization).toBe('[redacted]');
  });
});
