import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { connect, http, newUser, nextEvent, STRONG_PASSWORD, waitFor } from '../support/client.js';
import { createBacking, startInProcess, TEST_JWT_SECRET, type Backing, type InProcessNode } from '../support/pairly.js';
import { Redis } from 'ioredis';
import { pgQuery, TEST_REDIS_URL } from '../support/services.js';

/** Empties Redis of one prefix's keys (what a Redis restarted without its data looks like to that node). */
async function deleteKeys(prefix: string): Promise<void> {
  const r = new Redis(TEST_REDIS_URL);
  try {
    for (let cursor = '0'; ; ) {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await r.del(...keys);
      if ((cursor = next) === '0') break;
    }
  } finally {
    r.disconnect();
  }
}

let backing: Backing;
let node: InProcessNode;
let url: string;

beforeAll(async () => {
  backing = await createBacking();
  // Workers in this process: jobs run through real BullMQ.
  node = await startInProcess({ ...backing.env, RUN_WORKERS: 'true', LOGIN_MAX_FAILURES_PER_EMAIL: '3', LOGIN_MAX_FAILURES_PER_IP: '8' });
  url = node.url;
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

const signup = (body: Record<string, unknown>) => http(url, 'POST', '/api/auth/signup', { body });
const adult = (over: Record<string, unknown> = {}) => ({
  email: `s${Math.random().toString(36).slice(2)}@example.test`,
  password: STRONG_PASSWORD,
  displayName: 'Sam',
  birthdate: '1990-02-03',
  role: 'creator',
  ...over,
});

describe('signup', () => {
  it('creates a user who then logs in for a token pair', async () => {
    const res = await signup(adult({ email: 'Mixed.Case@Example.TEST' }));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: true });
    const login = await http(url, 'POST', '/api/auth/login', { body: { email: 'Mixed.Case@example.test', password: STRONG_PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ email: 'mixed.case@example.test', displayName: 'Sam', role: 'creator', birthdate: '1990-02-03', emailVerified: false });
    expect(login.body.user.passwordHash).toBeUndefined();
    expect(typeof login.body.accessToken).toBe('string');
    expect(typeof login.body.refreshToken).toBe('string');
    expect(login.body.expiresIn).toBe(900);
    const [row] = await pgQuery<{ password_hash: string }>(backing.databaseUrl, 'SELECT password_hash FROM users WHERE id = $1', [login.body.user.id]);
    expect(row!.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('refuses under-18s with AGE_RESTRICTED', async () => {
    const today = new Date();
    const seventeen = `${today.getUTCFullYear() - 17}-01-01`;
    const res = await signup(adult({ birthdate: seventeen }));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('AGE_RESTRICTED');
  });

  it('accepts someone whose 18th birthday is today, refuses the day before', async () => {
    const t = new Date();
    const pad = (n: number) => String(n).padStart(2, '0');
    const eighteenToday = `${t.getUTCFullYear() - 18}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
    expect((await signup(adult({ birthdate: eighteenToday }))).status).toBe(202);
    const tomorrow = new Date(t.getTime() + 86_400_000);
    const eighteenTomorrow = `${tomorrow.getUTCFullYear() - 18}-${pad(tomorrow.getUTCMonth() + 1)}-${pad(tomorrow.getUTCDate())}`;
    expect((await signup(adult({ birthdate: eighteenTomorrow }))).body.error.code).toBe('AGE_RESTRICTED');
  });

  it('answers a duplicate email (case-insensitive) as a new one, and keeps the first account and its password', async () => {
    const body = adult();
    const first = await signup(body);
    const again = await signup({ ...body, email: (body.email as string).toUpperCase(), password: 'Another-Password-77' });
    expect([again.status, again.body]).toEqual([first.status, first.body]);
    expect((await http(url, 'POST', '/api/auth/login', { body: { email: body.email, password: 'Another-Password-77' } })).status).toBe(401);
    expect((await http(url, 'POST', '/api/auth/login', { body: { email: body.email, password: STRONG_PASSWORD } })).status).toBe(200);
  });

  it('creates one account when the same email signs up concurrently', async () => {
    const body = adult();
    const results = await Promise.all(Array.from({ length: 5 }, () => signup(body)));
    expect(results.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect(await pgQuery(backing.databaseUrl, 'SELECT 1 FROM users WHERE email = $1', [body.email])).toHaveLength(1);
  });

  it.each([
    ['short', 'Ab1-xyz'],
    ['letters only', 'onlylettershere'],
    ['digits only', '12345678901234'],
    ['common', 'password123'],
  ])('refuses a weak password (%s) with 400 WEAK_PASSWORD', async (_name, password) => {
    const res = await signup(adult({ password }));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('WEAK_PASSWORD');
  });

  it('refuses the admin role and unknown fields', async () => {
    const admin = await signup(adult({ role: 'admin' }));
    expect(admin.status).toBe(400);
    expect(admin.body.error.code).toBe('VALIDATION_FAILED');
    const extra = await signup(adult({ isAdmin: true }));
    expect(extra.status).toBe(400);
  });

  it('refuses impossible and malformed birthdates', async () => {
    for (const birthdate of ['1990-02-30', '90-01-01', '2990-01-01', '1800-01-01', 19900101]) {
      const res = await signup(adult({ birthdate }));
      expect(res.status, String(birthdate)).toBe(400);
    }
  });

  it('writes audit-log entries for the sign-up and the login after it', async () => {
    const u = await newUser(url);
    const rows = await waitFor(async () => {
      const r = await pgQuery<{ action: string }>(backing.databaseUrl, 'SELECT action FROM audit_log WHERE actor_id = $1', [u.user.id]);
      return r.length >= 2 ? r : undefined;
    });
    expect(rows.map((r) => r.action).sort()).toEqual(['auth.login', 'auth.signup']);
  });

  it('writes audit entries straight to PostgreSQL: no job worker needed, nothing lost when Redis is emptied', async () => {
    // A node that runs no jobs, on a Redis prefix no other node works on: an entry that waited in the job
    // queue would never be written.
    const prefix = `${backing.redisPrefix}lone:`;
    const lone = await startInProcess({ ...backing.env, REDIS_PREFIX: prefix, RUN_WORKERS: 'false' });
    try {
      const users = await Promise.all(Array.from({ length: 5 }, () => newUser(lone.url)));
      await deleteKeys(prefix);
      for (const u of users) {
        await waitFor(async () => (await pgQuery(backing.databaseUrl, `SELECT 1 FROM audit_log WHERE actor_id = $1 AND action = 'auth.signup'`, [u.user.id])).length > 0);
      }
    } finally {
      await lone.stop();
    }
  });
});

describe('login', () => {
  it('logs in with the right password and records the login', async () => {
    const u = await newUser(url);
    const res = await http(url, 'POST', '/api/auth/login', { body: { email: u.user.email, password: u.password } });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(u.user.id);
    const me = await http(url, 'GET', '/api/me', { token: res.body.accessToken });
    expect(me.body.user.email).toBe(u.user.email);
    await waitFor(async () => {
      const r = await pgQuery(backing.databaseUrl, `SELECT 1 FROM audit_log WHERE actor_id = $1 AND action = 'auth.login'`, [u.user.id]);
      return r.length > 0;
    });
  });

  it('answers INVALID_CREDENTIALS for a wrong password and for an unknown email alike', async () => {
    const u = await newUser(url);
    const wrong = await http(url, 'POST', '/api/auth/login', { body: { email: u.user.email, password: 'Wrong-password-1' } });
    const unknown = await http(url, 'POST', '/api/auth/login', { body: { email: 'nobody@example.test', password: 'Whatever-123' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('throttles repeated failures per email with 429 and Retry-After, even for the right password', async () => {
    const u = await newUser(url);
    for (let i = 0; i < 3; i++) {
      const r = await http(url, 'POST', '/api/auth/login', { body: { email: u.user.email, password: `Wrong-pass-${i}` } });
      expect(r.status).toBe(401);
    }
    const blocked = await http(url, 'POST', '/api/auth/login', { body: { email: u.user.email, password: u.password } });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('RATE_LIMITED');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account from the same IP is not locked by this email's failures.
    const other = await newUser(url);
    const ok = await http(url, 'POST', '/api/auth/login', { body: { email: other.user.email, password: other.password } });
    expect(ok.status).toBe(200);
  });

  it('throttles repeated failures per IP across many emails', async () => {
    // A different client address (X-Forwarded-For is trusted from loopback) so other tests are unaffected.
    const headers = { 'x-forwarded-for': '203.0.113.77' };
    let last = 0;
    for (let i = 0; i < 9; i++) {
      const r = await http(url, 'POST', '/api/auth/login', { headers, body: { email: `spray${i}@example.test`, password: 'Wrong-pass-1' } });
      last = r.status;
    }
    expect(last).toBe(429);
    const u = await newUser(url);
    const blocked = await http(url, 'POST', '/api/auth/login', { headers, body: { email: u.user.email, password: u.password } });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBeTruthy();
  });
});

describe('refresh tokens', () => {
  it('rotates: the new pair works, the old refresh token stops working', async () => {
    const u = await newUser(url);
    const r1 = await http(url, 'POST', '/api/auth/refresh', { body: { refreshToken: u.refreshToken } });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(u.refreshToken);
    expect((await http(url, 'GET', '/api/me', { token: r1.body.accessToken })).status).toBe(200);
    const r2 = await http(url, 'POST', '/api/auth/refresh', { body: { refreshToken: r1.body.refreshToken } });
    expect(r2.status).toBe(200);
  });

  it('reuse of a used refresh token revokes the whole family (TOKEN_REUSED)', async () => {
    const u = await newUser(url);
    const r1 = await http(url, 'POST', '/api/auth/refresh', { body: { refreshToken: u.refreshToken } });
    const socket = await connect(url, r1.body.accessToken);
    const revoked = nextEvent<{ reason: string }>(socket, 'auth:revoked');
    const reuse = await http(url, 'POST', '/api/auth/refresh', { body: { refreshToken: u.refreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('TOKEN_REUSED');
    expect((await revoked).reason).toBe('token_reused');
    // The thief's and the owner's newer tokens are dead too.
    const next = await http(url, 'POST', '/api/auth/refresh', { body: { refreshToken: r1.body.refreshToken } });
    expect(next.status).toBe(401);
    expect(next.body.error.code).toBe('SESSION_REVOKED');
    const me = await http(url, 'GET', '/api/me', { token: r1.body.accessToken });
    expect(me.body.error.code).toBe('SESSION_REVOKED');
    socket.close();
  });

  it('lets exactly one of several concurrent refreshes with one token win', async () => {
    const u = await newUser(url);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => http(url, 'POST', '/api/auth/refresh', { body: { refreshToken: u.refreshToken } })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expect(r.status).toBe(401);
  });

  it('refuses an unknown refresh token', async () => {
    const res = await http(url, 'POST', '/api/auth/refresh', { body: { refreshToken: 'x'.repeat(43) } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_TOKEN');
  });

  it('refuses an expired refresh token', async () => {
    const u = await newUser(url);
    await pgQuery(
      backing.databaseUrl,
      `UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
       WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)`,
      [u.user.id],
    );
    const res = await http(url, 'POST', '/api/auth/refresh', { body: { refreshToken: u.refreshToken } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_EXPIRED');
  });
});

describe('access tokens', () => {
  const forge = (claims: object, secret = TEST_JWT_SECRET, opts: jwt.SignOptions = {}) =>
    jwt.sign(claims, secret, { algorithm: 'HS256', issuer: 'pairly', audience: 'pairly-api', expiresIn: 60, ...opts });

  it('refuses missing, garbage, forged, expired, alg=none and wrong-audience tokens', async () => {
    const u = await newUser(url);
    const payload = JSON.parse(Buffer.from(u.accessToken.split('.')[1]!, 'base64url').toString());
    const none =
      Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url') +
      '.' +
      Buffer.from(JSON.stringify(payload)).toString('base64url') +
      '.';
    const cases: [string, string | undefined, string][] = [
      ['missing', undefined, 'UNAUTHENTICATED'],
      ['garbage', 'not.a.jwt', 'INVALID_TOKEN'],
      ['wrong secret', forge({ sid: payload.sid, role: 'admin' }, 'another-secret-another-secret-another', { subject: u.user.id }), 'INVALID_TOKEN'],
      ['alg none', none, 'INVALID_TOKEN'],
      ['expired', forge({ sid: payload.sid, role: 'fan' }, TEST_JWT_SECRET, { subject: u.user.id, expiresIn: -10 }), 'TOKEN_EXPIRED'],
      ['wrong audience', forge({ sid: payload.sid, role: 'fan' }, TEST_JWT_SECRET, { subject: u.user.id, audience: 'other' }), 'INVALID_TOKEN'],
      ['HS512', forge({ sid: payload.sid, role: 'fan' }, TEST_JWT_SECRET, { subject: u.user.id, algorithm: 'HS512' }), 'INVALID_TOKEN'],
      ['no session claim', forge({ role: 'fan' }, TEST_JWT_SECRET, { subject: u.user.id }), 'INVALID_TOKEN'],
    ];
    for (const [name, token, code] of cases) {
      const res = await http(url, 'GET', '/api/me', { token });
      expect(res.status, name).toBe(401);
      expect(res.body.error.code, name).toBe(code);
    }
  });
});

describe('logout', () => {
  it('revokes the session: REST refuses its token, its sockets are disconnected, other sessions live on', async () => {
    const u = await newUser(url);
    const other = await http(url, 'POST', '/api/auth/login', { body: { email: u.user.email, password: u.password } });
    const s1 = await connect(url, u.accessToken);
    const s2 = await connect(url, other.body.accessToken);
    const revoked = nextEvent<{ reason: string }>(s1, 'auth:revoked');
    const disconnected = nextEvent<string>(s1, 'disconnect');

    const out = await http(url, 'POST', '/api/auth/logout', { token: u.accessToken });
    expect(out.status).toBe(204);
    expect((await revoked).reason).toBe('logout');
    expect(await disconnected).toBe('io server disconnect');

    expect((await http(url, 'GET', '/api/me', { token: u.accessToken })).body.error.code).toBe('SESSION_REVOKED');
    expect((await http(url, 'POST', '/api/auth/refresh', { body: { refreshToken: u.refreshToken } })).body.error.code).toBe('SESSION_REVOKED');
    await expect(connect(url, u.accessToken)).rejects.toMatchObject({ data: { code: 'SESSION_REVOKED' } });

    expect(s2.connected).toBe(true);
    expect((await http(url, 'GET', '/api/me', { token: other.body.accessToken })).status).toBe(200);
    s2.close();
  });

  it('needs a token', async () => {
    const res = await http(url, 'POST', '/api/auth/logout');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });
});

describe('me', () => {
  it('updates the display name and pushes me:updated to every device', async () => {
    const u = await newUser(url);
    const second = await http(url, 'POST', '/api/auth/login', { body: { email: u.user.email, password: u.password } });
    const a = await connect(url, u.accessToken);
    const b = await connect(url, second.body.accessToken);
    const pushes = Promise.all([nextEvent<any>(a, 'me:updated'), nextEvent<any>(b, 'me:updated')]);
    const res = await http(url, 'PATCH', '/api/me', { token: u.accessToken, body: { displayName: '  Renamed  ' } });
    expect(res.status).toBe(200);
    expect(res.body.user.displayName).toBe('Renamed');
    for (const p of await pushes) expect(p.user.displayName).toBe('Renamed');
    a.close();
    b.close();
  });

  it('audits every price change with its old and new values, and nothing else', async () => {
    const c = await newUser(url, { role: 'creator' });
    const patch = (body: object) => http(url, 'PATCH', '/api/me', { token: c.accessToken, body });
    expect((await patch({ messagePrice: 1 })).status).toBe(200);
    expect((await patch({ displayName: 'Same prices', messagePrice: 1 })).status).toBe(200); // no price changed: no entry
    expect((await patch({ messagePrice: 4000, callPricePerMinute: 25 })).status).toBe(200);
    const entries = await waitFor(async () => {
      const r = await pgQuery<{ meta: any; ip: string | null }>(backing.databaseUrl, `SELECT meta, ip FROM audit_log WHERE actor_id = $1 AND action = 'users.price_changed' ORDER BY created_at, id`, [c.user.id]);
      return r.length >= 2 ? r : undefined;
    });
    expect(entries.map((e) => e.meta)).toEqual([
      { messagePrice: { old: 0, new: 1 } },
      { messagePrice: { old: 1, new: 4000 }, callPricePerMinute: { old: 0, new: 25 } },
    ]);
    expect(entries[0]!.ip).toBeTruthy();
  });
});
