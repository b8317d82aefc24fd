import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, newUser } from '../support/client.js';
import { freePort, startOidcStandin, type OidcStandin } from '../support/oidc-standin.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { startSmtpStandin, type SmtpStandin } from '../support/smtp-standin.js';
import { codeAt, enrolTwoFactor } from '../support/two-factor.js';

/**
 * Sign in with Google (and Apple) over HTTP, on real PostgreSQL and Redis:
 * Pairly's openid-client against the certified oidc-provider package running
 * as a local stand-in for Google (test/support/oidc-standin.ts), and mail
 * over SMTP to its stand-in. The browser's part (redirects, the provider's
 * login form, cookies) is played by hand. Pairly sits behind a proxy named
 * http://api.pairly.test, so the redirect URI the provider knows is that one;
 * the browser's requests to it go to the node.
 */
const API = 'http://api.pairly.test';
const WEB = 'http://pairly.test';
const REDIRECT_URI = `${API}/api/auth/oidc/google/callback`;

let backing: Backing;
let smtp: SmtpStandin;
let google: OidcStandin;
let node: InProcessNode;

beforeAll(async () => {
  backing = await createBacking();
  smtp = await startSmtpStandin();
  google = await startOidcStandin({ clientId: 'pairly-test', clientSecret: 'pairly-test-secret', redirectUri: REDIRECT_URI });
  node = await startInProcess({
    ...backing.env,
    RUN_WORKERS: 'true',
    SMTP_URL: smtp.url,
    PUBLIC_URL: API,
    PUBLIC_WEB_URL: WEB,
    OIDC_GOOGLE_ISSUER: google.issuer,
    OIDC_GOOGLE_CLIENT_ID: 'pairly-test',
    OIDC_GOOGLE_CLIENT_SECRET: 'pairly-test-secret',
    // Apple is configured, and down: nothing listens at its issuer.
    OIDC_APPLE_ISSUER: `http://127.0.0.1:${await freePort()}`,
    OIDC_APPLE_CLIENT_ID: 'pairly-apple',
    OIDC_APPLE_CLIENT_SECRET: 'pairly-apple-secret',
  });
});
afterAll(async () => {
  await node?.stop();
  await google?.close();
  await smtp?.close();
  await backing?.cleanup();
});

let n = 0;
/** A person at the provider, with a fresh subject and address. */
function providerAccount(claims: { email?: string; email_verified?: boolean } = {}) {
  const sub = `sub-${++n}-${Math.random().toString(36).slice(2, 8)}`;
  const account = { sub, email: `oidc${n}.${Math.random().toString(36).slice(2, 8)}@example.test`, email_verified: true, ...claims };
  google.addAccount(sub, { email: account.email, email_verified: account.email_verified });
  return account;
}

/** Start at Pairly, sign in at the provider: the provider's redirect back (not yet followed) and the flow cookie. */
async function throughProvider(sub: string): Promise<{ query: string; cookie: string }> {
  const start = await fetch(`${node.url}/api/auth/oidc/google/start`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get('location')!);
  expect(authorize.origin).toBe(google.issuer);
  expect(Object.fromEntries(['code_challenge_method', 'redirect_uri', 'response_type'].map((k) => [k, authorize.searchParams.get(k)]))).toEqual({
    code_challenge_method: 'S256',
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
  });
  const cookie = start.headers.getSetCookie()[0]!.split(';')[0]!;
  const back = await google.signIn(authorize.href, sub);
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
  return { query: back.search, cookie };
}

/** Pairly's callback, as the browser follows the provider's redirect: the outcome from the web app's URL fragment. */
async function callback(query: string, cookie?: string): Promise<Record<string, string>> {
  const res = await fetch(`${node.url}/api/auth/oidc/google/callback${query}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  expect(res.status).toBe(302);
  const to = new URL(res.headers.get('location')!);
  expect(`${to.origin}${to.pathname}`).toBe(`${WEB}/oidc/callback`);
  return Object.fromEntries(new URLSearchParams(to.hash.slice(1)));
}

async function signInWithGoogle(sub: string): Promise<Record<string, string>> {
  const { query, cookie } = await throughProvider(sub);
  return callback(query, cookie);
}

const post = (path: string, body: unknown) => http(node.url, 'POST', path, { body });

async function signUpWithGoogle(sub: string) {
  const outcome = await signInWithGoogle(sub);
  expect(Object.keys(outcome).sort()).toEqual(['email', 'signup']);
  const res = await post('/api/auth/oidc/signup', { ticket: outcome.signup, displayName: 'Gia', birthdate: '1990-02-03', role: 'fan' });
  expect(res.status).toBe(200);
  return res.body;
}

describe('sign in with Google', () => {
  it('offers the configured providers', async () => {
    const res = await http(node.url, 'GET', '/api/auth/oidc/providers');
    expect(res.body).toEqual({ providers: [{ name: 'google', label: 'Google' }, { name: 'apple', label: 'Apple' }] });
  });

  it('makes a new account from a verified address, after asking the age', async () => {
    const person = providerAccount();
    const outcome = await signInWithGoogle(person.sub);
    expect(outcome.email).toBe(person.email);
    const young = await post('/api/auth/oidc/signup', { ticket: outcome.signup, displayName: 'Gia', birthdate: '2015-01-01', role: 'fan' });
    expect([young.status, young.body.error.code]).toEqual([403, 'AGE_RESTRICTED']);
    // The refusal did not spend the ticket.
    const res = await post('/api/auth/oidc/signup', { ticket: outcome.signup, displayName: 'Gia', birthdate: '1990-02-03', role: 'creator' });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ email: person.email, displayName: 'Gia', role: 'creator', emailVerified: true });
    const me = await http(node.url, 'GET', '/api/me', { token: res.body.accessToken });
    expect(me.status).toBe(200);
    const again = await post('/api/auth/oidc/signup', { ticket: outcome.signup, displayName: 'Gia', birthdate: '1990-02-03', role: 'fan' });
    expect([again.status, again.body.error.code]).toEqual([410, 'LINK_USED']);
  });

  it('signs a returning identity in with a single-use ticket', async () => {
    const person = providerAccount();
    const created = await signUpWithGoogle(person.sub);
    const outcome = await signInWithGoogle(person.sub);
    expect(Object.keys(outcome)).toEqual(['login']);
    const res = await post('/api/auth/oidc/exchange', { ticket: outcome.login });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(created.user.id);
    const refreshed = await post('/api/auth/refresh', { refreshToken: res.body.refreshToken });
    expect(refreshed.status).toBe(200);
    const replay = await post('/api/auth/oidc/exchange', { ticket: outcome.login });
    expect([replay.status, replay.body.error.code]).toEqual([410, 'LINK_USED']);
  });

  it('does not enter an account that has the address until that mailbox opens the mailed link', async () => {
    const owner = await newUser(node.url);
    const person = providerAccount({ email: owner.user.email });
    const outcome = await signInWithGoogle(person.sub);
    expect(outcome).toEqual({ linkMailed: owner.user.email });
    const mail = await smtp.waitForMail(owner.user.email, (m) => m.subject.includes('Link Google'));
    const link = mail.links.map((l) => new URL(l)).find((u) => u.pathname === '/oidc/link')!;
    expect(link.origin).toBe(WEB);
    // Until the link is opened, the same sign-in still only mails.
    expect(await signInWithGoogle(person.sub)).toEqual({ linkMailed: owner.user.email });
    const linked = await post('/api/auth/oidc/link', { token: link.searchParams.get('token') });
    expect([linked.status, linked.body]).toEqual([200, { linked: true, provider: 'google' }]);
    const login = await post('/api/auth/oidc/exchange', { ticket: (await signInWithGoogle(person.sub)).login });
    expect(login.body.user.id).toBe(owner.user.id);
  });

  it('refuses an address the provider does not vouch for', async () => {
    const person = providerAccount({ email_verified: false });
    expect(await signInWithGoogle(person.sub)).toEqual({ error: 'OIDC_EMAIL_UNVERIFIED' });
  });

  it('refuses a callback whose state is forged, or that carries no flow of this browser', async () => {
    const person = providerAccount();
    const { query, cookie } = await throughProvider(person.sub);
    const forged = new URLSearchParams(query);
    forged.set('state', 'attacker-chosen-state');
    expect(await callback(`?${forged}`, cookie)).toEqual({ error: 'OIDC_STATE_INVALID' });
    expect(await callback(query)).toEqual({ error: 'OIDC_STATE_INVALID' });
    const [name, value] = cookie.split('=') as [string, string];
    const [body] = value.split('.');
    expect(await callback(query, `${name}=${body}.${'A'.repeat(43)}`)).toEqual({ error: 'OIDC_STATE_INVALID' });
    // The genuine pair still works: the refusals spent nothing.
    expect(Object.keys(await callback(query, cookie))).toContain('signup');
  });

  it('refuses a replayed code', async () => {
    const person = providerAccount();
    const { query, cookie } = await throughProvider(person.sub);
    expect(Object.keys(await callback(query, cookie))).toContain('signup');
    expect(await callback(query, cookie)).toEqual({ error: 'OIDC_CODE_REJECTED' });
  });

  it('stops a user with two-factor sign-in at TWO_FACTOR_REQUIRED', async () => {
    const person = providerAccount();
    const created = await signUpWithGoogle(person.sub);
    const { secret } = await enrolTwoFactor(node.url, created.accessToken);
    const res = await post('/api/auth/oidc/exchange', { ticket: (await signInWithGoogle(person.sub)).login });
    expect([res.status, res.body.error.code]).toEqual([401, 'TWO_FACTOR_REQUIRED']);
    const second = await post('/api/auth/login/2fa', { challenge: res.body.error.details.challenge, code: codeAt(secret, 1) });
    expect([second.status, second.body.user.id]).toEqual([200, created.user.id]);
  });

  it('answers a provider that is down with OIDC_PROVIDER_UNAVAILABLE, and one not offered with OIDC_PROVIDER_UNKNOWN', async () => {
    const down = await fetch(`${node.url}/api/auth/oidc/apple/start`, { redirect: 'manual' });
    expect([down.status, ((await down.json()) as any).error.code]).toEqual([503, 'OIDC_PROVIDER_UNAVAILABLE']);
    const other = await startInProcess({ ...backing.env, RUN_WORKERS: 'false' });
    try {
      const res = await fetch(`${other.url}/api/auth/oidc/google/start`, { redirect: 'manual' });
      expect([res.status, ((await res.json()) as any).error.code]).toEqual([404, 'OIDC_PROVIDER_UNKNOWN']);
    } finally {
      await other.stop();
    }
  });
});


describe('linked sign-ins', () => {
  const ids = (token: string) => http(node.url, 'GET', '/api/auth/identities', { token });
  const unlink = (token: string, provider: string) => http(node.url, 'DELETE', `/api/auth/identities/${provider}`, { token });

  it('lists them, and refuses to unlink the only way into an account made through a provider', async () => {
    const person = providerAccount();
    const created = await signUpWithGoogle(person.sub);
    const list = await ids(created.accessToken);
    expect(list.body).toEqual({ identities: [{ provider: 'google', email: person.email, linkedAt: expect.any(String) }], hasPassword: false });
    const refused = await unlink(created.accessToken, 'google');
    expect([refused.status, refused.body.error.code]).toEqual([409, 'LAST_SIGN_IN_METHOD']);
    expect(Object.keys(await signInWithGoogle(person.sub))).toEqual(['login']);
    const missing = await unlink(created.accessToken, 'apple');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await unlink(created.accessToken, 'myspace')).body.error.code).toBe('VALIDATION_FAILED');
    expect((await http(node.url, 'GET', '/api/auth/identities')).status).toBe(401);
  });

  it('unlinks a provider from an account with a password: that identity no longer signs in', async () => {
    const owner = await newUser(node.url);
    const person = providerAccount({ email: owner.user.email });
    expect(await signInWithGoogle(person.sub)).toEqual({ linkMailed: owner.user.email });
    const mail = await smtp.waitForMail(owner.user.email, (m) => m.subject.includes('Link Google'));
    const link = mail.links.map((l) => new URL(l)).find((u) => u.pathname === '/oidc/link')!;
    expect((await post('/api/auth/oidc/link', { token: link.searchParams.get('token') })).status).toBe(200);
    expect((await ids(owner.accessToken)).body).toMatchObject({ identities: [{ provider: 'google' }], hasPassword: true });

    const res = await unlink(owner.accessToken, 'google');
    expect([res.status, res.body]).toEqual([200, { identities: [], hasPassword: true }]);
    // The provider's word about the address is not enough again: a link is mailed, no session given.
    expect(await signInWithGoogle(person.sub)).toEqual({ linkMailed: owner.user.email });
  });
});

describe('sign in with Apple (response_mode=form_post)', () => {
  const APPLE_REDIRECT = `${API}/api/auth/oidc/apple/callback`;
  let apple: OidcStandin;
  let appleNode: InProcessNode;
  beforeAll(async () => {
    apple = await startOidcStandin({ clientId: 'pairly-apple', clientSecret: 'pairly-apple-secret', redirectUri: APPLE_REDIRECT });
    appleNode = await startInProcess({
      ...backing.env,
      RUN_WORKERS: 'false',
      SMTP_URL: smtp.url,
      PUBLIC_URL: API,
      PUBLIC_WEB_URL: WEB,
      OIDC_APPLE_ISSUER: apple.issuer,
      OIDC_APPLE_CLIENT_ID: 'pairly-apple',
      OIDC_APPLE_CLIENT_SECRET: 'pairly-apple-secret',
    });
  });
  afterAll(async () => {
    await appleNode?.stop();
    await apple?.close();
  });

  /** Start at Pairly, sign in at Apple: the form Apple's page posts back (not yet posted) and the flow cookie. */
  async function throughApple(sub: string) {
    const start = await fetch(`${appleNode.url}/api/auth/oidc/apple/start`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect([authorize.searchParams.get('response_mode'), authorize.searchParams.get('redirect_uri')]).toEqual(['form_post', APPLE_REDIRECT]);
    const setCookie = start.headers.getSetCookie()[0]!;
    // A cross-site POST carries only a SameSite=None (and so Secure) cookie.
    expect(setCookie).toMatch(/; SameSite=None; Secure/);
    const form = await apple.signInFormPost(authorize.href, sub);
    expect(form.action.href).toBe(APPLE_REDIRECT);
    expect(Object.keys(form.fields).sort()).toEqual(expect.arrayContaining(['code', 'state']));
    return { fields: form.fields, cookie: setCookie.split(';')[0]! };
  }
  /** The browser posting Apple's form to Pairly: the outcome from the web app's URL fragment. */
  async function postBack(fields: Record<string, string>, cookie?: string): Promise<Record<string, string>> {
    const res = await fetch(`${appleNode.url}/api/auth/oidc/apple/callback`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
    });
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(`${WEB}/oidc/callback`);
    return Object.fromEntries(new URLSearchParams(to.hash.slice(1)));
  }

  it('signs up and then in through the form Apple posts back (with its first-time `user` field)', async () => {
    const sub = `apple-${Math.random().toString(36).slice(2, 10)}`;
    const email = `${sub}@privaterelay.example.test`;
    apple.addAccount(sub, { email, email_verified: true });
    const first = await throughApple(sub);
    const outcome = await postBack({ ...first.fields, user: JSON.stringify({ name: { firstName: 'Ada', lastName: 'L' }, email }) }, first.cookie);
    expect(outcome.email).toBe(email);
    const made = await http(appleNode.url, 'POST', '/api/auth/oidc/signup', { body: { ticket: outcome.signup, displayName: 'Ada', birthdate: '1990-02-03', role: 'fan' } });
    expect(made.status).toBe(200);

    const again = await throughApple(sub);
    const login = await postBack(again.fields, again.cookie);
    expect(Object.keys(login)).toEqual(['login']);
    const session = await http(appleNode.url, 'POST', '/api/auth/oidc/exchange', { body: { ticket: login.login } });
    expect(session.body.user.id).toBe(made.body.user.id);
  });

  it('refuses the answer without this browser\'s flow, or as a redirect Apple was not asked for', async () => {
    const sub = `apple-${Math.random().toString(36).slice(2, 10)}`;
    apple.addAccount(sub, { email: `${sub}@example.test`, email_verified: true });
    const { fields, cookie } = await throughApple(sub);
    expect(await postBack(fields)).toEqual({ error: 'OIDC_STATE_INVALID' });
    const asRedirect = await fetch(`${appleNode.url}/api/auth/oidc/apple/callback?${new URLSearchParams(fields)}`, { redirect: 'manual', headers: { cookie } });
    expect(new URLSearchParams(new URL(asRedirect.headers.get('location')!).hash.slice(1)).get('error')).toBe('OIDC_STATE_INVALID');
    const bad = await fetch(`${appleNode.url}/api/auth/oidc/apple/callback`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `code=${'x'.repeat(3000)}` });
    expect([bad.status, ((await bad.json()) as any).error.code]).toEqual([400, 'VALIDATION_FAILED']);
    // The genuine pair still works: the refusals spent nothing.
    expect(Object.keys(await postBack(fields, cookie))).toContain('signup');
  });
});
