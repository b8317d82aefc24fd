import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { AuthResult } from '../../shared/auth.js';
import { http, waitFor } from '../support/client.js';
import { assertChromiumInstalled, launchChromium, type NetnsBrowser } from '../support/chromium.js';
import { assertJanusInstalled, startJanus, type JanusProcess } from '../support/janus.js';
import { assertNetnsSupport, createNetns, type TestNetns } from '../support/netns.js';
import { checkPage, openPage, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';

/**
 * Issue #10, journey 4: a paid video call between two browser contexts
 * through a real Janus, with Chromium's fake camera.
 *
 *   root namespace                              test namespace (10.255.N.1)
 *   Pairly node on 10.255.N.2 ◄──── veth ────── Chromium (both people): the app, Socket.IO
 *        └─ Janus HTTP API ───────── veth ────► Janus ◄── WebSocket + media from both pages
 *
 * The node listens on the root end of the namespace's veth, so the browsers
 * inside reach it; Chromium is told to treat that origin as secure (camera
 * access needs a secure context). Finn (a fan with credits bought through
 * the sandbox) calls Cleo (a creator charging 10 credits a minute): the price
 * is shown before he confirms; Cleo's ring dialog takes focus; she accepts;
 * each page must decode the other's video (frames counted by the <video>
 * element keep rising); the running cost shows; Finn hangs up, both are told
 * and Finn's wallet shows the minute paid.
 *
 * The public profile page (which will offer the call button) is not part of
 * this change, so the page asks for the call the way that button will:
 * lib/call-intent.ts's `pairly:call` event, dispatched in the page.
 */

let netns: TestNetns;
let janus: JanusProcess;
let web: WebNode;
let chromium: NetnsBrowser;
let appUrl: string;

beforeAll(async () => {
  assertNetnsSupport();
  assertJanusInstalled();
  assertChromiumInstalled();
  netns = createNetns();
  janus = await startJanus(netns);
  web = await startWebNode({
    HOST: netns.hostIp,
    RUN_WORKERS: 'true',
    MATCH_PAIR_INTERVAL_MS: '100',
    SFU_TIMEOUT_MS: '3000',
    // Any answered minute is paid, however quickly the journey's steps run (the grace rule has its own tests).
    CALL_GRACE_SECONDS: '0',
    SFU_JANUS_INSTANCES: JSON.stringify([{ id: 'janus-1', apiUrl: janus.apiUrl, clientUrl: janus.wsUrl, adminSecret: janus.adminKey }]),
  });
  // startWebNode reports 127.0.0.1; the node listens on the veth address instead.
  const u = new URL(web.url);
  u.hostname = netns.hostIp;
  appUrl = u.origin;
  chromium = await launchChromium(netns, [`--unsafely-treat-insecure-origin-as-secure=${appUrl}`]);
}, 90_000);

afterAll(async () => {
  await chromium?.close();
  await web?.stop();
  await janus?.stop();
  netns?.remove();
});

/** Credits bought the way a fan buys them: a sandbox checkout, completed, credited by the workers. */
async function fund(user: AuthResult): Promise<void> {
  const checkout = await http(appUrl, 'POST', '/api/payments/checkout', {
    token: user.accessToken,
    body: { packId: 'starter', provider: 'sandbox' },
    headers: { 'idempotency-key': `fund-${user.user.id}` },
  });
  expect(checkout.status, JSON.stringify(checkout.body)).toBe(201);
  const done = await http(appUrl, 'POST', checkout.body.client.completeUrl, { token: user.accessToken, body: { action: 'succeed' } });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  await waitFor(async () => ((await http(appUrl, 'GET', '/api/wallet', { token: user.accessToken })).body.wallet.available === 100 ? true : undefined), 15_000, 'credits');
}

interface RemoteVideo {
  width: number;
  frames: number;
}

/** The remote <video> element's decoded size and frame count (null before there is one). */
function remoteVideo(page: Page): Promise<RemoteVideo | null> {
  return page.evaluate(() => {
    const v = (globalThis as unknown as { document: { querySelector(s: string): any } }).document.querySelector('[data-testid=remote-video]');
    return v ? { width: v.videoWidth as number, frames: v.getVideoPlaybackQuality().totalVideoFrames as number } : null;
  });
}

/** Asks the call layer for a call as a profile's call button does (it loads lazily: ask until the confirmation shows). */
async function requestCall(page: Page, detail: { toUserId: string; displayName: string; video: boolean; pricePerMinute: number }): Promise<void> {
  const confirm = page.getByRole('dialog', { name: `${detail.video ? 'Video call' : 'Call'} ${detail.displayName}?` });
  await waitFor(async () => {
    await page.evaluate((d) => (globalThis as unknown as { dispatchEvent(e: unknown): void }).dispatchEvent(new (globalThis as any).CustomEvent('pairly:call', { detail: d })), detail);
    return (await confirm.isVisible()) || undefined;
  }, 15_000, 'the call confirmation');
}

/** Waits until the page shows decoded remote video, then until more frames have been decoded since. */
async function expectRemoteFramesRising(page: Page, who: string): Promise<void> {
  const first = await waitFor(async () => {
    const v = await remoteVideo(page);
    return v && v.width > 0 && v.frames > 0 ? v : undefined;
  }, 30_000, `${who}: remote video decoded`);
  await waitFor(async () => ((await remoteVideo(page))!.frames > first.frames ? true : undefined), 15_000, `${who}: remote frames rising`);
}

it('a fan video-calls a creator at the price shown: ring, accept, video both ways, the cost, hang-up', async () => {
  const finn = await signUpApi(appUrl, { displayName: 'Finn', role: 'fan' });
  const cleo = await signUpApi(appUrl, { displayName: 'Cleo', role: 'creator' });
  expect((await http(appUrl, 'PATCH', '/api/me', { token: cleo.accessToken, body: { callPricePerMinute: 10 } })).status).toBe(200);
  await fund(finn);

  const a = await openPage(chromium.browser, appUrl);
  const b = await openPage(chromium.browser, appUrl);
  await signIn(a.page, appUrl, finn, '/random');
  await signIn(b.page, appUrl, cleo, '/random');
  await a.page.getByTestId('nav-balance').filter({ hasText: '100' }).waitFor();
  await b.page.getByRole('heading', { name: 'Random chat' }).waitFor();

  // Finn asks for the call at the price a profile shows.
  await requestCall(a.page, { toUserId: cleo.user.id, displayName: 'Cleo', video: true, pricePerMinute: 10 });
  const confirm = a.page.getByRole('dialog', { name: 'Video call Cleo?' });
  await confirm.getByText('This call costs 10 credits per minute.').waitFor();
  await confirm.getByText('You have 100 credits.', { exact: false }).waitFor();
  await checkPage(a.page, 'call-confirm');
  await confirm.getByRole('button', { name: 'Call for 10 credits/min' }).click();
  await a.page.getByRole('dialog', { name: 'Calling Cleo…' }).waitFor();

  // Cleo's ring dialog takes focus, and accepting is one key press away.
  const ring = b.page.getByRole('dialog', { name: 'Finn is calling' });
  await ring.waitFor();
  await ring.getByText('Incoming video call.').waitFor();
  expect(await b.page.evaluate(() => (globalThis as any).document.activeElement?.textContent)).toBe('Accept');
  await checkPage(b.page, 'call-ringing');
  await b.page.keyboard.press('Enter');

  // In the call: each side decodes the other's fake camera, through Janus.
  const callA = a.page.getByRole('dialog', { name: 'Video call with Cleo' });
  const callB = b.page.getByRole('dialog', { name: 'Video call with Finn' });
  await callA.waitFor();
  await callB.waitFor();
  await Promise.all([expectRemoteFramesRising(a.page, 'Finn'), expectRemoteFramesRising(b.page, 'Cleo')]);
  await callA.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
  // The first minute is under way: the running cost at the agreed price.
  expect(await callA.getByTestId('call-cost').innerText()).toBe('10 credits');
  expect(await callB.getByTestId('call-cost').innerText()).toBe('10 credits');
  await callA.getByText('10 credits per minute').waitFor();
  // The camera toggle says what it does next, and its pressed state.
  await callA.getByRole('button', { name: 'Turn camera off' }).click();
  await callA.getByRole('button', { name: 'Turn camera on', pressed: true }).click();
  await checkPage(a.page, 'call-active');

  // Finn hangs up: both are told how it ended; the minute in progress is paid (no grace seconds here).
  await callA.getByRole('button', { name: 'Hang up' }).click();
  const endedA = a.page.getByRole('dialog', { name: 'Call ended' });
  const endedB = b.page.getByRole('dialog', { name: 'Call ended' });
  await endedA.getByText('You hung up.').waitFor();
  await endedB.getByText('Finn hung up.').waitFor();
  await endedA.getByText('You paid 10 credits.', { exact: false }).waitFor();
  await a.page.getByTestId('nav-balance').filter({ hasText: '90' }).waitFor();
  await endedA.getByRole('button', { name: 'Close' }).click();
  await endedA.waitFor({ state: 'detached' });
  await endedB.getByRole('button', { name: 'Close' }).click();

  // Cleo raises her price; Finn's page still shows the old one: the server refuses it (PRICE_CHANGED) and he is asked again at the new price.
  expect((await http(appUrl, 'PATCH', '/api/me', { token: cleo.accessToken, body: { callPricePerMinute: 15 } })).status).toBe(200);
  await requestCall(a.page, { toUserId: cleo.user.id, displayName: 'Cleo', video: true, pricePerMinute: 10 });
  await confirm.getByRole('button', { name: 'Call for 10 credits/min' }).click();
  await confirm.getByRole('alert').filter({ hasText: 'The price changed: calling Cleo now costs 15 credits per minute.' }).waitFor();
  await confirm.getByText('This call costs 15 credits per minute.').waitFor();
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'detached' });
  // Nothing rang.
  expect(await b.page.getByRole('dialog').count()).toBe(0);

  expect(a.problems).toEqual([]);
  expect(b.problems).toEqual([]);
}, 180_000);

it('a video random match shows each stranger the other\'s camera, through the same Janus', async () => {
  const [ivy, max] = [await signUpApi(appUrl, { displayName: 'Ivy' }), await signUpApi(appUrl, { displayName: 'Max' })];
  const a = await openPage(chromium.browser, appUrl);
  const b = await openPage(chromium.browser, appUrl);
  for (const [p, who] of [[a, ivy], [b, max]] as const) {
    await signIn(p.page, appUrl, who, '/random');
    await p.page.getByRole('radio', { name: /Video/ }).check();
    await p.page.getByRole('button', { name: 'Start video chat' }).click();
  }
  await a.page.getByRole('heading', { name: /^Max, \d+$/ }).waitFor();
  await b.page.getByRole('heading', { name: /^Ivy, \d+$/ }).waitFor();
  await Promise.all([expectRemoteFramesRising(a.page, 'Ivy'), expectRemoteFramesRising(b.page, 'Max')]);
  await checkPage(a.page, 'random-video');

  // Ivy leaves: Max is told, and his video goes with the session.
  await a.page.getByRole('button', { name: 'Leave' }).click();
  await a.page.getByRole('button', { name: 'Start video chat' }).waitFor();
  await b.page.getByRole('alert').filter({ hasText: 'They left the chat.' }).waitFor();
  expect(await b.page.getByTestId('remote-video').count()).toBe(0);

  expect(a.problems).toEqual([]);
  expect(b.problems).toEqual([]);
}, 120_000);
