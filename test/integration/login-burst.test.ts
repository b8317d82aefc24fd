import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { http, newUser, type HttpResult } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { TEST_REDIS_URL } from '../support/services.js';

/**
 * Login throttling under a burst: a point is taken before the password is
 * judged, so 40 parallel guesses for one email get at most 5 verdicts, and a
 * right password sent while the burst is still running is refused too. Run
 * with the Redis limiter (cluster config) and with the memory one (no Redis).
 */
let backing: Backing;
beforeAll(async () => {
  backing = await createBacking();
});
afterAll(async () => {
  await backing?.cleanup();
});

const FAILURES_PER_EMAIL = 5;

describe.each([
  ['the Redis limiter (cluster config)', true],
  ['the memory limiter (no Redis)', false],
])('a burst of wrong passwords against %s', (_name, withRedis) => {
  let node: InProcessNode;
  beforeAll(async () => {
    const env: Record<string, string> = { ...backing.env, LOGIN_MAX_FAILURES_PER_EMAIL: String(FAILURES_PER_EMAIL), LOGIN_MAX_FAILURES_PER_IP: '1000' };
    if (!withRedis) Object.assign(env, { REDIS_URL: '', ALLOW_SINGLE_NODE_POSTGRES: '1' });
    node = await startInProcess(env);
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('judges at most 5 of 40 parallel attempts and refuses the right password sent during the burst', async () => {
    const u = await newUser(node.url);
    const login = (password: string): Promise<HttpResult> =>
      http(node.url, 'POST', '/api/auth/login', { body: { email: u.user.email, password } });

    const wrong = Array.from({ length: 40 }, (_, i) => login(`Wrong-password-${i}`));
    const all = Promise.all(wrong);
    // A refusal means every point is taken; the right password then joins the burst still in flight.
    const firstRefusal = Promise.race(wrong.map((p) => p.then((r) => (r.status === 429 ? r : new Promise<never>(() => undefined)))));
    await Promise.race([firstRefusal, all]);
    const right = await login(u.password);
    const results = await all;

    const judged = results.filter((r) => r.status === 401);
    const refused = results.filter((r) => r.status === 429);
    expect(judged.length).toBe(FAILURES_PER_EMAIL);
    expect(refused.length).toBe(40 - FAILURES_PER_EMAIL);
    for (const r of judged) expect(r.body.error.code).toBe('INVALID_CREDENTIALS');
    for (const r of refused) {
      expect(r.body.error.code).toBe('RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(right.status).toBe(429);
    expect(right.body.error.code).toBe('RATE_LIMITED');

    if (withRedis) {
      // The counter lives in Redis under this deployment's prefix, so every node shares it.
      const r = new Redis(TEST_REDIS_URL);
      try {
        expect(Number(await r.get(`${backing.redisPrefix}rl:login-email:${u.user.email}`))).toBeGreaterThanOrEqual(40);
      } finally {
        r.disconnect();
      }
    }
  });

  it('gives the point back when the password is right', async () => {
    const u = await newUser(node.url);
    const headers = { 'x-forwarded-for': withRedis ? '198.51.100.10' : '198.51.100.11' };
    const login = (password: string) => http(node.url, 'POST', '/api/auth/login', { headers, body: { email: u.user.email, password } });
    // Right logins one after another never lock the account: each gives its point back.
    for (let i = 0; i < FAILURES_PER_EMAIL * 2; i++) expect((await login(u.password)).status).toBe(200);
    for (let i = 0; i < FAILURES_PER_EMAIL - 1; i++) expect((await login(`Wrong-password-${i}`)).status).toBe(401);
    expect((await login(u.password)).status).toBe(200);
  });
});
