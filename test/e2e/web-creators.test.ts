import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import type { AuthResult } from '../../shared/auth.js';
import type { MediaView } from '../../shared/media.js';
import { callAs, checkPage, chooseFiles, launchBrowser, loadedWidth, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';
import { jpegWithGps, noisePng, processed, uploadAndConfirm } from '../support/media.js';
import { fund } from '../support/ledger.js';
import { tempDir } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/**
 * The creator economy in a real browser (issue #12), on a node with the
 * embedded storage driver and its job workers: a creator sets up a page, a
 * tier and a trial link in the studio and posts a subscriber-only photo
 * through the composer; a fan finds them in the listing, sees the post
 * locked (only the blurred preview reaches the page), subscribes at the
 * price shown and sees it; the fan's tip appears live in the creator's open
 * studio; the trial link opens the post for nothing; another fan unlocks a
 * pay-per-view post at the price shown, after a refusal for credits and a
 * price change. Along the way the fan filters and sorts the listing,
 * bookmarks the post from the feed and removes it from /bookmarks, moves to
 * another tier from the next renewal (price and date shown before consent),
 * and sees the renewal job's notices: renewed, unpaid (grace), ended.
 */

let web: WebNode;
let browser: Browser;
const data = tempDir('web-creators');

beforeAll(async () => {
  // The renewal schedule stays out of the way (an hour): the journey runs renewals itself, when it wants them.
  web = await startWebNode({ MEDIA_STORAGE: 'local', PAIRLY_DATA_DIR: data.path, RUN_WORKERS: 'true', MEDIA_UPLOADS_PER_HOUR: '100', CREATOR_RENEW_SECONDS: '3600', CREATOR_GRACE_DAYS: '3' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  data.remove();
});

const call = <T = unknown>(who: AuthResult, method: string, path: string, body?: unknown) => callAs<T>(web.url, who, method, path, body);

const choose = chooseFiles;
const sql = (text: string, params: unknown[]) => pgQuery(web.backing.databaseUrl, text, params);
/** Moves a subscription's period end into the past and runs the renewal job's step for it, as the schedule would. */
const renewNow = async (subId: string) => {
  await sql(`UPDATE subscriptions SET current_period_end = now() - interval '1 minute', current_period_start = now() - interval '30 days' WHERE id = $1`, [subId]);
  await web.node.pairly.services.subscriptions.renewOne(subId);
};
/** The creators listing's cards in order, by display name. */
const listed = async (page: Page) => (await page.getByRole('list', { name: 'Creators' }).locator('.creator-name').allTextContents());


const unique = () => crypto.randomUUID().replace(/-/g, '').slice(0, 8);

it('a creator sets up a page, tiers and a subscriber-only photo in the studio; a fan filters the listing, sees it locked, subscribes at the price shown, bookmarks it, tips, switches tier and is told of renewal, grace and expiry; a trial link opens it free', async () => {
  const cleo = await signUpApi(web.url, { displayName: 'Cleo', role: 'creator' });
  const finn = await signUpApi(web.url, { displayName: 'Finn' });
  const handle = `cleo_${unique()}`;
  // Another creator for the listing's filters and sorts: older than Cleo, dearer, tagged music, no trial, one follower.
  const omar = await signUpApi(web.url, { displayName: 'Omar', role: 'creator' });
  const omarHandle = `omar_${unique()}`;
  await call(omar, 'PUT', '/api/creator/page', { handle: omarHandle, tags: ['music'] });
  await call(omar, 'POST', '/api/creator/tiers', { name: 'Backstage', price: 500 });
  await call(finn, 'POST', `/api/creators/${omarHandle}/follow`);

  // (a) The studio: page, tier, then a post for subscribers with a photo uploaded through the composer.
  const c = await openPage(browser, web.url, { allowStatus: [404] });
  await signIn(c.page, web.url, cleo, '/studio');
  await c.page.getByLabel('Handle').fill(handle);
  await c.page.getByLabel('Bio').fill('Photos from the studio.');
  await c.page.getByLabel('Tags').fill('photo, studio');
  await c.page.getByRole('button', { name: 'Create page' }).click();
  await c.page.getByRole('link', { name: `/c/${handle}` }).waitFor();
  const newTier = c.page.getByRole('form', { name: 'New tier' });
  await newTier.getByLabel('Tier name').fill('Fans');
  await newTier.getByLabel('Price per month (credits)').fill('50');
  await newTier.getByLabel('3 months').fill('10');
  await newTier.getByRole('button', { name: 'Add tier' }).click();
  await c.page.getByText('Fans (tier 1) · 50 credits a month').waitFor();
  await newTier.getByLabel('Tier name').fill('VIP');
  await newTier.getByLabel('Price per month (credits)').fill('100');
  await newTier.getByRole('button', { name: 'Add tier' }).click();
  await c.page.getByText('VIP (tier 2) · 100 credits a month').waitFor();
  const newTrial = c.page.getByRole('form', { name: 'New trial link' });
  await newTrial.getByLabel('Free days (1–90)').fill('3');
  await newTrial.getByRole('button', { name: 'Create trial link' }).click();
  const trialCode = (await c.page.locator('code').filter({ hasText: /^\/trial\// }).textContent())!.replace('/trial/', '');

  await c.page.getByLabel('Text', { exact: true }).fill('Behind the scenes');
  await choose(c.page, c.page.getByRole('button', { name: 'Add photos or videos' }), [{ name: 'set.jpg', mimeType: 'image/jpeg', buffer: await jpegWithGps(1200, 900) }]);
  const tray = c.page.getByRole('list', { name: 'Post media' });
  await tray.getByText('Ready', { exact: true }).waitFor();
  await c.page.getByLabel('Who can see it').selectOption('tier');
  await c.page.getByLabel('Lowest tier').selectOption({ label: 'Fans (tier 1) and up' });
  await checkPage(c.page, 'studio-composer');
  await c.page.getByRole('button', { name: 'Post', exact: true }).click();
  await c.page.getByText('Posted.').waitFor();
  const own = c.page.getByTestId('post').filter({ hasText: 'Behind the scenes' });
  await own.getByText(/Subscribers of tier 1 and up/).waitFor();
  expect(await loadedWidth(own.getByRole('img', { name: 'Cleo’s post, photo 1 of 1' }))).toBeGreaterThan(32);
  await own.getByRole('button', { name: 'Edit', exact: true }).click();
  await own.getByLabel('Post text').fill('Behind the scenes, day 1');
  await own.getByRole('button', { name: 'Save post' }).click();
  await own.getByText('Behind the scenes, day 1').waitFor();
  await checkPage(c.page, 'studio-ready');

  // (b) A fan finds the creator in the listing; the post is locked, only its blurred preview is on the page.
  await fund(web.node.pairly, finn.user.id, 200);
  const f = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(f.page, web.url, finn, '/creators');
  const card = f.page.getByRole('link', { name: new RegExp(`Cleo @${handle}`) });
  await card.getByText('From 50 credits a month · Free trial').waitFor();
  // Popular first (Omar has a follower); then each filter, applied with the keyboard, narrows the list.
  await expect.poll(() => listed(f.page)).toEqual(['Omar', 'Cleo']);
  await checkPage(f.page, 'creators-listing');
  const filters = f.page.getByRole('form', { name: 'Filter creators' });
  const apply = async (label: string, value: string) => {
    await filters.getByLabel(label).fill(value);
    await filters.getByLabel(label).press('Enter');
  };
  await apply('Tags', 'music');
  await expect.poll(() => listed(f.page)).toEqual(['Omar']);
  await apply('Tags', 'knitting');
  await f.page.getByText('No creators match.').waitFor();
  await apply('Tags', '');
  await apply('Price up to (credits a month)', '100');
  await expect.poll(() => listed(f.page)).toEqual(['Cleo']);
  await apply('Price up to (credits a month)', '');
  await apply('Price from (credits a month)', '100');
  await expect.poll(() => listed(f.page)).toEqual(['Omar']);
  await apply('Price from (credits a month)', '');
  await filters.getByLabel('With a free trial').check();
  await filters.getByRole('button', { name: 'Show creators' }).click();
  await expect.poll(() => listed(f.page)).toEqual(['Cleo']);
  await filters.getByLabel('With a free trial').uncheck();
  await filters.getByLabel('Sort').selectOption('new');
  await filters.getByRole('button', { name: 'Show creators' }).click();
  await expect.poll(() => listed(f.page)).toEqual(['Cleo', 'Omar']);
  await card.click();
  await f.page.getByRole('heading', { name: 'Cleo', level: 1 }).waitFor();
  const post = f.page.getByTestId('post');
  await post.getByText('Subscribe (Fans or VIP) to see this post.').waitFor();
  expect(await post.getByText('Behind the scenes').count()).toBe(0);
  expect(await post.getByRole('img').count()).toBe(0);
  const imgs = post.locator('img');
  expect(await imgs.count()).toBe(1);
  expect(await loadedWidth(imgs.first())).toBeLessThanOrEqual(32);
  expect(await imgs.first().getAttribute('srcset')).toBeNull();
  await checkPage(f.page, 'creator-locked');

  const head = f.page.locator('.creator-head-actions');
  await head.getByRole('button', { name: 'Follow', exact: true }).click();
  await head.getByRole('button', { name: 'Unfollow' }).waitFor();
  await head.getByRole('button', { name: 'Subscribe', exact: true }).click();
  const dialog = f.page.getByRole('dialog', { name: 'Subscribe to Cleo' });
  await expect.poll(() => dialog.getByTestId('subscribe-total').textContent()).toBe('You pay 50 credits now for Fans.');
  await dialog.getByText('3 months · 135 credits (10% off)').waitFor();
  await dialog.getByText('You have 200 credits.').waitFor();
  await checkPage(f.page, 'creator-subscribe');
  await dialog.getByRole('button', { name: 'Pay 50 credits' }).click();
  await dialog.waitFor({ state: 'detached' });
  await f.page.getByTestId('subscription-state').filter({ hasText: /^Subscribed to Fans, active until .*; renews for 50 credits\.$/ }).waitFor();
  // The creator, in the studio, is told at once.
  await c.page.getByTestId('live-toast').filter({ hasText: 'Finn subscribed to Fans for a month (50 credits).' }).waitFor();
  await post.getByText('Behind the scenes').waitFor();
  expect(await loadedWidth(post.getByRole('img', { name: 'Cleo’s post, photo 1 of 1' }))).toBeGreaterThan(32);
  await f.page.getByTestId('nav-balance').filter({ hasText: /^150$/ }).waitFor();
  await post.getByRole('button', { name: 'Comments · 0' }).click();
  await post.getByLabel('Add a comment').fill('Lovely light');
  await post.getByRole('button', { name: 'Post', exact: true }).click();
  await post.getByRole('region', { name: 'Comments' }).getByText('Lovely light').waitFor();
  await post.getByRole('button', { name: 'Comments · 1' }).waitFor();
  await checkPage(f.page, 'creator-subscribed');

  // The feed has it too (the follow filled it).
  await f.page.getByRole('link', { name: 'Feed', exact: true }).click();
  await f.page.getByRole('heading', { name: 'Feed', level: 1 }).waitFor();
  expect(await loadedWidth(f.page.getByTestId('post').getByRole('img', { name: 'Cleo’s post, photo 1 of 1' }))).toBeGreaterThan(32);
  // The post names its creator and links to their page.
  expect(await f.page.getByTestId('post').getByRole('link', { name: 'Cleo', exact: true }).getAttribute('href')).toMatch(/^\/c\/[a-z0-9_]+$/);
  await checkPage(f.page, 'feed');

  // (c) Bookmarked from the feed, found on /bookmarks, removed there.
  const inFeed = f.page.getByTestId('post').filter({ hasText: 'Behind the scenes' });
  await inFeed.getByRole('button', { name: 'Bookmark', exact: true }).click();
  await inFeed.getByRole('button', { name: 'Bookmarked' }).waitFor();
  await f.page.getByRole('navigation', { name: 'Posts' }).getByRole('link', { name: 'Bookmarks' }).click();
  await f.page.getByRole('heading', { name: 'Bookmarks', level: 1 }).waitFor();
  const saved = f.page.getByTestId('post').filter({ hasText: 'Behind the scenes, day 1' });
  await saved.waitFor();
  await checkPage(f.page, 'bookmarks');
  await saved.getByRole('button', { name: 'Bookmarked' }).click();
  await f.page.getByText('You have not bookmarked any posts yet.').waitFor();
  await f.page.getByRole('navigation', { name: 'Posts' }).getByRole('link', { name: 'Feed' }).click();
  await f.page.getByTestId('post').getByRole('button', { name: 'Bookmark', exact: true }).waitFor();

  // (c2) Search: Cleo by a word of her page, her post by a stemmed word of its text (she can read it: subscribed).
  await f.page.getByRole('navigation', { name: 'Posts' }).getByRole('link', { name: 'Search' }).click();
  const box = f.page.getByRole('search').getByLabel('Search creators and posts');
  await box.fill('studio');
  await box.press('Enter');
  await f.page.getByRole('list', { name: 'Creators found' }).getByRole('link', { name: new RegExp(`Cleo @${handle}`) }).waitFor();
  expect(f.page.url()).toContain('/search?q=studio');
  await box.fill('behind scene');
  await f.page.getByRole('search').getByRole('button', { name: 'Search' }).click();
  await f.page.getByTestId('post').filter({ hasText: 'Behind the scenes, day 1' }).waitFor();
  await f.page.getByText('No creators match “behind scene”.').waitFor();
  await checkPage(f.page, 'search');
  await f.page.getByRole('link', { name: 'Feed', exact: true }).click();
  await f.page.getByTestId('post').getByRole('link', { name: 'Cleo', exact: true }).click();
  await f.page.getByRole('heading', { name: 'Cleo', level: 1 }).waitFor();

  // (d) A tip from the fan shows at once in the creator's open studio.
  await f.page.getByRole('button', { name: 'Tip', exact: true }).click();
  const tip = f.page.getByRole('dialog', { name: 'Tip Cleo' });
  await tip.getByLabel('Amount (credits)').fill('25');
  await tip.getByLabel('Note (optional)').fill('Great work');
  await tip.getByRole('button', { name: 'Send 25 credits' }).click();
  await tip.getByText('You tipped Cleo 25 credits. Thank you!').waitFor();
  // Closed with the keyboard, as a modal should be.
  await f.page.keyboard.press('Escape');
  await tip.waitFor({ state: 'detached' });
  await c.page.getByTestId('live-toast').filter({ hasText: 'Finn tipped you 25 credits: “Great work”' }).waitFor();
  await c.page.getByTestId('tips').getByText(/^Finn · 25 credits · “Great work”/).waitFor();
  await checkPage(c.page, 'studio-tip');
  expect((await call<{ wallet: { available: number } }>(finn, 'GET', '/api/wallet')).wallet.available).toBe(125);

  // (e) A move to VIP: its price and the renewal it starts from are shown before consenting; nothing is charged now.
  await f.page.getByRole('button', { name: 'Switch to VIP at renewal' }).click();
  const change = f.page.getByRole('dialog', { name: 'Switch to VIP?' });
  await change.getByTestId('tier-change-terms').filter({ hasText: /^From the next renewal on .+, you pay 100 credits a month for VIP\.$/ }).waitFor();
  await change.getByText('Nothing is charged now; until then you keep Fans.').waitFor();
  await checkPage(f.page, 'creator-tier-change');
  await change.getByRole('button', { name: 'Switch for 100 credits' }).click();
  await change.waitFor({ state: 'detached' });
  const state = f.page.getByTestId('subscription-state');
  await state.filter({ hasText: /^Subscribed to Fans, active until .*; renews at VIP for 100 credits\.$/ }).waitFor();
  expect((await call<{ wallet: { available: number } }>(finn, 'GET', '/api/wallet')).wallet.available).toBe(125);
  // The tip's toast asked nothing of the creator: it has left on its own (creator-live.tsx, 8 s) and no longer covers the studio.
  await c.page.getByTestId('live-toast').filter({ hasText: 'Finn tipped you 25 credits' }).waitFor({ state: 'detached', timeout: 20_000 });

  // (f) The renewal job's notices reach the open page: renewed at VIP, then unpaid (grace, access kept), then ended (locked again).
  const [sub] = (await call<{ subscriptions: { id: string }[] }>(finn, 'GET', '/api/subscriptions')).subscriptions;
  const toast = f.page.getByTestId('live-toast');
  await renewNow(sub!.id);
  await toast.filter({ hasText: /^Your subscription to Cleo renewed: 100 credits paid for VIP until / }).waitFor();
  const renewedToastAt = Date.now();
  await state.filter({ hasText: /^Subscribed to VIP, active until .*; renews for 100 credits\.$/ }).waitFor();
  await f.page.getByTestId('nav-balance').filter({ hasText: /^25$/ }).waitFor();
  await renewNow(sub!.id);
  await toast.filter({ hasText: /^Your renewal of Cleo could not be paid \(100 credits\)\. You keep access until .+; add credits to keep it\./ }).waitFor();
  await state.filter({ hasText: /^Your renewal could not be paid\. Access continues until / }).waitFor();
  await f.page.getByRole('region', { name: 'Your subscription' }).getByRole('link', { name: 'Buy credits' }).waitFor();
  // The unpaid renewal's toast took the renewal's place (same subscription): it asks for credits, so it stays, past the
  // moment the renewal's own toast would have left (8 s).
  await f.page.waitForTimeout(Math.max(0, renewedToastAt + 9_000 - Date.now()));
  expect(await toast.filter({ hasText: /^Your renewal of Cleo could not be paid/ }).isVisible()).toBe(true);
  await post.getByText('Behind the scenes, day 1').waitFor();
  await checkPage(f.page, 'creator-grace');
  // The feed says it too, for a fan who missed the toast.
  await f.page.getByRole('link', { name: 'Feed', exact: true }).click();
  await f.page.getByRole('region', { name: 'Unpaid renewals' }).getByText(/^Your renewal of Cleo could not be paid \(100 credits\)/).waitFor();
  await checkPage(f.page, 'feed-grace');
  await f.page.goBack();
  await f.page.getByRole('heading', { name: 'Cleo', level: 1 }).waitFor();
  await sql(`UPDATE subscriptions SET grace_until = now() - interval '1 second' WHERE id = $1`, [sub!.id]);
  await web.node.pairly.services.subscriptions.renewOne(sub!.id);
  await toast.filter({ hasText: 'Your subscription to Cleo has ended.' }).waitFor();
  await state.filter({ hasText: /^Your subscription ended on / }).waitFor();
  await post.getByText('Subscribe (Fans or VIP) to see this post.').waitFor();
  // The photo on screen went back to its blurred preview too (its cached unlocked view was not kept).
  await post.getByText('Behind the scenes').waitFor({ state: 'detached' });
  expect(await post.getByRole('img').count()).toBe(0);
  await head.getByRole('button', { name: 'Subscribe', exact: true }).waitFor();
  await checkPage(f.page, 'creator-expired');

  // A third person claims the free trial from its link and sees the post without paying.
  const hana = await signUpApi(web.url, { displayName: 'Hana' });
  const h = await openPage(browser, web.url);
  await signIn(h.page, web.url, hana, `/trial/${trialCode}`);
  // The link's own terms before claiming: whose tier, how long, what keeping it would cost.
  await h.page.getByText(/days? of Cleo’s Fans for free\. Nothing is charged, now or later: .* keep it at 50 credits per 30 days\./).waitFor();
  await h.page.getByRole('button', { name: 'Start my free trial' }).click();
  await h.page.getByText(/^Your free trial of Cleo’s Fans runs until /).waitFor();
  await checkPage(h.page, 'trial-claimed');
  await h.page.getByRole('link', { name: 'Open Cleo’s page' }).click();
  await h.page.getByTestId('subscription-state').filter({ hasText: /^Free trial of Fans, active until .*\. It will not renew\.$/ }).waitFor();
  expect(await loadedWidth(h.page.getByTestId('post').getByRole('img', { name: 'Cleo’s post, photo 1 of 1' }))).toBeGreaterThan(32);
  expect((await call<{ wallet: { available: number } }>(hana, 'GET', '/api/wallet')).wallet.available).toBe(0);

  expect(c.problems).toEqual([]);
  expect(f.problems).toEqual([]);
  expect(h.problems).toEqual([]);
  await Promise.all([c.context.close(), f.context.close(), h.context.close()]);
}, 300_000);

it('a fan unlocks a pay-per-view post at the price shown: without credits the wallet is offered, a changed price is shown and asked again, then it opens', async () => {
  const dora = await signUpApi(web.url, { displayName: 'Dora', role: 'creator' });
  const gus = await signUpApi(web.url, { displayName: 'Gus' });
  const handle = `dora_${unique()}`;
  await call(dora, 'PUT', '/api/creator/page', { handle });
  const { id } = await uploadAndConfirm(web.url, dora.accessToken, 'post_media', 'image/png', await noisePng(400));
  expect(((await processed(web.url, dora.accessToken, id)) as MediaView).state).toBe('ready');
  const { post: made } = await call<{ post: { id: string } }>(dora, 'POST', '/api/posts', { body: 'The full shoot', mediaIds: [id], visibility: { kind: 'ppv', price: 40 } });

  // Refusals the journey provokes: 402 (no credits yet) and 409 (the price changed).
  const g = await openPage(browser, web.url, { allowStatus: [402, 409] });
  await signIn(g.page, web.url, gus, `/c/${handle}`);
  const post = g.page.getByTestId('post');
  await post.getByText('Unlock this post for 40 credits.').waitFor();
  expect(await post.getByRole('img').count()).toBe(0);
  await checkPage(g.page, 'ppv-locked');
  await post.getByRole('button', { name: 'Unlock for 40 credits' }).click();
  const dialog = g.page.getByRole('dialog', { name: 'Unlock this post?' });
  await dialog.getByText('Dora asks 40 credits for this post.', { exact: false }).waitFor();
  await dialog.getByText('You have 0 credits.').waitFor();
  await dialog.getByRole('button', { name: 'Pay 40 credits' }).click();
  await dialog.getByText('You do not have enough credits for this (40 credits). Nothing was charged.').waitFor();
  await dialog.getByRole('link', { name: 'Buy credits' }).waitFor();

  // Funded, but meanwhile the creator raised the price: the new one is shown and asked again.
  await fund(web.node.pairly, gus.user.id, 100);
  await dialog.getByText('You have 100 credits.').waitFor();
  await call(dora, 'PATCH', `/api/posts/${made.id}`, { visibility: { kind: 'ppv', price: 45 } });
  await dialog.getByRole('button', { name: 'Pay 40 credits' }).click();
  await dialog.getByText('The price changed: it is now 45 credits. Pay the new price?').waitFor();
  await checkPage(g.page, 'ppv-price-changed');
  expect((await call<{ wallet: { available: number } }>(gus, 'GET', '/api/wallet')).wallet.available).toBe(100);
  await dialog.getByRole('button', { name: 'Pay 45 credits' }).click();
  await dialog.waitFor({ state: 'detached' });
  await post.getByText('The full shoot').waitFor();
  expect(await loadedWidth(post.getByRole('img', { name: 'Dora’s post, photo 1 of 1' }))).toBeGreaterThan(32);
  await post.getByText(/You paid 45 credits/).waitFor();
  await g.page.getByTestId('nav-balance').filter({ hasText: /^55$/ }).waitFor();
  await checkPage(g.page, 'ppv-unlocked');

  expect(g.problems).toEqual([]);
  await g.context.close();
}, 120_000);
