import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { fund } from '../support/ledger.js';
import { startInProcess, type InProcessNode } from '../support/pairly.js';
import { WEB_TEST_DIR } from '../support/web-build.js';
import { callAs, checkPage, launchBrowser, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';

/**
 * The earnings page in a real browser: a creator with nothing earned sees the empty states; a fan's tip
 * arrives live as pending (a year's hold on this node); the same ledger read by a second node whose hold
 * is zero shows it available, with its statement line and a CSV download, at 390 px and by keyboard.
 * Time is not moved: ledger rows are immutable, so the hold is what differs between the two nodes. Then the
 * studio's analytics card, once today is rolled up, charts what the test did (a follow, 40 credits earned).
 */
let web: WebNode;
let noHold: InProcessNode;
let browser: Browser;

beforeAll(async () => {
  web = await startWebNode({ EARNINGS_HOLD_SECONDS: String(365 * 86_400) });
  noHold = await startInProcess({ ...web.backing.env, WEB_DIR: WEB_TEST_DIR, PAYMENTS_SANDBOX: 'true', EARNINGS_HOLD_SECONDS: '0' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await noHold?.stop();
  await web?.stop();
});

it('a creator sees a tip arrive as pending, then available where the hold has passed, downloads the CSV, and finds the day in the studio analytics', async () => {
  const creator = await signUpApi(web.url, { displayName: 'Cora', role: 'creator' });
  const fan = await signUpApi(web.url, { displayName: 'Finn' });
  const handle = `cora_${randomUUID().slice(0, 8)}`;
  await callAs(web.url, creator, 'PUT', '/api/creator/page', { handle });
  await fund(web.node.pairly, fan.user.id, 100);

  const { page, problems } = await openPage(browser, `${web.url}/favicon.svg`, { viewport: PHONE });
  await signIn(page, web.url, creator, '/earnings');
  await page.getByRole('heading', { name: 'Earnings', level: 1 }).waitFor();
  await page.getByTestId('earnings-lifetime').filter({ hasText: /^0$/ }).waitFor();
  await page.getByText('No earnings yet.').waitFor();
  await page.getByText(/^Nothing in /).waitFor();
  await checkPage(page, 'earnings-empty');

  // The tip commits, the creator's sockets get wallet:updated, the page reads the ledger again: no reload.
  await callAs(web.url, fan, 'POST', '/api/tips', { creatorId: creator.user.id, amount: 50, clientId: randomUUID() });
  await page.getByTestId('earnings-pending').filter({ hasText: /^40$/ }).waitFor();
  await page.getByTestId('earnings-available').filter({ hasText: /^0$/ }).waitFor();
  await page.getByRole('row', { name: /Tips 40 40 0/ }).waitFor();
  await page.getByTestId('statement-total').filter({ hasText: 'Fans paid 50 credits, the platform fee was 10, you earned 40.' }).waitFor();
  await checkPage(page, 'earnings-pending');

  await signIn(page, noHold.url, creator, '/earnings');
  await page.getByTestId('earnings-available').filter({ hasText: /^40$/ }).waitFor();
  await page.getByTestId('earnings-pending').filter({ hasText: /^0$/ }).waitFor();
  await page.getByRole('img', { name: /40 credits in all/ }).waitFor();
  await checkPage(page, 'earnings-available');

  // By keyboard alone: focus walks to the download button, Enter starts the download.
  const button = page.getByRole('button', { name: 'Download CSV' });
  for (let i = 0; i < 40 && !(await button.evaluate((b) => b === (b.ownerDocument as { activeElement: unknown }).activeElement)); i++) await page.keyboard.press('Tab');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  const csv = await readFile((await download.path())!, 'utf8');
  const lines = csv.trimEnd().split('\r\n');
  expect(lines[0]).toBe('date,source,kind,gross,creator_share,fee,reference');
  expect(lines.slice(1).map((l) => l.split(',').slice(1, 6).join(','))).toEqual(['tips,tip,50,40,10']);

  // The studio's analytics card, once today is rolled up (what the hourly analytics.rollup does): the fan
  // follows, and the charts show what happened here, today's bar and figure: 1 follower, 40 credits earned.
  await callAs(web.url, fan, 'POST', `/api/creators/${handle}/follow`, {});
  const today = new Date().toISOString().slice(0, 10);
  await web.node.pairly.services.analytics.rollup(today);
  await page.goto(`${noHold.url}/studio`);
  const card = page.getByRole('region', { name: 'Analytics' });
  await card.getByRole('img', { name: `Earnings (credits) over 30 days: 40 on ${today}, highest 40 on ${today}`, exact: true }).waitFor();
  await card.getByRole('img', { name: `Followers over 30 days: 1 on ${today}, highest 1 on ${today}`, exact: true }).waitFor();
  await card.getByRole('img', { name: `New followers over 30 days: 1 on ${today}, highest 1 on ${today}`, exact: true }).waitFor();
  // The figure beside each title is the last day's.
  expect(await card.getByRole('figure', { name: /^Earnings \(credits\)/ }).locator('figcaption strong').textContent()).toBe('40');
  await checkPage(page, 'studio-analytics');
  expect(problems).toEqual([]);
});
