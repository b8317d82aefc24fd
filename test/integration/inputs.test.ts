import { brotliCompressSync, gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATA_EXCEPTION_LOG } from '../../server/src/errors.js';
import { createLogger } from '../../server/src/logger.js';
import { connect, http, newUser, type ClientSocket } from '../support/client.js';
import { newAdmin } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

/**
 * Client mistakes that used to be answered 500 INTERNAL (and logged as
 * errors): each is now refused by validation with a field-level
 * VALIDATION_FAILED (or the right code), before any service or the database
 * sees it. input-sweep.test.ts looks for more of these; these pin the ones found.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;
let fan: Awaited<ReturnType<typeof newUser>>;
let creator: Awaited<ReturnType<typeof newUser>>;
let admin: { userId: string; token: string };
/** Error logs and data-exception safety-net warnings: validation must have refused these inputs itself. */
const problems: string[] = [];

beforeAll(async () => {
  backing = await createBacking();
  const logger = createLogger(
    { level: 'warn', nodeId: 'inputs' },
    {
      write(line: string) {
        const l = JSON.parse(line) as { level: number; msg?: string; err?: { message?: string } };
        if (l.level >= 50 || l.msg === DATA_EXCEPTION_LOG) problems.push(`${l.msg}: ${l.err?.message ?? ''}`);
      },
    },
  );
  node = await startInProcess(backing.env, logger);
  url = node.url;
  fan = await newUser(url);
  creator = await newUser(url, { role: 'creator' });
  admin = await newAdmin(node.pairly, url);
});

afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

beforeEach(() => {
  problems.length = 0;
});

/** A field-level refusal from the zod schema, not the database's (the safety net gives no details). */
function expectRefused(res: { status: number; body: any }, path: string) {
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('VALIDATION_FAILED');
  expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  expect(problems).toEqual([]);
}

describe('NUL bytes and unpaired surrogates in text are refused by validation', () => {
  it('in a signup display name', async () => {
    const body = { email: `nul.${randomUUID().slice(0, 8)}@example.test`, password: 'Sturdy-Password-42', displayName: 'a\u0000b', birthdate: '1990-01-01', role: 'fan' };
    expectRefused(await http(url, 'POST', '/api/auth/signup', { body }), 'displayName');
    expect((await http(url, 'POST', '/api/auth/login', { body: { email: body.email, password: body.password } })).status).toBe(401);
  });

  it('in a display name, a bio and a lone surrogate in a bio', async () => {
    expectRefused(await http(url, 'PATCH', '/api/me', { token: fan.accessToken, body: { displayName: 'a\u0000b' } }), 'displayName');
    expectRefused(await http(url, 'PUT', '/api/profile', { token: fan.accessToken, body: { bio: 'hello\u0000' } }), 'bio');
    expectRefused(await http(url, 'PUT', '/api/profile', { token: fan.accessToken, body: { bio: 'half a pair \ud83d' } }), 'bio');
    expect((await http(url, 'PUT', '/api/profile', { token: fan.accessToken, body: { bio: 'a whole pair 😀' } })).status).toBe(200);
  });

  it('in a message body sent over the socket', async () => {
    const s: ClientSocket = await connect(url, fan.accessToken);
    try {
      const ack = (await s.emitWithAck('chat:send', { toUserId: creator.user.id, clientId: randomUUID(), body: 'hi\u0000there' })) as any;
      expect(ack.ok).toBe(false);
      expect(ack.error.code).toBe('VALIDATION_FAILED');
      expect(ack.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'body' })]));
      expect(problems).toEqual([]);
    } finally {
      s.close();
    }
  });

  it('in an adjustment reason and in admin search filters', async () => {
    const res = await http(url, 'POST', '/api/admin/ledger/adjustments', {
      token: admin.token,
      headers: { 'idempotency-key': `nul-${randomUUID()}` },
      body: { userId: fan.user.id, amount: 5, reason: 'because\u0000' },
    });
    expectRefused(res, 'reason');
    expectRefused(await http(url, 'GET', '/api/admin/ledger/transfers?key=a%00b', { token: admin.token }), 'key');
    expectRefused(await http(url, 'GET', '/api/admin/payments?status=%00', { token: admin.token }), 'status');
    expectRefused(await http(url, 'POST', '/api/admin/payments/dead-letters/stripe/%00/retry', { token: admin.token }), '');
  });
});

describe('idempotency keys', () => {
  // Found by the sweep: an adjustment's ledger key is `adj:<admin id>:<header>`, and a 200-character header
  // made it longer than the ledger's 200 (a CHECK violation answered 500). The header is now at most 128.
  it('an over-long Idempotency-Key is refused before any ledger work, and the longest accepted one fits', async () => {
    const send = (key: string) =>
      http(url, 'POST', '/api/admin/ledger/adjustments', { token: admin.token, headers: { 'idempotency-key': key }, body: { userId: fan.user.id, amount: 1, reason: 'key length' } });
    const tooLong = await send('k'.repeat(129));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).not.toBe('INTERNAL');
    expect((await send('k'.repeat(128))).status).toBe(201);
  });
});

describe('integer path parameters stay within int4', () => {
  const answer = { answer: 0, accepted: [0], importance: 1 };

  it('refuses a question id past 2147483647 and finds none at the limit', async () => {
    expectRefused(await http(url, 'PUT', '/api/questions/2147483648/answer', { token: fan.accessToken, body: answer }), '');
    expectRefused(await http(url, 'PUT', '/api/questions/99999999999999999999/answer', { token: fan.accessToken, body: answer }), '');
    expectRefused(await http(url, 'PUT', '/api/questions/1e3/answer', { token: fan.accessToken, body: answer }), '');
    const atLimit = await http(url, 'PUT', '/api/questions/2147483647/answer', { token: fan.accessToken, body: answer });
    expect(atLimit.status).toBe(404);
    expect(atLimit.body.error.code).toBe('NOT_FOUND');
    expect(problems).toEqual([]);
  });
});

describe('discover cursors are validated', () => {
  const cursor = (c: unknown) => Buffer.from(JSON.stringify(c)).toString('base64url');

  it.each([
    ['a date before PostgreSQL’s range', { asOf: '-271821-04-20T00:00:00.000Z', score: 1, id: randomUUID() }],
    ['a date past year 9999', { asOf: '+275760-09-13T00:00:00.000Z', score: 1, id: randomUUID() }],
    ['an id made of dashes', { asOf: '2024-01-01T00:00:00.000Z', score: 1, id: '------------------------------------' }],
    ['a score past 2^53', { asOf: '2024-01-01T00:00:00.000Z', score: 2 ** 63, id: randomUUID() }],
    ['extra fields', { asOf: '2024-01-01T00:00:00.000Z', score: 1, id: randomUUID(), x: 1 }],
  ])('refuses %s', async (_what, c) => {
    const res = await http(url, 'GET', `/api/discover?cursor=${cursor(c)}`, { token: fan.accessToken });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'cursor is not valid' });
    expect(problems).toEqual([]);
  });

  it('still follows a cursor it made', async () => {
    const res = await http(url, 'GET', `/api/discover?cursor=${cursor({ asOf: new Date().toISOString(), score: 5, id: randomUUID() })}`, { token: fan.accessToken });
    expect(res.status).toBe(200);
  });
});

describe('an admin adjustment for an unknown user', () => {
  it('is 404 and moves nothing', async () => {
    const res = await http(url, 'POST', '/api/admin/ledger/adjustments', {
      token: admin.token,
      headers: { 'idempotency-key': `unknown-${randomUUID()}` },
      body: { userId: randomUUID(), amount: 5, reason: 'goodwill credit' },
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(problems).toEqual([]);
  });
});

describe('request bodies that cannot be decoded', () => {
  const login = (headers: Record<string, string>, body: Buffer) =>
    fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it.each([
    ['gzip', Buffer.from('this is not gzip')],
    ['br', Buffer.from('this is not brotli either')],
    ['deflate', Buffer.from([0x78, 0x9c, 0xff, 0xff, 0x00])],
    ['gzip', gzipSync('{"email":"a@b.cd"').subarray(0, 12)],
  ])('Content-Encoding %s with a garbage body is 400 INVALID_JSON', async (encoding, body) => {
    const res = await login({ 'content-encoding': encoding }, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('INVALID_JSON');
    expect(problems).toEqual([]);
  });

  it('a well-formed compressed body is read as usual', async () => {
    const json = JSON.stringify({ email: fan.user.email, password: fan.password });
    expect((await login({ 'content-encoding': 'gzip' }, gzipSync(json))).status).toBe(200);
    expect((await login({ 'content-encoding': 'br' }, brotliCompressSync(json))).status).toBe(200);
  });

  it('a path with a malformed percent-encoding is 400', async () => {
    const res = await http(url, 'GET', '/api/users/%E0%A4%A/profile', { token: fan.accessToken });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(problems).toEqual([]);
  });
});
