import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { freePort, startOidcStandin, type OidcStandin } from '../support/oidc-standin.js';
import { checkPage, launchBrowser, openPage, startWebNode, type WebNode } from '../support/web.js';

/**
 * "Continue with Google" in a real browser (issue #18): the login page offers it, the browser goes through the
 * OpenID stand-in's own sign-in form (oidc-provider, test/support/oidc-standin.ts), comes back to Pairly, and
 * finishes the new account with what the provider does not tell (name, birthdate).
 */
let web: WebNode;
let google: OidcStandin;
let browser: Browser;

beforeAll(async () => {
  // The redirect URI the provider knows names the node's address, so the port is chosen first.
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  google = await startOidcStandin({ clientId: 'pairly-web', clientSecret: 'pairly-web-secret', redirectUri: `${base}/api/auth/oidc/google/callback` });
  google.addAccount('web-sub-1', { email: `gia-${Date.now()}@example.com`, email_verified: true });
  web = await startWebNode({
    PORT: String(port),
    PUBLIC_URL: base,
    OIDC_GOOGLE_ISSUER: google.issuer,
    OIDC_GOOGLE_CLIENT_ID: 'pairly-web',
    OIDC_GOOGLE_CLIENT_SECRET: 'pairly-web-secret',
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await google?.close();
});

it('signs up with Google: the provider button, its sign-in form, then name and birthdate; settings list the linked sign-in', async () => {
  const p = await openPage(browser, web.url);
  await p.page.goto(`${web.url}/login`);
  await p.page.getByRole('link', { name: 'Continue with Google' }).waitFor({ timeout: 30_000 });
  expect(p.problems).toEqual([]);
  await p.page.getByRole('link', { name: 'Continue with Google' }).click();
  // The stand-in's own development sign-in page: any registered account id signs in.
  await p.page.locator('input[name="login"]').fill('web-sub-1');
  await p.page.locator('input[name="password"]').fill('any');
  await p.page.locator('button[type="submit"]').click();
  await p.page.getByRole('heading', { name: 'Join Pairly', level: 1 }).waitFor({ timeout: 30_000 });
  // The stand-in's page is not Pairly's (it asks the internet for a stylesheet, and has no favicon): judged from here on.
  const fromProvider = p.problems.length;
  await checkPage(p.page, 'oidc-finish-signup');
  await p.page.getByLabel('Display name').fill('Gia');
  await p.page.getByLabel('Date of birth').fill('1990-02-03');
  await p.page.getByRole('button', { name: 'Create account' }).click();
  await p.page.waitForURL(/\/onboarding/, { timeout: 30_000 });
  expect(p.problems.slice(fromProvider)).toEqual([]);

  // Settings list the linked sign-in; without a password it is the only way in, so it cannot be unlinked.
  await p.page.goto(`${web.url}/settings`);
  const linked = p.page.getByRole('region', { name: 'Linked sign-ins' });
  await linked.getByRole('list', { name: 'Linked sign-ins' }).getByText('Google', { exact: true }).waitFor({ timeout: 30_000 });
  expect(await linked.getByRole('button', { name: 'Unlink Google' }).isDisabled()).toBe(true);
  await linked.getByText('This is the only way into your account.', { exact: false }).waitFor();
  expect(p.problems.slice(fromProvider)).toEqual([]);
});
