import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { callAs, checkPage, launchBrowser, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';

/**
 * Dating with consent in a real browser. Dee and Eli take messages only from their matches (the
 * default). Eli finds Dee's profile: no Message button, a like instead. Dee sees Eli under "Likes
 * you", likes him back, and writes from her Matches list; Eli reads it. Then Dee unmatches Eli and
 * his open conversation ends live, and Settings shows (and changes) who may message Eli.
 */

let web: WebNode;
let browser: Browser;

beforeAll(async () => {
  web = await startWebNode();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
});

it('a like instead of a message, who liked me, like back, write from Matches, unmatch ends the conversation live', async () => {
  const dee = await signUpApi(web.url, { displayName: 'Dee', whoCanMessage: 'matches' });
  const eli = await signUpApi(web.url, { displayName: 'Eli', whoCanMessage: 'matches' });

  // --- Eli, at phone width, on Dee's profile: she takes messages only from matches, so he likes her.
  const e = await openPage(browser, web.url, { viewport: PHONE });
  const ep = e.page;
  await signIn(ep, web.url, eli, `/u/${dee.user.id}`);
  await ep.getByText('Dee takes messages and calls only from their matches').waitFor();
  expect(await ep.getByRole('button', { name: 'Message' }).count()).toBe(0);
  await ep.getByRole('button', { name: 'Like', exact: true }).click();
  await ep.getByRole('status').filter({ hasText: 'You liked Dee.' }).waitFor();
  await checkPage(ep, 'matches-like-first');

  // --- Dee sees Eli under "Likes you" and likes him back: a match.
  const d = await openPage(browser, web.url);
  const dp = d.page;
  await signIn(dp, web.url, dee, '/matches');
  await dp.getByText('No matches yet').waitFor();
  await dp.getByRole('tab', { name: 'Likes you' }).click();
  const likes = dp.getByRole('list', { name: 'People who liked you' });
  await likes.getByRole('link', { name: /Eli/ }).waitFor();
  await checkPage(dp, 'matches-likes-you');
  await dp.getByRole('button', { name: 'Like back Eli' }).click();
  await dp.getByRole('heading', { name: 'It’s a match!' }).waitFor();
  await dp.getByRole('button', { name: 'Keep discovering' }).click();
  await dp.getByText('No new likes').waitFor();

  // --- From her Matches list she writes to him; Eli, now matched, opens the conversation and reads it.
  await dp.getByRole('tab', { name: 'Matches' }).click();
  const matches = dp.getByRole('list', { name: 'Your matches' });
  await matches.getByRole('link', { name: /Eli/ }).waitFor();
  await checkPage(dp, 'matches-list');
  await matches.getByRole('link', { name: 'Message' }).click();
  await dp.getByRole('textbox', { name: /Message/ }).fill('Hi Eli!');
  await dp.keyboard.press('Enter');
  const { matches: elisMatches } = await callAs<{ matches: { conversationId: string }[] }>(web.url, eli, 'GET', '/api/matches');
  const conversationId = elisMatches[0]!.conversationId;
  await ep.goto(`${web.url}/chats/${conversationId}`);
  await ep.getByRole('log', { name: 'Messages with Dee' }).getByText('Hi Eli!', { exact: true }).waitFor();

  // --- Dee unmatches Eli (confirmed in a dialog); Eli's open conversation ends at once.
  await dp.goto(`${web.url}/matches`);
  await dp.getByRole('button', { name: 'Unmatch Eli' }).click();
  const dialog = dp.getByRole('dialog', { name: 'Unmatch Eli?' });
  await dialog.getByRole('button', { name: 'Unmatch' }).click();
  await dp.getByText('No matches yet').waitFor();
  await ep.getByText('This conversation has ended').waitFor();
  expect(await ep.getByRole('textbox', { name: /Message/ }).count()).toBe(0);

  // --- Eli's settings: only matches may write to him, until he chooses everyone.
  await ep.goto(`${web.url}/settings`);
  const onlyMatches = ep.getByRole('radio', { name: /Only my matches/ });
  await onlyMatches.waitFor();
  expect(await onlyMatches.isChecked()).toBe(true);
  await ep.getByRole('radio', { name: /Everyone/ }).check();
  await ep.getByText('Saved.').first().waitFor();
  expect(await ep.getByRole('radio', { name: /Everyone/ }).isChecked()).toBe(true);
  await checkPage(ep, 'settings-who-can-message');
  const { profile } = await callAs<{ profile: { preferences: { whoCanMessage: string } } }>(web.url, eli, 'GET', '/api/profile');
  expect(profile.preferences.whoCanMessage).toBe('everyone');
  expect(e.problems).toEqual([]);
  expect(d.problems).toEqual([]);
}, 90_000);
