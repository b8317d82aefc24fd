import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { AuthResult } from '../../shared/auth.js';
import { callAs, checkPage, chooseFiles, launchBrowser, loadedWidth, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';
import { jpegWithGps } from '../support/media.js';
import { fund } from '../support/ledger.js';
import { tempDir } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/**
 * Mass messages in a real browser: a creator composes one to her subscribers (the audience's size shown before
 * sending) with a photo at a price, watches it go out batch by batch (one fan a batch, one batch a second
 * here) until it is sent; a subscriber finds it in his chat with her and unlocks the photo at the price shown;
 * the creator's list then shows the unlock and what it earned. A follower who does not subscribe gets nothing.
 */
let web: WebNode;
let browser: Browser;
const data = tempDir('web-mass-messages');

beforeAll(async () => {
  web = await startWebNode({ MEDIA_STORAGE: 'local', PAIRLY_DATA_DIR: data.path, RUN_WORKERS: 'true', MEDIA_UPLOADS_PER_HOUR: '100', MASS_MESSAGE_BATCH: '1', MASS_MESSAGE_PER_SECOND: '1' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  data.remove();
});

const call = <T = unknown>(who: AuthResult, method: string, path: string, body?: unknown) => callAs<T>(web.url, who, method, path, body);
const sql = (text: string, params: unknown[]) => pgQuery(web.backing.databaseUrl, text, params);
const bubble = (page: Page, text: string | RegExp) => page.getByRole('log').getByRole('listitem').filter({ hasText: text });

/** An active subscription as a row (creators.test.ts and web-creators cover subscribing itself). */
async function subscribe(fan: AuthResult, tierId: string, creator: AuthResult): Promise<void> {
  await sql(
    `INSERT INTO subscriptions (id, fan_id, creator_id, tier_id, status, period, months, period_price, current_period_start, current_period_end)
     VALUES ($1, $2, $3, $4, 'active', 1, 1, 50, now(), now() + interval '30 days')`,
    [randomUUID(), fan.user.id, creator.user.id, tierId],
  );
}

it('a creator sends a priced photo to her subscribers and watches it go out; a subscriber unlocks it in his chat at the price shown; her list shows the unlock and the earnings', async () => {
  const cleo = await signUpApi(web.url, { displayName: 'Cleo', role: 'creator' });
  const finn = await signUpApi(web.url, { displayName: 'Finn' });
  const gina = await signUpApi(web.url, { displayName: 'Gina' });
  const hal = await signUpApi(web.url, { displayName: 'Hal' });
  await call(cleo, 'PUT', '/api/creator/page', { handle: `cleo_${randomUUID().slice(0, 8)}` });
  const { tier } = await call<{ tier: { id: string } }>(cleo, 'POST', '/api/creator/tiers', { name: 'Fans', price: 50 });
  await subscribe(finn, tier.id, cleo);
  await subscribe(gina, tier.id, cleo);
  await sql(`INSERT INTO follows (follower_id, creator_id) VALUES ($1, $2)`, [hal.user.id, cleo.user.id]);
  await fund(web.node.pairly, finn.user.id, 100);

  // (a) The composer, on a phone: the audience's size before anything is sent.
  const c = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(c.page, web.url, cleo, '/mass-messages');
  await c.page.getByText('No mass messages yet.').waitFor();
  const form = c.page.getByRole('form', { name: 'New mass message' });
  await form.getByLabel('Send to').selectOption('subscribers');
  await form.getByTestId('audience-size').filter({ hasText: 'Reaches 2 fans' }).waitFor();
  await form.getByLabel('Send to').selectOption('followers');
  await form.getByTestId('audience-size').filter({ hasText: 'Reaches 3 fans' }).waitFor();
  await form.getByLabel('Send to').selectOption('subscribers');
  await form.getByTestId('audience-size').filter({ hasText: 'Reaches 2 fans' }).waitFor();
  await form.getByLabel('Message').fill('A new set, just for subscribers');
  await chooseFiles(c.page, form.getByRole('button', { name: 'Add a photo or video' }), [{ name: 'set.jpg', mimeType: 'image/jpeg', buffer: await jpegWithGps(1200, 900) }]);
  await form.getByText('Ready', { exact: true }).waitFor();
  await form.getByLabel('Price to unlock (credits)').fill('25');
  await checkPage(c.page, 'mass-message-composer');

  // (b) Sent: progress moves batch by batch (pushed over the socket), then it is done.
  await form.getByRole('button', { name: 'Send to 2 fans' }).click();
  const row = c.page.getByRole('list', { name: 'Sent mass messages' }).getByRole('listitem').filter({ hasText: 'A new set, just for subscribers' });
  await row.getByText('1 of 2 sent (50%)').waitFor();
  await checkPage(c.page, 'mass-message-sending');
  await row.getByText('Sent', { exact: true }).waitFor();
  await row.getByText('2 sent · 0 read · 0 unlocked · 0 credits earned').waitFor();
  expect(await row.getByRole('button', { name: /Cancel/ }).count()).toBe(0);

  // (c) Finn finds it in his chat with Cleo, locked, and unlocks it at the price shown.
  const f = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(f.page, web.url, finn, '/chats');
  await f.page.getByRole('link', { name: /Cleo/ }).click();
  const got = bubble(f.page, 'A new set, just for subscribers');
  await got.getByText('Pay-to-view photo').waitFor();
  await got.getByRole('button', { name: 'Unlock for 25 credits' }).click();
  const dialog = f.page.getByRole('dialog', { name: 'Unlock this photo?' });
  await dialog.getByText('Cleo asks 25 credits to see this photo.').waitFor();
  await dialog.getByRole('button', { name: 'Unlock 25 credits' }).click();
  await dialog.waitFor({ state: 'detached' });
  expect(await loadedWidth(got.getByRole('img', { name: 'Photo from Cleo' }))).toBeGreaterThan(32);
  expect((await call<{ wallet: { available: number } }>(finn, 'GET', '/api/wallet')).wallet.available).toBe(75);
  // Hal follows but does not subscribe: no conversation with Cleo.
  expect((await call<{ conversations: unknown[] }>(hal, 'GET', '/api/conversations')).conversations).toEqual([]);

  // (d) Cleo's list shows the read, the unlock and her earnings (the 80 % of 25 credits) once the earnings push lands.
  await row.getByText(/2 sent · 1 read · 1 unlocked · 20 credits earned/).waitFor();
  await checkPage(c.page, 'mass-message-stats');

  expect(c.problems).toEqual([]);
  expect(f.problems).toEqual([]);
  await Promise.all([c.context.close(), f.context.close()]);
}, 180_000);
