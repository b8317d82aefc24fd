import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { http, STRONG_PASSWORD } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

/**
 * Per-address limits on sign-up and on every REST route, with the limits a
 * production deployment gets: the test support raises them for every other
 * test server (the suite signs everyone up from 127.0.0.1), so here they are
 * set back to their defaults. Two nodes share one Redis, as a cluster does:
 * the counters are shared. Each test speaks from its own address
 * (X-Forwarded-For, trusted from loopback).
 */
let backing: Backing;
let a: InProcessNode;
let b: InProcessNode;

const PRODUCTION_LIMITS = { SIGNUP_MAX_PER_IP: '', SIGNUP_WINDOW_SECONDS: '', HTTP_MAX_REQUESTS_PER_IP: '', HTTP_RATE_WINDOW_SECONDS: '' };

beforeAll(async () => {
  backing = await createBacking();
  const env = { ...backing.env, ...PRODUCTION_LIMITS, PAYMENTS_SANDBOX: 'true' };
  [a, b] = await Promise.all([startInProcess(env), startInProcess(env)]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await backing?.cleanup();
});

const from = (address: string) => ({ 'x-forwarded-for': address });
const signupBody = (over: Record<string, unknown> = {}) => ({
  email: `rl.${randomBytes(5).toString('hex')}@example.test`,
  password: STRONG_PASSWORD,
  displayName: 'Rate',
  birthdate: '1990-01-01',
  role: 'fan',
  ...over,
});

it('runs with the production defaults', () => {
  expect(a.pairly.config.signup).toEqual({ maxPerIp: 20, windowSeconds: 3600 });
  expect(a.pairly.config.httpRateLimit).toEqual({ maxPerIp: 600, windowSeconds: 60 });
});

describe('sign-up', () => {
  it('allows SIGNUP_MAX_PER_IP sign-ups per address over all nodes, then 429 before any other check', async () => {
    const max = a.pairly.config.signup.maxPerIp;
    const headers = from('203.0.113.20');
    const first = signupBody();
    const made = await Promise.all(
      Array.from({ length: max }, (_, i) => http([a, b][i % 2]!.url, 'POST', '/api/auth/signup', { headers, body: i === 0 ? first : signupBody() })),
    );
    expect(made.map((r) => r.status)).toEqual(made.map(() => 202));

    const over = await http(b.url, 'POST', '/api/auth/signup', { headers, body: signupBody() });
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('RATE_LIMITED');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    // Refused before the password is looked at or hashed and before the email is tried:
    // no WEAK_PASSWORD, and no EMAIL_TAKEN to tell which emails exist.
    expect((await http(a.url, 'POST', '/api/auth/signup', { headers, body: signupBody({ password: 'short' }) })).body.error.code).toBe('RATE_LIMITED');
    expect((await http(a.url, 'POST', '/api/auth/signup', { headers, body: { ...first } })).body.error.code).toBe('RATE_LIMITED');

    // Another address is not affected.
    expect((await http(a.url, 'POST', '/api/auth/signup', { headers: from('203.0.113.21'), body: signupBody() })).status).toBe(202);
  });
});

describe('every REST route', () => {
  it('allows HTTP_MAX_REQUESTS_PER_IP requests per address over all nodes, then 429 RATE_LIMITED with Retry-After', async () => {
    const max = a.pairly.config.httpRateLimit.maxPerIp;
    const headers = from('203.0.113.30');
    const statuses: number[] = [];
    for (let sent = 0; sent < max; sent += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, max - sent) }, (_, i) => http([a, b][i % 2]!.url, 'GET', '/api/payments/packs', { headers })),
      );
      statuses.push(...batch.map((r) => r.status));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    for (const node of [a, b]) {
      const over = await http(node.url, 'GET', '/api/payments/packs', { headers });
      expect(over.status).toBe(429);
      expect(over.body.error.code).toBe('RATE_LIMITED');
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      // Authenticated or not, unknown route or not: everything under /api counts.
      expect((await http(node.url, 'GET', '/api/me', { headers })).status).toBe(429);
      expect((await http(node.url, 'GET', '/api/no-such-route', { headers })).status).toBe(429);
    }

    // Exempt: health and metrics (probes, scrapers) and provider webhooks (a throttled delivery is a failed one).
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await http(a.url, 'GET', path, { headers })).status, path).toBe(200);
    const hook = await http(a.url, 'POST', '/api/payments/webhooks/sandbox', {
      headers: { ...headers, 'content-type': 'application/json', 'x-sandbox-signature': 't=1,v1=00' },
      raw: '{"id":"x"}',
    });
    expect(hook.status).toBe(400);
    expect(hook.body.error.code).toBe('INVALID_SIGNATURE');

    // Another address is not affected.
    expect((await http(a.url, 'GET', '/api/payments/packs', { headers: from('203.0.113.31') })).status).toBe(200);
  });
});
