import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { newAdminViaCli } from '../support/admin-cli.js';
import { codeAt, totp } from '../support/two-factor.js';
import { connect, http, type ClientSocket } from '../support/client.js';
import { checkPage, launchBrowser, openPage, signUpApi, startWebNode, type WebNode } from '../support/web.js';

/**
 * The admin area in a real browser (issue #10, journey 5): an admin signs in
 * through the login form and lands on the live dashboard; a person logging
 * in elsewhere shows up in the online count within 2 s (the stated
 * requirement) and in the online search; the ledger verifies OK and takes an
 * adjustment; a reconciliation run produces a newer report; and dead letters
 * show their empty state, then one that is retried (queued) and one that
 * someone else retried first (already retried); the Analytics tab rolls the
 * last 30 days up again and charts today's active users. Job workers run in this
 * node so the reconciliation, the retried job and the roll-ups actually run.
 */

let web: WebNode;
let browser: Browser;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  web = await startWebNode({ RUN_WORKERS: 'true' });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await browser?.close();
  await web?.stop();
});

it("an admin watches a login arrive live, finds the person, verifies the ledger, reconciles and retries dead letters", async () => {
  const admin = await newAdminViaCli(web.backing.env, web.url);
  // 401: the password's answer asks for the code (TWO_FACTOR_REQUIRED); 402: the adjustment refused for want of credits, on purpose.
  const { page, problems } = await openPage(browser, `${web.url}/login`, { allowStatus: [401, 402] });

  // Signed in through the form, with a code (admins have two-factor sign-in): an admin lands on /admin.
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
  // The enrolment used this step's code: the next step's is new to the server.
  await page.getByLabel('Code', { exact: true }).fill(codeAt(admin.secret!, 1));
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/admin$/);
  await page.getByRole('status').filter({ hasText: /^Live$/ }).waitFor();
  const onlineTile = (n: number) => page.locator('[data-testid="online-count"]', { hasText: new RegExp(`^${n}$`) });
  // Only the admin is online (this file's own database and Redis prefix).
  await onlineTile(1).waitFor();

  // Someone logs in elsewhere: a real login, then a socket, as the app does.
  const person = await signUpApi(web.url, { displayName: `Wren ${randomUUID().slice(0, 6)}` });
  const login = await http(web.url, 'POST', '/api/auth/login', { body: { email: person.user.email, password: 'correct horse 9 battery' } });
  expect(login.status).toBe(200);
  sockets.push(await connect(web.url, login.body.accessToken));
  await onlineTile(2).waitFor({ timeout: 2000 });
  await page.getByRole('img', { name: /^Online users: 2 now|^Online users over the last .*: 2 now/ }).waitFor();
  await checkPage(page, 'admin-dashboard');

  // Online search over the /admin socket.
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Online users' }).click();
  await page.getByRole('cell', { name: 'Admin', exact: true }).waitFor();
  await page.getByLabel('Search by name or user id').fill(person.user.displayName);
  await page.getByText(`1 online matching “${person.user.displayName}”`).waitFor();
  await page.getByRole('row').filter({ hasText: person.user.displayName }).filter({ hasText: 'online' }).waitFor();
  expect(await page.getByRole('cell', { name: 'Admin', exact: true }).count()).toBe(0);
  await checkPage(page, 'admin-online');
  await page.getByLabel('Search by name or user id').fill('nobody-has-this-name');
  await page.getByText('Nobody online matches “nobody-has-this-name”.').waitFor();

  // Ledger: verify, adjust (review, confirm), see the transfer, verify again.
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Ledger' }).click();
  await page.getByText('No transfers yet.').waitFor();
  await page.getByRole('button', { name: 'Verify now' }).click();
  await page.getByTestId('verify-verdict').filter({ hasText: 'Ledger OK' }).waitFor();
  await page.getByLabel('User id').first().fill('not-a-uuid');
  await page.getByLabel('Amount (credits)').fill('25');
  await page.getByLabel('Reason').fill('goodwill');
  await page.getByRole('button', { name: 'Review adjustment' }).click();
  await page.getByText('Enter the user’s id').waitFor();
  await page.getByLabel('User id').first().fill(person.user.id);
  await page.getByLabel('Amount (credits)').fill('-100');
  await page.getByRole('button', { name: 'Review adjustment' }).click();
  await page.getByText(/Take 100 credits from the wallet of/).waitFor();
  await page.getByRole('button', { name: 'Confirm adjustment' }).click();
  await page.getByRole('alert').filter({ hasText: 'Their wallet holds fewer credits than that.' }).waitFor();
  await page.getByRole('button', { name: 'Back' }).click();
  await page.getByLabel('Amount (credits)').fill('25');
  await page.getByRole('button', { name: 'Review adjustment' }).click();
  await page.getByText(/Add 25 credits to the wallet of/).waitFor();
  await page.getByRole('button', { name: 'Confirm adjustment' }).click();
  await page.getByRole('status').filter({ hasText: 'Done: +25 credits. Their wallet now has 25 credits available.' }).waitFor();
  await page.getByRole('row').filter({ hasText: 'adjustment' }).filter({ hasText: `wallet:${person.user.id}` }).waitFor();
  await page.getByRole('button', { name: 'Verify now' }).click();
  await page.getByTestId('verify-verdict').filter({ hasText: 'Ledger OK' }).waitFor();
  await checkPage(page, 'admin-ledger');

  // Payments: a sandbox checkout shows in the list; a filter that matches nothing says so; a manual reconciliation reports.
  const checkout = await http(web.url, 'POST', '/api/payments/checkout', {
    token: login.body.accessToken,
    body: { packId: 'starter', provider: 'sandbox' },
    headers: { 'idempotency-key': randomUUID() },
  });
  expect(checkout.status).toBe(201);
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Payments' }).click();
  await page.getByRole('row').filter({ hasText: checkout.body.payment.id }).waitFor();
  await page.getByLabel('Status').selectOption('disputed');
  await page.getByText('No payments match these filters.').waitFor();
  await page.getByLabel('Status').selectOption('');
  await page.getByRole('row').filter({ hasText: checkout.body.payment.id }).waitFor();
  const report = page.getByTestId('reconciliation-report');
  // The scheduled run may or may not have reported yet.
  await report.or(page.getByText('No reconciliation has run yet.')).waitFor();
  const before = (await report.count()) ? await report.textContent() : null;
  await page.getByRole('button', { name: 'Run reconciliation' }).click();
  const queued = page.getByRole('status').filter({ hasText: 'Queued' });
  await queued.waitFor();
  await queued.waitFor({ state: 'detached', timeout: 30_000 });
  await report.filter({ hasText: /Run #\d+ finished/ }).waitFor();
  const runId = (text: string | null) => Number(/Run #(\d+)/.exec(text ?? '')?.[1] ?? 0);
  expect(runId(await report.textContent())).toBeGreaterThan(runId(before));
  await checkPage(page, 'admin-payments');

  // Dead letters: empty, then a failed job retried from here, and one already retried elsewhere.
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Dead letters' }).click();
  await page.getByText('No failed jobs waiting for a retry.').waitFor();
  await page.getByText('No webhook event has failed for good.').waitFor();
  await checkPage(page, 'admin-dead-letters-empty');

  // The one dead-letter path every job driver uses for a final failure.
  const fail = (jobId: string) =>
    web.node.pairly.services.deadLetters.record({ name: 'ledger.verify', jobId, payload: {}, error: 'Error: simulated failure for the admin journey', attempts: 5, stalled: false, enqueuedAt: new Date() });
  await fail(`journey-a-${randomUUID()}`);
  await fail(`journey-b-${randomUUID()}`);
  await page.reload();
  const items = page.getByRole('listitem').filter({ hasText: 'simulated failure' });
  await items.nth(1).waitFor();
  expect(await items.count()).toBe(2);
  await checkPage(page, 'admin-dead-letters');

  const open = (await http(web.url, 'GET', '/api/admin/jobs/dead-letters', { token: admin.accessToken })).body.deadLetters as { id: number }[];
  const [newest, older] = open.map((d) => d.id);
  await page.getByRole('button', { name: `Retry job ${newest} (ledger.verify)` }).click();
  await page.getByRole('status').filter({ hasText: `Job #${newest} (ledger.verify) is queued again.` }).waitFor();
  // The open list was asked again and no longer holds it.
  await page.getByRole('button', { name: `Retry job ${newest} (ledger.verify)` }).waitFor({ state: 'detached' });
  // Another admin retries the other one first: this page still offers it, and says so when asked.
  expect((await http(web.url, 'POST', `/api/admin/jobs/dead-letters/${older}/retry`, { token: admin.accessToken })).status).toBe(202);
  await page.getByRole('button', { name: `Retry job ${older} (ledger.verify)` }).click();
  await page.getByRole('status').filter({ hasText: `Job #${older} (ledger.verify) was already retried` }).waitFor();
  await page.getByText('No failed jobs waiting for a retry.').waitFor();
  await page.getByLabel('Show').selectOption('all');
  await items.filter({ hasText: 'retried' }).nth(1).waitFor();

  // The queues console (bull-board) opens in a tab of its own, with the jobs just retried, and nothing refused by
  // the page's security policy (its web fonts come from outside, which this machine cannot reach: not counted).
  const [board] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Open the queues console' }).click()]);
  const boardProblems: string[] = [];
  board.on('console', (m) => m.type() === 'error' && !m.text().includes('ERR_NAME_NOT_RESOLVED') && boardProblems.push(m.text()));
  await board.waitForURL(/\/admin\/queues\/$/);
  await board.getByText('ledger.verify').first().waitFor();
  expect(boardProblems).toEqual([]);
  await board.close();
  // Analytics: today's figures rolled up on demand; the person's and the admin's logins make today's active users.
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Analytics' }).click();
  await page.getByRole('heading', { name: 'Analytics' }).waitFor();
  await page.getByRole('button', { name: 'Roll these days up again' }).click();
  await page.getByRole('status').filter({ hasText: '30 days are being rolled up again' }).waitFor();
  const dau = page.getByRole('img', { name: /^Daily active users over 30 days: [2-9]/ });
  await expect.poll(async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Funnel of these days\' sign-ups' }).waitFor();
    return dau.count();
  }, { timeout: 30_000 }).toBe(1);
  await page.getByRole('row', { name: /^Signed up [1-9]/ }).waitFor();
  await checkPage(page, 'admin-analytics');

  expect(problems).toEqual([]);
}, 120_000);

it('a new admin without two-factor sign-in turns it on at the door of the admin area, then gets in', async () => {
  const admin = await newAdminViaCli(web.backing.env, web.url, { twoFactor: false });
  const { page, problems } = await openPage(browser, `${web.url}/login`, { allowStatus: [403] });
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Turn on two-factor sign-in' }).waitFor();
  await checkPage(page, 'admin-two-factor-gate');
  const card = page.getByRole('region', { name: 'Two-factor sign-in' });
  await card.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  const secret = (await card.getByTestId('two-factor-secret').textContent())!.trim();
  await card.getByLabel('Code from the app').fill(totp(secret).generate());
  await card.getByRole('button', { name: 'Turn on' }).click();
  await card.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').nth(9).waitFor();
  await card.getByRole('button', { name: 'I have saved them' }).click();
  await page.getByRole('button', { name: 'Continue to the admin area' }).click();
  await page.getByRole('navigation', { name: 'Admin' }).waitFor();
  await page.getByRole('status').filter({ hasText: /^Live$/ }).waitFor();
  expect(problems).toEqual([]);
});
