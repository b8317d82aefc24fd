import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import type { AuthResult } from '../../shared/auth.js';
import type { MediaView } from '../../shared/media.js';
import { callAs, checkPage, chooseFiles, launchBrowser, loadedWidth, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';
import { jpegWithGps, noisePng } from '../support/media.js';
import { fund } from '../support/ledger.js';
import { tempDir } from '../support/pairly.js';
import { connect } from '../support/client.js';

/**
 * Photos and videos in a real browser (issue #11), on a node with the
 * embedded storage driver and its job workers (processing runs for real):
 * a photo uploaded in settings is processed, saved and reordered, and
 * another person sees it load on the profile, the discover card, the
 * conversation list and a random-match card; a photo sent in a chat shows
 * its upload progress in the composer and loads on the other side; a
 * creator's pay-to-view photo reaches a fan locked, the fan without credits
 * is sent to the wallet, and once funded unlocks it at the price shown.
 */

let web: WebNode;
let browser: Browser;
const data = tempDir('web-media');

beforeAll(async () => {
  // Random matches pair at once, without waiting for a shared interest.
  web = await startWebNode({ MEDIA_STORAGE: 'local', PAIRLY_DATA_DIR: data.path, RUN_WORKERS: 'true', MEDIA_UPLOADS_PER_HOUR: '100', MATCH_FALLBACK_MS: '0', MATCH_PAIR_INTERVAL_MS: '100' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  data.remove();
});

const call = <T = unknown>(who: AuthResult, method: string, path: string, body?: unknown) => callAs<T>(web.url, who, method, path, body);

const choose = chooseFiles;


const bubble = (page: Page, text: string | RegExp) => page.getByRole('log').getByRole('listitem').filter({ hasText: text });

it('a photo uploaded in settings is processed and saved; another person sees it wherever Ada appears, and a second one reordered first', async () => {
  const ada = await signUpApi(web.url, { displayName: 'Ada' });
  const ben = await signUpApi(web.url, { displayName: 'Ben' });
  const a = await openPage(browser, web.url);
  await signIn(a.page, web.url, ada, '/settings');
  const card = a.page.getByRole('region', { name: 'Photos' });
  await card.getByText('No photos yet').waitFor();

  await choose(a.page, card.getByRole('button', { name: 'Add photos' }), [{ name: 'beach.jpg', mimeType: 'image/jpeg', buffer: await jpegWithGps(1600, 1200) }]);
  const first = card.getByRole('listitem').filter({ hasText: 'Photo 1' });
  await first.getByText('Ready', { exact: true }).waitFor();
  expect(await loadedWidth(first.getByRole('img', { name: 'Your photo 1 (primary)' }))).toBeGreaterThan(0);
  await card.getByText('You have unsaved changes.').waitFor();
  await checkPage(a.page, 'settings-photo-ready');
  await card.getByRole('button', { name: 'Save photos' }).click();
  await card.getByText('Photos saved.').waitFor();
  const saved = await call<{ profile: { photos: MediaView[] } }>(ada, 'GET', '/api/profile');
  expect(saved.profile.photos.map((p) => p.state)).toEqual(['ready']);
  const firstId = saved.profile.photos[0]!.id;

  // Ben sees it on Ada's profile: the picture really loads, as her avatar too.
  const b = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(b.page, web.url, ben, `/u/${ada.user.id}`);
  await b.page.getByRole('heading', { name: 'Ada', level: 1 }).waitFor();
  const width = await loadedWidth(b.page.getByRole('img', { name: 'Ada’s photo' }));
  // The variant that fits a phone (the original was 1600 px wide and is never served).
  expect(width).toBeGreaterThan(0);
  expect(width).toBeLessThanOrEqual(1280);
  expect(await loadedWidth(b.page.locator('.pp-avatar img'))).toBeGreaterThan(0);
  await checkPage(b.page, 'profile-with-photo');

  // A second photo, moved first with the keyboard alone, then saved: it is the primary one now.
  await choose(a.page, card.getByRole('button', { name: 'Add photos' }), [{ name: 'hills.png', mimeType: 'image/png', buffer: await noisePng(300) }]);
  const second = card.getByRole('listitem').filter({ hasText: 'Photo 2' });
  await second.getByText('Ready', { exact: true }).waitFor();
  await second.getByRole('button', { name: 'Move photo 2 earlier' }).focus();
  await a.page.keyboard.press('Enter');
  await a.page.getByText('Photo moved to position 1 of 2: it is your primary photo.').first().waitFor();
  // The focus stayed with the moved photo (now first, so on its "later" button).
  expect(await a.page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } } }).document.activeElement.getAttribute('aria-label'))).toBe('Move photo 1 later');
  await card.getByRole('button', { name: 'Save photos' }).click();
  await card.getByText('Photos saved.').waitFor();
  const reordered = await call<{ profile: { photos: MediaView[] } }>(ada, 'GET', '/api/profile');
  expect(reordered.profile.photos).toHaveLength(2);
  expect(reordered.profile.photos[1]!.id).toBe(firstId);
  await checkPage(a.page, 'settings-photos-two');

  await b.page.reload();
  expect(await loadedWidth(b.page.getByRole('img', { name: 'Ada, photo 1 of 2' }))).toBeGreaterThan(0);
  expect(await loadedWidth(b.page.getByRole('img', { name: 'Ada, photo 2 of 2' }))).toBeGreaterThan(0);
  await checkPage(b.page, 'profile-gallery');

  // Her primary photo is her discover card, and her picture stands for her in Ben's conversation list.
  await b.page.goto(`${web.url}/discover`);
  expect(await loadedWidth(b.page.getByRole('article', { name: /^Ada,/ }).getByRole('img', { name: 'Ada’s photo' }))).toBeGreaterThan(0);
  await checkPage(b.page, 'discover-photo');
  await call(ben, 'POST', '/api/conversations', { userId: ada.user.id });
  await b.page.goto(`${web.url}/chats`);
  expect(await loadedWidth(b.page.getByRole('link', { name: /Ada/ }).locator('.chat-avatar img'))).toBeGreaterThan(0);

  // Matched at random with Ada (joining from a socket), Ben sees her picture on the match card.
  await b.page.goto(`${web.url}/random`);
  await b.page.getByRole('button', { name: 'Start text chat' }).click();
  const socket = await connect(web.url, ada.accessToken);
  try {
    expect((await socket.timeout(5000).emitWithAck('match:join', { mode: 'text' })).ok).toBe(true);
    await b.page.getByRole('heading', { name: /^Ada, \d+$/ }).waitFor();
    expect(await loadedWidth(b.page.locator('.peer-card .avatar img'))).toBeGreaterThan(0);
    await checkPage(b.page, 'random-match-photo');
    expect((await socket.timeout(5000).emitWithAck('match:leave', {})).ok).toBe(true);
    await b.page.getByText('They left the chat.').waitFor();
  } finally {
    socket.close();
  }

  expect(a.problems).toEqual([]);
  expect(b.problems).toEqual([]);
  await Promise.all([a.context.close(), b.context.close()]);
}, 120_000);

it('a photo sent in a chat shows its upload progress in the composer and loads for the peer', async () => {
  const cat = await signUpApi(web.url, { displayName: 'Cat' });
  const dan = await signUpApi(web.url, { displayName: 'Dan' });
  const { conversationId } = await call<{ conversationId: string }>(cat, 'POST', '/api/conversations', { userId: dan.user.id });

  const c = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(c.page, web.url, cat, `/chats/${conversationId}`);
  await c.page.getByLabel('Message to Dan').waitFor();
  // A slow uplink, so the upload is seen going (the bytes, not a clock, decide when it ends).
  const cdp = await c.context.newCDPSession(c.page);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
  await choose(c.page, c.page.getByRole('button', { name: 'Attach a photo or video' }), [{ name: 'sunset.png', mimeType: 'image/png', buffer: await noisePng(600) }]);
  const tray = c.page.getByRole('group', { name: 'Attachment' });
  const progress = tray.getByRole('progressbar', { name: 'Uploading sunset.png' });
  await progress.waitFor();
  // Part of the way: the browser reports the bytes as they go.
  await tray.getByText(/^Uploading… [1-9]\d?%$/).waitFor();
  const value = await progress.evaluate((el) => {
    const p = el as unknown as { value: number; max: number };
    return { value: p.value, max: p.max };
  });
  expect(value.value).toBeGreaterThan(0);
  expect(value.value).toBeLessThan(value.max);
  await checkPage(c.page, 'chat-attachment-uploading');
  // Sending waits for the photo to be processed.
  expect(await c.page.getByRole('button', { name: 'Send', exact: true }).isDisabled()).toBe(true);
  await tray.getByText('Ready to send').waitFor();
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  expect(await loadedWidth(tray.getByRole('img', { name: 'Your attachment, sunset.png' }))).toBeGreaterThan(0);
  await c.page.getByLabel('Message to Dan').fill('The view from here');
  await c.page.getByRole('button', { name: 'Send', exact: true }).click();
  await tray.waitFor({ state: 'detached' });
  await bubble(c.page, 'The view from here').getByText(/^(Sent|Delivered|Read)$/).waitFor();
  expect(await loadedWidth(bubble(c.page, 'The view from here').getByRole('img', { name: 'Your photo' }))).toBeGreaterThan(0);

  const d = await openPage(browser, web.url);
  await signIn(d.page, web.url, dan, '/chats');
  await d.page.getByRole('link', { name: /Cat/ }).getByText('The view from here').click();
  const got = bubble(d.page, 'The view from here');
  expect(await loadedWidth(got.getByRole('img', { name: 'Photo from Cat' }))).toBeGreaterThan(0);
  await checkPage(d.page, 'chat-attachment-received');

  expect(c.problems).toEqual([]);
  expect(d.problems).toEqual([]);
  await Promise.all([c.context.close(), d.context.close()]);
}, 120_000);

it('a creator’s pay-to-view photo reaches a fan locked; without credits the wallet is offered; funded, the fan unlocks it at the price shown', async () => {
  const cleo = await signUpApi(web.url, { displayName: 'Cleo', role: 'creator' });
  const finn = await signUpApi(web.url, { displayName: 'Finn' });
  const { conversationId } = await call<{ conversationId: string }>(finn, 'POST', '/api/conversations', { userId: cleo.user.id });

  const c = await openPage(browser, web.url);
  await signIn(c.page, web.url, cleo, `/chats/${conversationId}`);
  await choose(c.page, c.page.getByRole('button', { name: 'Attach a photo or video' }), [{ name: 'studio.jpg', mimeType: 'image/jpeg', buffer: await jpegWithGps(1200, 900) }]);
  const tray = c.page.getByRole('group', { name: 'Attachment' });
  await tray.getByText('Ready to send').waitFor();
  await tray.getByLabel('Price to view (credits)').fill('30');
  await checkPage(c.page, 'chat-attachment-priced');
  await c.page.getByLabel('Message to Finn').fill('Just for you');
  await c.page.getByRole('button', { name: 'Send', exact: true }).click();
  const sent = bubble(c.page, 'Just for you');
  await sent.getByText('Pay-to-view · 30 credits').waitFor();
  // The creator sees her own photo in full.
  expect(await loadedWidth(sent.getByRole('img', { name: 'Your photo' }))).toBeGreaterThan(0);

  const f = await openPage(browser, web.url, { viewport: PHONE, allowStatus: [402] });
  await signIn(f.page, web.url, finn, `/chats/${conversationId}`);
  const got = bubble(f.page, 'Just for you');
  await got.getByText('Pay-to-view photo').waitFor();
  expect(await got.getByRole('img', { name: 'Photo from Cleo' }).count()).toBe(0);
  // The blurred preview is what loads, and only it.
  expect(await loadedWidth(got.locator('.media-locked-preview'))).toBeLessThanOrEqual(32);
  await checkPage(f.page, 'chat-attachment-locked');

  await got.getByRole('button', { name: 'Unlock for 30 credits' }).click();
  const dialog = f.page.getByRole('dialog', { name: 'Unlock this photo?' });
  await dialog.getByText('Cleo asks 30 credits to see this photo.').waitFor();
  await dialog.getByText('You have 0 credits.').waitFor();
  await dialog.getByRole('button', { name: 'Unlock 30 credits' }).click();
  await dialog.getByText('You do not have enough credits for this (30 credits). Nothing was charged.').waitFor();
  await dialog.getByRole('link', { name: 'Buy credits' }).waitFor();
  await checkPage(f.page, 'chat-unlock-insufficient');

  // Funded meanwhile (the wallet push updates the balance shown), Finn tries again at the same price.
  await fund(web.node.pairly, finn.user.id, 100);
  await dialog.getByText('You have 100 credits.').waitFor();
  await dialog.getByRole('button', { name: 'Unlock 30 credits' }).click();
  await dialog.waitFor({ state: 'detached' });
  expect(await loadedWidth(got.getByRole('img', { name: 'Photo from Cleo' }))).toBeGreaterThan(32);
  await f.page.getByTestId('nav-balance').filter({ hasText: /^70$/ }).waitFor();
  expect((await call<{ wallet: { available: number } }>(finn, 'GET', '/api/wallet')).wallet.available).toBe(70);
  await checkPage(f.page, 'chat-attachment-unlocked');

  expect(c.problems).toEqual([]);
  expect(f.problems).toEqual([]);
  await Promise.all([c.context.close(), f.context.close()]);
}, 120_000);
