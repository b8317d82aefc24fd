import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { checkPage, launchBrowser, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';

/**
 * Issue #10, journey 3: a random text match between two people in two
 * browser contexts. Both join with a shared interest and are paired; each
 * sees who the other is, they exchange messages (typing shows live), then
 * one skips: the skipper is waiting again, the other is told the chat ended
 * and reports the session.
 */

let web: WebNode;
let browser: Browser;

beforeAll(async () => {
  web = await startWebNode({ MATCH_PAIR_INTERVAL_MS: '100' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
});

it('pairs two people on a shared interest, they chat, one skips and the other sees it ended', async () => {
  const ana = await signUpApi(web.url, { displayName: 'Ana' });
  const ben = await signUpApi(web.url, { displayName: 'Ben' });
  const a = await openPage(browser, web.url);
  const b = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(a.page, web.url, ana, '/random');
  await signIn(b.page, web.url, ben, '/random');

  // Set-up: interests as chips (the server's rules: lower case, letters and digits).
  await a.page.getByRole('heading', { name: 'Random chat' }).waitFor();
  await a.page.getByLabel('Interests (optional)').fill('Jazz');
  await a.page.getByRole('button', { name: 'Add' }).click();
  await a.page.getByLabel('Interests (optional)').fill('c++');
  await a.page.getByRole('button', { name: 'Add' }).click();
  await a.page.getByRole('alert').filter({ hasText: 'letters, numbers' }).waitFor();
  await a.page.getByLabel('Interests (optional)').fill('Hiking');
  await a.page.getByRole('button', { name: 'Add' }).click();
  await a.page.getByRole('list', { name: 'Your interests' }).getByText('hiking').waitFor();
  await a.page.getByRole('button', { name: 'Remove hiking' }).click();
  expect(await a.page.getByRole('list', { name: 'Your interests' }).getByRole('listitem').allInnerTexts()).toEqual([expect.stringContaining('jazz')]);
  await checkPage(a.page, 'random-setup');

  await a.page.getByRole('button', { name: 'Start text chat' }).click();
  await a.page.getByRole('status').filter({ hasText: 'Looking for someone to chat with' }).waitFor();
  await checkPage(a.page, 'random-waiting');

  await b.page.getByLabel('Interests (optional)').fill('jazz');
  await b.page.getByRole('button', { name: 'Add' }).click();
  await b.page.getByRole('button', { name: 'Start text chat' }).click();

  // Matched: each sees the other, and the interest they share.
  await a.page.getByRole('heading', { name: /^Ben, \d+$/ }).waitFor();
  await b.page.getByRole('heading', { name: /^Ana, \d+$/ }).waitFor();
  expect(await a.page.getByRole('list', { name: 'Interests you share' }).innerText()).toBe('jazz');

  // A message each way, typing shown live.
  await a.page.getByRole('textbox', { name: 'Message' }).fill('Hi Ben, which jazz?');
  await b.page.getByText('Ana is typing…').waitFor();
  await a.page.getByRole('button', { name: 'Send', exact: true }).click();
  await b.page.getByRole('list', { name: 'Messages' }).getByText('Hi Ben, which jazz?').waitFor();
  await b.page.getByRole('textbox', { name: 'Message' }).fill('Hello Ana! Bebop, mostly.');
  await b.page.keyboard.press('Enter');
  await a.page.getByRole('list', { name: 'Messages' }).getByText('Hello Ana! Bebop, mostly.').waitFor();
  await a.page.getByRole('list', { name: 'Messages' }).getByText('Hi Ben, which jazz?').waitFor();
  await checkPage(a.page, 'random-matched');

  // Ana skips: she waits for the next person; Ben is told, and his chat is closed.
  await a.page.getByRole('button', { name: 'Skip' }).click();
  await a.page.getByRole('status').filter({ hasText: 'Looking for someone to chat with' }).waitFor();
  await b.page.getByRole('alert').filter({ hasText: 'They skipped to someone new' }).waitFor();
  expect(await b.page.getByRole('textbox', { name: 'Message' }).isDisabled()).toBe(true);
  await b.page.getByRole('list', { name: 'Messages' }).getByText('Hi Ben, which jazz?').waitFor();
  await checkPage(b.page, 'random-ended');

  // Ben reports the session (POST /api/match/sessions/:id/report).
  await b.page.getByRole('button', { name: 'Report Ana' }).click();
  await b.page.getByLabel('What happened?').fill('Left mid-sentence (test report)');
  await b.page.getByRole('button', { name: 'Send report' }).click();
  await b.page.getByRole('status').filter({ hasText: 'Your report about Ana was sent' }).waitFor();

  // Ben looks for someone new: the two who just parted are not paired again (cooldown), so both wait.
  await b.page.getByRole('button', { name: 'Find someone new' }).click();
  await b.page.getByRole('status').filter({ hasText: 'Looking for someone to chat with' }).waitFor();
  await b.page.getByRole('button', { name: 'Cancel' }).click();
  await b.page.getByRole('button', { name: 'Start text chat' }).waitFor();
  await a.page.getByRole('button', { name: 'Cancel' }).click();
  await a.page.getByRole('button', { name: 'Start text chat' }).waitFor();

  expect(a.problems).toEqual([]);
  expect(b.problems).toEqual([]);
}, 120_000);
