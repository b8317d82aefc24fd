import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import * as OTPAuth from 'otpauth';
import { checkPage, launchBrowser, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';

/**
 * The front door in a real browser: the landing page, sign-up with every
 * refusal shown in words (AGE_RESTRICTED, WEAK_PASSWORD, an address with an
 * account), log out, a login refused and then rate limited with the wait, and a
 * login that lands in the app; the email verified and a password reset through
 * links in the local outbox. The server's limit is lowered so the 429 comes quickly.
 */

let web: WebNode;
let browser: Browser;

beforeAll(async () => {
  web = await startWebNode({ LOGIN_MAX_FAILURES_PER_EMAIL: '3' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
});

it('serves the app at / and deep links, and keeps API 404s JSON', async () => {
  const page = await fetch(`${web.url}/chats/some-conversation`, { headers: { accept: 'text/html' } });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(await page.text()).toContain('<div id="root">');
  const api = await fetch(`${web.url}/api/nope`, { headers: { accept: 'text/html' } });
  expect(api.status).toBe(404);
  expect(((await api.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  const asset = await fetch(`${web.url}/assets/missing.js`);
  expect(asset.status).toBe(404);
});

it('signs up with clear refusals, logs out, and logs in (429 says how long to wait)', async () => {
  const taken = await signUpApi(web.url, { displayName: 'Taken' });
  const { page, problems } = await openPage(browser, web.url, { viewport: PHONE, allowStatus: [400, 401, 403, 409, 429] });
  await expect(page.getByRole('heading', { level: 1 })).toBeDefined();
  await page.getByRole('heading', { name: /Meet people who fit/ }).waitFor();
  await checkPage(page, 'landing');

  await page.getByRole('link', { name: 'Join Pairly' }).first().click();
  await page.getByRole('heading', { name: 'Join Pairly' }).waitFor();
  await checkPage(page, 'signup');

  // The shared zod schema refuses a malformed email before anything is sent.
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('.field-error').first().waitFor();

  const email = `ada-${crypto.randomUUID().slice(0, 8)}@example.com`;
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('short1');
  await page.getByLabel('Display name').fill('Ada');
  await page.getByLabel('Date of birth').fill('2015-01-01');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('alert').filter({ hasText: '18 or older' }).waitFor();

  await page.getByLabel('Date of birth').fill('1990-02-03');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('alert').filter({ hasText: 'stronger password' }).waitFor();

  await page.getByLabel('Email').fill(taken.user.email);
  await page.getByLabel('Password').fill('a much better 7 password');
  await page.getByRole('button', { name: 'Create account' }).click();
  // Sign-up answers alike for a registered address (no enumeration); the login after it is what fails.
  await page.getByRole('alert').filter({ hasText: 'Check your mail' }).waitFor();

  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/onboarding$/);

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: /Meet people who fit/ }).waitFor();
  expect(await page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('pairly.session'))).toBeNull();

  await page.goto(`${web.url}/login`);
  await checkPage(page, 'login');
  await page.getByLabel('Email').fill(email);
  for (let i = 0; i < 3; i++) {
    await page.getByLabel('Password').fill(`wrong password ${i}`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
    await page.getByRole('button', { name: 'Log in' }).and(page.locator(':not([disabled])')).waitFor();
  }
  await page.getByLabel('Password').fill('a much better 7 password');
  await page.getByRole('button', { name: 'Log in' }).click();
  const limited = page.getByRole('alert').filter({ hasText: /Too many attempts\. Try again in \d+ (second|minute)s?\./ });
  await limited.waitFor();

  // A different account from the same browser is not held back by that email's limit.
  await page.getByLabel('Email').fill(taken.user.email);
  await page.getByLabel('Password').fill('correct horse 9 battery');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/discover$/);
  expect(problems).toEqual([]);
}, 90_000);

it('turns on two-factor sign-in from a QR code in settings, then logs in with a code from the app (a wrong one is refused)', async () => {
  const bea = await signUpApi(web.url, { displayName: 'Bea' });
  const { page, problems } = await openPage(browser, web.url, { viewport: PHONE, allowStatus: [401] });
  await signIn(page, web.url, bea, '/settings');
  const card = page.getByRole('region', { name: 'Two-factor sign-in' });
  await card.getByTestId('two-factor-state').filter({ hasText: 'Off.' }).waitFor();
  await card.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  await card.getByRole('img', { name: 'QR code for your authenticator app' }).locator('svg').waitFor();
  await checkPage(page, 'settings-2fa-setup');
  // The phone's app, played by the same library an app uses, from the key shown beside the QR code.
  const secret = (await card.getByTestId('two-factor-secret').textContent())!.trim();
  const app = new OTPAuth.TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(secret) });
  await card.getByLabel('Code from the app').fill(app.generate());
  await card.getByRole('button', { name: 'Turn on' }).click();
  const codes = card.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
  await codes.nth(9).waitFor();
  expect(await codes.count()).toBe(10);
  await checkPage(page, 'settings-2fa-recovery-codes');
  await card.getByRole('button', { name: 'I have saved them' }).click();
  await card.getByTestId('two-factor-state').filter({ hasText: /^On since .*; 10 recovery codes left\.$/ }).waitFor();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: /Meet people who fit/ }).waitFor();
  await page.goto(`${web.url}/login`);
  await page.getByLabel('Email').fill(bea.user.email);
  await page.getByLabel('Password').fill('correct horse 9 battery');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
  await checkPage(page, 'login-2fa');
  const next = () => app.generate({ timestamp: Date.now() + 30_000 });
  const wrong = String((Number(next()) + 1) % 1_000_000).padStart(6, '0');
  await page.getByLabel('Code', { exact: true }).fill(wrong);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
  await page.getByLabel('Code', { exact: true }).fill(next());
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/discover$/);
  expect(problems).toEqual([]);
}, 90_000);

it('verifies the email from a link in the local outbox, then resets a forgotten password through another', async () => {
  const email = `cleo-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const { page, problems } = await openPage(browser, web.url, { viewport: PHONE, allowStatus: [401] });
  await page.goto(`${web.url}/signup`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('first of 2 passwords');
  await page.getByLabel('Display name').fill('Cleo');
  await page.getByLabel('Date of birth').fill('1992-07-08');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/onboarding$/);

  const banner = page.getByRole('status').filter({ hasText: 'Please confirm your email' });
  await banner.getByRole('link', { name: 'Open the local outbox' }).click();
  const verifyMail = page.getByRole('listitem', { name: `Confirm your email for Pairly, to ${email}` });
  await verifyMail.waitFor();
  await checkPage(page, 'outbox');
  await verifyMail.getByRole('link', { name: 'Confirm my email' }).click();
  await page.getByText('Your email is confirmed.').waitFor();
  await checkPage(page, 'email-verified');
  expect(await banner.count()).toBe(0);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: /Meet people who fit/ }).waitFor();
  await page.goto(`${web.url}/login`);
  // The next page's code is held back: meanwhile the login page (with an Email field of its own) must be gone,
  // not left up to take what is typed for the new page, as it was while React kept it during the load.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route(/\/assets\/forgot-password-[^/]+\.js$/, async (route) => {
    await held;
    await route.continue();
  });
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  // Hidden (React keeps it in the DOM, not shown, until the new page replaces it), the loading state in its place.
  await page.getByRole('button', { name: 'Log in' }).waitFor({ state: 'hidden' });
  await page.getByLabel('Email').waitFor({ state: 'hidden' });
  await page.getByRole('main').getByText('Loading…').waitFor();
  release();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send me a link' }).click();
  await page.getByText('Check your mail').waitFor();
  await checkPage(page, 'forgot-password-sent');
  await page.getByRole('link', { name: 'local outbox' }).click();
  await page.getByRole('listitem', { name: `Reset your Pairly password, to ${email}` }).getByRole('link', { name: 'Choose a new password' }).click();
  await page.getByLabel('New password').fill('second of 2 passwords');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByText('Your new password is set').waitFor();
  await checkPage(page, 'password-reset');
  await page.getByRole('main').getByRole('link', { name: 'Log in' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('second of 2 passwords');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/discover$/);
  expect(problems).toEqual([]);
}, 90_000);
