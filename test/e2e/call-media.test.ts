import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { BrowserContext, Page } from 'playwright-core';
import { createSfuController, type SfuController } from '../../sfu/src/index.js';
import { assertChromiumInstalled, launchChromium, loadPlaywright, type NetnsBrowser } from '../support/chromium.js';
import { assertJanusInstalled, JanusParticipant, startJanus, type JanusProcess } from '../support/janus.js';
import { assertNetnsSupport, createNetns, type TestNetns } from '../support/netns.js';

/**
 * The media proof: real browsers, real Janus, a room made by the controller.
 *
 *   test process (root netns)                namespace (10.255.N.1 on its veth)
 *   SfuController ──HTTP API──────────────►  Janus (VideoRoom, ICE on the veth only)
 *   playwright-core ──pipe──► Chromium ───►  pages from 127.0.0.1 (page-server.ts)
 *                                 publisher ──WebSocket──► Janus ◄── subscriber
 *                                 fake camera ══ VP8 over 10.255.N.1 ══► <video>
 *
 * The publisher joins with its own token and publishes; the subscriber joins
 * with the other token (which gives it a private_id) and subscribes to that
 * feed with it; its RTCPeerConnection must decode VP8 frames, on a candidate
 * pair of the namespace's veth address. Then the controller destroys the room and the
 * subscriber's decoded-frame count must stop moving: ending a call cuts its
 * media at the SFU, whatever the clients do.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLIENT_LIBS = {
  'libjs-janus-gateway': '/usr/share/javascript/janus-gateway/janus.js',
  'libjs-webrtc-adapter': '/usr/share/javascript/webrtc-adapter/adapter.js',
};

interface VideoStats {
  framesDecoded: number;
  packetsReceived: number;
  width?: number;
  height?: number;
  codec?: string;
  /** The ICE candidate pair media flows on. */
  path: { local?: string; remote?: string; protocol?: string } | null;
}
interface PageState {
  joined: boolean;
  feedId: number | null;
  published: boolean;
  webrtcUp: boolean;
  remoteVideo: boolean;
  destroyed: boolean;
  error: string | null;
}

let netns: TestNetns | undefined;
let janus: JanusProcess | undefined;
let pageServer: ChildProcess | undefined;
let pageUrl: string;
let chromium: NetnsBrowser | undefined;
let sfu: SfuController | undefined;

function startPageServer(ns: TestNetns): Promise<string> {
  const child = ns.spawn(process.execPath, ['--import', 'tsx', 'test/e2e/page-server.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  pageServer = child;
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`page server did not start: ${out}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const port = /listening (\d+)/.exec(out)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${port}`);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', (err) => reject(err));
    child.on('exit', (code) => reject(new Error(`page server exited (${code}): ${out}`)));
  });
}

async function state(page: Page): Promise<PageState> {
  return (await page.evaluate('window.pairly')) as PageState;
}

async function videoStats(page: Page): Promise<VideoStats | null> {
  return (await page.evaluate('window.pairlyVideoStats()')) as VideoStats | null;
}

async function until<T>(what: string, page: Page, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await state(page);
    if (s.error) throw new Error(`${what}: the page failed: ${s.error}`);
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; page state ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A missing prerequisite fails the test (with what to install), never skips it.
let setupError: unknown;
beforeAll(async () => {
  try {
    assertNetnsSupport();
    assertJanusInstalled();
    assertChromiumInstalled();
    await loadPlaywright();
    for (const [pkg, path] of Object.entries(CLIENT_LIBS)) {
      if (!existsSync(path)) throw new Error(`the call page needs ${path} (apt-get install ${pkg})`);
    }
    netns = createNetns();
    const ns = netns;
    [janus, pageUrl, chromium] = await Promise.all([startJanus(ns), startPageServer(ns), launchChromium(ns)]);
    sfu = createSfuController({
      instances: [{ id: 'janus-1', apiUrl: janus.apiUrl, adminSecret: janus.adminKey, clientUrl: janus.wsUrl }],
      secret: 'e2e-secret-0123456789abcdefghijklmnop',
      timeoutMs: 2000,
    });
  } catch (err) {
    setupError = err;
  }
});
beforeEach(() => {
  if (setupError) throw setupError;
});

afterAll(async () => {
  await sfu?.close().catch(() => undefined);
  await chromium?.close();
  pageServer?.kill('SIGKILL');
  await janus?.stop();
  netns?.remove();
});

it('carries the publisher\'s camera to the subscriber through the controller\'s room, and destroyRoom stops it', { timeout: 60_000 }, async () => {
  if (!sfu || !chromium || !janus) throw new Error('setup did not finish');
  const room = await sfu.createRoom(randomUUID(), ['alice', 'bob']);
  const params = (extra: Record<string, string>) =>
    new URLSearchParams({ server: room.clientUrl, room: String(room.roomId), ...extra }).toString();
  // Two users: two browser contexts (separate profiles) in one Chromium.
  const contexts = [await chromium.browser.newContext(), await chromium.browser.newContext()];
  const publisher = await (contexts[0] as BrowserContext).newPage();
  const subscriber = await (contexts[1] as BrowserContext).newPage();

  await publisher.goto(`${pageUrl}/call.html?${params({ role: 'publisher', token: room.tokens.alice as string })}`);
  const feedId = await until('publisher publishes', publisher, async () => {
    const s = await state(publisher);
    return s.published && s.webrtcUp && s.feedId !== null ? s.feedId : undefined;
  });

  // Subscribing needs the private_id of a participant who joined with a token:
  // a stranger who learns the room and feed ids still gets nothing.
  const intruder = await JanusParticipant.connect(janus.apiUrl);
  const refused = await intruder.request({ request: 'join', ptype: 'subscriber', room: room.roomId, streams: [{ feed: feedId }] });
  const guessed = await intruder.request({ request: 'join', ptype: 'subscriber', room: room.roomId, private_id: 12345, streams: [{ feed: feedId }] });
  await intruder.close();
  expect(refused).toMatchObject({ error_code: 433 });
  expect(guessed).toMatchObject({ error_code: 433 });

  await subscriber.goto(`${pageUrl}/call.html?${params({ role: 'subscriber', token: room.tokens.bob as string, feed: String(feedId) })}`);
  const first = await until('subscriber decodes video', subscriber, async () => {
    const v = await videoStats(subscriber);
    return v && v.framesDecoded > 0 ? v : undefined;
  });
  expect(first.codec).toBe('video/VP8');
  // Media runs between the namespace's veth address and itself: never loopback, never the host's interfaces.
  expect(first.path).toMatchObject({ local: netns?.innerIp, protocol: 'udp' });
  expect(first.path?.remote).toMatch(new RegExp(`^${netns?.innerIp.replaceAll('.', '\\.')}:(20\\d{3})$`));
  await sleep(1000);
  const flowing = await videoStats(subscriber);
  expect(flowing?.framesDecoded).toBeGreaterThan(first.framesDecoded);
  expect(flowing?.width).toBeGreaterThan(0);
  // Both joined the room (the subscriber too, for its private_id).
  expect((await sfu.health())[0]).toMatchObject({ healthy: true, rooms: [{ roomId: room.roomId, owner: expect.any(String) }], participants: 2 });

  await sfu.destroyRoom(room);
  for (const page of [publisher, subscriber]) {
    await until('both are told the room is gone', page, async () => ((await state(page)).destroyed ? true : undefined), 5000);
  }
  // Janus 1.1 drops the publisher's PeerConnection and only removes the feed
  // from the subscriber's, which stays up: its counters are read from a live
  // connection, so "no new frames" means Janus stopped forwarding, not that
  // the page went away. Frames already in the jitter buffer may still be
  // decoded during the first second.
  await sleep(1000);
  const afterDestroy = await videoStats(subscriber);
  await sleep(2000);
  const later = await videoStats(subscriber);
  expect(afterDestroy, 'the subscriber\'s connection is still readable').not.toBeNull();
  expect(afterDestroy?.framesDecoded).toBeGreaterThanOrEqual(flowing?.framesDecoded ?? Infinity);
  expect(later?.framesDecoded).toBe(afterDestroy?.framesDecoded);
  expect(later?.packetsReceived).toBe(afterDestroy?.packetsReceived);
  expect((await sfu.health())[0]).toMatchObject({ rooms: [], participants: 0 });
  await Promise.all(contexts.map((c) => c.close()));
});
