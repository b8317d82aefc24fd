import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { checkPage, launchBrowser, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';

/**
 * Account data and deletion in a real browser (issue #18), on a phone: the person asks for a copy of their
 * data, downloads it once the job has built it, then deletes the account with their password and lands
 * logged out; the password no longer logs in.
 */
let web: WebNode;
let browser: Browser;

beforeAll(async () => {
  web = await startWebNode({ RUN_WORKERS: 'true', ACCOUNT_ERASE_DELAY_HOURS: '0' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
});

it('asks for and downloads a copy of the data, then deletes the account and is logged out', async () => {
  const me = await signUpApi(web.url, { displayName: 'Mira' });
  const { page } = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(page, web.url, me, '/settings');
  const data = page.getByRole('region', { name: 'Download my data' });
  await data.waitFor({ timeout: 30_000 });
  await data.getByText('No copy asked for in the last week.').waitFor();
  await data.getByRole('button', { name: 'Ask for a copy of my data' }).click();
  await expect
    .poll(async () => {
      const download = data.getByRole('button', { name: 'Download' });
      if (await download.count()) return true;
      await data.getByRole('button', { name: /check again/ }).click();
      return false;
    }, { timeout: 30_000 })
    .toBe(true);
  await checkPage(page, 'erasure-export-ready');
  const [file] = await Promise.all([page.waitForEvent('download'), data.getByRole('button', { name: 'Download' }).click()]);
  expect(file.suggestedFilename()).toMatch(/^pairly-export-\d{4}-\d{2}-\d{2}\.json$/);
  const archive = JSON.parse(await readFile((await file.path())!, 'utf8'));
  expect(archive.account).toMatchObject({ id: me.user.id, email: me.user.email, displayName: 'Mira' });

  const del = page.getByRole('region', { name: 'Delete account' });
  await del.getByLabel('Password').fill('correct horse 9 battery');
  await del.getByRole('checkbox', { name: /deleted for good/ }).check();
  await checkPage(page, 'erasure-delete-filled');
  await del.getByRole('button', { name: 'Delete my account' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/settings'));
  const login = await fetch(`${web.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: me.user.email, password: 'correct horse 9 battery' }) });
  expect(login.status).toBe(401);
});
