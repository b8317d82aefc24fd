import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, http, newUser, STRONG_PASSWORD } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';
import { codeAt, enrolTwoFactor, totp } from '../support/two-factor.js';

/**
 * Two-factor sign-in end to end over REST, the authenticator's side played by
 * the same `otpauth` library an app would use: enrolment, the login's second
 * step, single use of codes and recovery codes, the guess limit, turning it off.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, TWO_FACTOR_MAX_FAILURES: '4' });
  url = node.url;
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

const login = (email: string, password = STRONG_PASSWORD) => http(url, 'POST', '/api/auth/login', { body: { email, password } });
const second = (body: object) => http(url, 'POST', '/api/auth/login/2fa', { body });

async function enrolled() {
  const u = await newUser(url);
  const setup = await http(url, 'POST', '/api/auth/2fa/setup', { token: u.accessToken });
  expect(setup.status).toBe(200);
  const { secret, otpauthUrl, qrSvg } = setup.body.setup;
  expect(otpauthUrl).toContain(`secret=${secret}`);
  expect(otpauthUrl).toContain('issuer=Pairly');
  expect(qrSvg).toMatch(/^<svg/);
  const on = await http(url, 'POST', '/api/auth/2fa/enable', { token: u.accessToken, body: { code: totp(secret).generate() } });
  expect(on.status).toBe(200);
  return { u, secret, recoveryCodes: on.body.recoveryCodes as string[], status: on.body.twoFactor };
}

describe('two-factor sign-in', () => {
  it('enrols with a code from the app; the secret is stored encrypted; ten recovery codes are shown once', async () => {
    const { u, secret, recoveryCodes, status } = await enrolled();
    expect(status).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const c of recoveryCodes) expect(c).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
    const [row] = await pgQuery<{ secret_enc: string }>(backing.databaseUrl, `SELECT secret_enc FROM user_totp WHERE user_id = $1`, [u.user.id]);
    expect(row!.secret_enc).not.toContain(secret);
    const hashes = await pgQuery<{ code_hash: string }>(backing.databaseUrl, `SELECT code_hash FROM user_recovery_codes WHERE user_id = $1`, [u.user.id]);
    expect(hashes.map((h) => h.code_hash)).not.toContain(recoveryCodes[0]);
    // On already: a second set-up is refused (turn it off first).
    expect((await http(url, 'POST', '/api/auth/2fa/setup', { token: u.accessToken })).body.error.code).toBe('TWO_FACTOR_ALREADY_ENABLED');
    expect((await http(url, 'GET', '/api/auth/2fa', { token: u.accessToken })).body.twoFactor).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });
  });

  it('a wrong code does not enable it, and enabling needs a set-up first', async () => {
    const u = await newUser(url);
    expect((await http(url, 'POST', '/api/auth/2fa/enable', { token: u.accessToken, body: { code: '123456' } })).body.error.code).toBe('TWO_FACTOR_NOT_ENABLED');
    const { secret } = (await http(url, 'POST', '/api/auth/2fa/setup', { token: u.accessToken })).body.setup;
    const wrong = String((Number(totp(secret).generate()) + 1) % 1_000_000).padStart(6, '0');
    const r = await http(url, 'POST', '/api/auth/2fa/enable', { token: u.accessToken, body: { code: wrong } });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('TWO_FACTOR_INVALID');
    expect((await http(url, 'GET', '/api/auth/2fa', { token: u.accessToken })).body.twoFactor.enabled).toBe(false);
    // Its login has no second step until it is on.
    expect((await login(u.user.email)).status).toBe(200);
  });

  it('a login stops at TWO_FACTOR_REQUIRED; the challenge and a fresh code finish it; a code is good once', async () => {
    const { u, secret } = await enrolled();
    const first = await login(u.user.email);
    expect(first.status).toBe(401);
    expect(first.body.error.code).toBe('TWO_FACTOR_REQUIRED');
    expect(first.body).not.toHaveProperty('accessToken');
    const { challenge } = first.body.error.details;
    // The challenge is no access token.
    expect((await http(url, 'GET', '/api/me', { token: challenge })).status).toBe(401);
    const code = codeAt(secret, 1);
    const ok = await second({ challenge, code });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(u.user.id);
    expect((await http(url, 'GET', '/api/me', { token: ok.body.accessToken })).status).toBe(200);
    // The same code again (replayed, or seen over a shoulder): refused.
    const again = await second({ challenge: (await login(u.user.email)).body.error.details.challenge, code });
    expect(again.body.error.code).toBe('TWO_FACTOR_INVALID');
    // A wrong password never reaches the second step.
    expect((await login(u.user.email, 'Wrong-password-123')).body.error.code).toBe('INVALID_CREDENTIALS');
    // A forged or foreign challenge is refused.
    expect((await second({ challenge: 'x'.repeat(40), code: '123456' })).body.error.code).toBe('INVALID_TOKEN');
    expect((await second({ challenge, code: '123456', recoveryCode: 'abcde-fghij' })).status).toBe(400);
  });

  it('a recovery code signs in once', async () => {
    const { u, recoveryCodes } = await enrolled();
    const challenge = async () => (await login(u.user.email)).body.error.details.challenge;
    const ok = await second({ challenge: await challenge(), recoveryCode: recoveryCodes[3]!.toUpperCase() });
    expect(ok.status).toBe(200);
    expect((await second({ challenge: await challenge(), recoveryCode: recoveryCodes[3] })).body.error.code).toBe('TWO_FACTOR_INVALID');
    expect((await http(url, 'GET', '/api/auth/2fa', { token: ok.body.accessToken })).body.twoFactor.recoveryCodesLeft).toBe(9);
  });

  it('guesses are limited per account, in parallel too, and the right code is refused while limited', async () => {
    const { u, secret } = await enrolled();
    const challenge = (await login(u.user.email)).body.error.details.challenge;
    const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => second({ challenge, code: String(100000 + i) })));
    const codes = guesses.map((g) => g.body.error.code);
    expect(codes.filter((c) => c === 'TWO_FACTOR_INVALID').length).toBeLessThanOrEqual(4);
    expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(8);
    const right = await second({ challenge, code: codeAt(secret, 1) });
    expect(right.status).toBe(429);
    expect(right.body.error.code).toBe('RATE_LIMITED');
  });

  it('turns off with the password and a code; login is one step again', async () => {
    const { u, secret, recoveryCodes } = await enrolled();
    const challenge = (await login(u.user.email)).body.error.details.challenge;
    const token = (await second({ challenge, code: codeAt(secret, 1) })).body.accessToken;
    // Every code of the window is at or before the one just used: a recovery code proves the factor here.
    expect((await http(url, 'POST', '/api/auth/2fa/disable', { token, body: { password: 'Wrong-password-123', recoveryCode: recoveryCodes[0] } })).body.error.code).toBe('INVALID_CREDENTIALS');
    expect((await http(url, 'POST', '/api/auth/2fa/disable', { token, body: { password: STRONG_PASSWORD, code: codeAt(secret, 0) } })).body.error.code).toBe('TWO_FACTOR_INVALID');
    const off = await http(url, 'POST', '/api/auth/2fa/disable', { token, body: { password: STRONG_PASSWORD, recoveryCode: recoveryCodes[0] } });
    expect(off.status).toBe(200);
    expect(off.body.twoFactor).toEqual({ enabled: false, enabledAt: null, recoveryCodesLeft: 0 });
    expect((await login(u.user.email)).status).toBe(200);
    expect(await pgQuery(backing.databaseUrl, `SELECT 1 FROM user_recovery_codes WHERE user_id = $1`, [u.user.id])).toHaveLength(0);
  });
});

describe('what needs a second factor', () => {
  it('admins act only from sessions that proved one: none set up, then another device steps up, then a login with a code', async () => {
    const { createPasswordHasher } = await import('../../server/src/modules/auth/passwords.js');
    const email = `admin.${Date.now()}@example.test`;
    const password = 'Admin-password-123';
    await node.pairly.services.users.upsertAdmin({ email, passwordHash: await createPasswordHasher(1024).hash(password), displayName: 'Admin', birthdate: '1970-01-01' });
    const [a, b] = [(await login(email, password)).body.accessToken, (await login(email, password)).body.accessToken];
    const presence = (token: string) => http(url, 'GET', '/api/admin/presence', { token });
    const none = await presence(a);
    expect(none.status).toBe(403);
    expect(none.body.error.code).toBe('TWO_FACTOR_SETUP_REQUIRED');
    await expect(connect(`${url}/admin`, a)).rejects.toMatchObject({ data: { code: 'TWO_FACTOR_SETUP_REQUIRED' } });

    // Device a turns it on: a's session proved it. Device b logged in before: it must step up.
    const { secret, recoveryCodes } = await enrolTwoFactor(url, a);
    expect((await presence(a)).status).toBe(200);
    (await connect(`${url}/admin`, a)).close();
    expect((await presence(b)).body.error.code).toBe('STEP_UP_REQUIRED');
    await expect(connect(`${url}/admin`, b)).rejects.toMatchObject({ data: { code: 'STEP_UP_REQUIRED' } });
    expect((await http(url, 'POST', '/api/auth/2fa/verify', { token: b, body: { code: '12345' } })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await http(url, 'POST', '/api/auth/2fa/verify', { token: b, body: { code: codeAt(secret, 1) } })).status).toBe(204);
    expect((await presence(b)).status).toBe(200);

    // A new login asks for the second factor (every code of this window is used: a recovery code), and its session may act at once.
    const challenge = (await login(email, password)).body.error.details.challenge;
    const c = (await second({ challenge, recoveryCode: recoveryCodes[0] })).body.accessToken;
    expect((await presence(c)).status).toBe(200);
  });

  it('a step-up needs two-factor sign-in to be on', async () => {
    const u = await newUser(url);
    expect((await http(url, 'POST', '/api/auth/2fa/verify', { token: u.accessToken, body: { code: '123456' } })).body.error.code).toBe('TWO_FACTOR_NOT_ENABLED');
  });
});
