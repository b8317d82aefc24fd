import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, newUser, nextEvent, type ClientSocket } from '../support/client.js';
import { ROOT, createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { assertJanusInstalled, JanusParticipant, startJanus, type JanusProcess } from '../support/janus.js';
import { assertNetnsSupport, createNetns, type TestNetns } from '../support/netns.js';

/**
 * Video random matches through a real Janus (in a test network namespace):
 * each side gets the same media credentials a call gives, TURN relays
 * included, so strangers behind NATs can reach the room too. Snapshots of
 * the local camera (match:snapshot) go through the real classifier with the
 * committed fixtures (test/fixtures/moderation).
 */
const TURN_SECRET = 'match-video-turn-secret-0123456789';
let backing: Backing;
let netns: TestNetns;
let janus: JanusProcess;
let node: InProcessNode;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  assertNetnsSupport();
  assertJanusInstalled();
  netns = createNetns();
  janus = await startJanus(netns);
  backing = await createBacking();
  node = await startInProcess({
    ...backing.env,
    MATCH_PAIR_INTERVAL_MS: '50',
    SFU_TIMEOUT_MS: '2000',
    SFU_JANUS_INSTANCES: JSON.stringify([{ id: 'janus-1', apiUrl: janus.apiUrl, clientUrl: janus.wsUrl, adminSecret: janus.adminKey }]),
    TURN_URLS: 'turn:turn.pairly.test:3478?transport=udp',
    TURN_SECRET,
  });
}, 60_000);
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await janus?.stop();
  netns?.remove();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload: unknown = {}) => (s as any).timeout(8000).emitWithAck(event, payload) as Promise<any>;

describe('video random matches', () => {
  it('give each stranger their own room token and TURN credentials, as a call does', async () => {
    const [a, b] = [await newUser(node.url), await newUser(node.url)];
    const [sa, sb] = [await connect(node.url, a.accessToken), await connect(node.url, b.accessToken)];
    sockets.push(sa, sb);
    const found = Promise.all([nextEvent<any>(sa, 'match:found', 10_000), nextEvent<any>(sb, 'match:found', 10_000)]);
    await ack(sa, 'match:join', { mode: 'video' });
    await ack(sb, 'match:join', { mode: 'video' });
    const [fa, fb] = await found;
    expect(fa.media.roomId).toBe(fb.media.roomId);
    for (const [f, user] of [[fa, a], [fb, b]] as const) {
      expect(f.media).toMatchObject({ clientUrl: janus.wsUrl, token: expect.any(String), iceServers: [{ urls: ['turn:turn.pairly.test:3478?transport=udp'] }] });
      const [turn] = f.media.iceServers;
      // coturn's REST scheme: "<expiry>:<user>", and the HMAC of it under the shared secret.
      expect(turn.username).toMatch(new RegExp(`^\\d+:${user.user.id}$`));
      expect(turn.credential).toBe(createHmac('sha1', TURN_SECRET).update(turn.username).digest('base64'));
    }
    // The token works in Janus itself.
    const p = await JanusParticipant.connect(janus.apiUrl);
    try {
      expect(await p.request({ request: 'join', ptype: 'publisher', room: fa.media.roomId, token: fa.media.token })).toMatchObject({ videoroom: 'joined' });
    } finally {
      await p.close();
    }
    await ack(sa, 'match:leave');
  });
});

describe('video match snapshots', () => {
  const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/moderation', name));
  // As the web client sends them: 160×120 JPEG, base64.
  const snapshotOf = async (name: string) => (await sharp(fixture(name)).resize(160, 120).jpeg({ quality: 70 }).toBuffer()).toString('base64');

  async function session(mode: 'video' | 'text' = 'video') {
    const [a, b] = [await newUser(node.url), await newUser(node.url)];
    const [sa, sb] = [await connect(node.url, a.accessToken), await connect(node.url, b.accessToken)];
    sockets.push(sa, sb);
    const interest = `snap-${randomUUID().slice(0, 8)}`;
    const found = nextEvent<any>(sa, 'match:found', 10_000);
    await ack(sa, 'match:join', { mode, interests: [interest] });
    await ack(sb, 'match:join', { mode, interests: [interest] });
    return { a, sa, sb, sessionId: (await found).sessionId as string };
  }

  it('a clean one is allowed, a corrupt one is an undecodable block that ends nothing, a nude one ends the session for both and flags the sender', async () => {
    const { a, sa, sb, sessionId } = await session();
    const slow = (s: ClientSocket, p: object) => (s as any).timeout(30_000).emitWithAck('match:snapshot', p) as Promise<any>;
    expect(await slow(sa, { sessionId, image: await snapshotOf('clean.jpg') })).toEqual({ ok: true, verdict: 'allow', reasons: [], ended: false });
    const corrupt = (await snapshotOf('clean.jpg')).slice(0, 400);
    expect(await slow(sa, { sessionId, image: corrupt })).toEqual({ ok: true, verdict: 'block', reasons: ['undecodable'], ended: false });

    const peerEnded = nextEvent<any>(sb, 'match:ended', 10_000);
    const ownEnded = nextEvent<any>(sa, 'match:ended', 10_000);
    expect(await slow(sa, { sessionId, image: await snapshotOf('nude.jpg') })).toEqual({ ok: true, verdict: 'block', reasons: ['nudity'], ended: true });
    expect(await peerEnded).toEqual({ sessionId, reason: 'nudity' });
    expect(await ownEnded).toEqual({ sessionId, reason: 'nudity' });
    const flags = await node.pairly.services.moderation.ofSubject('snapshot', sessionId);
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ place: 'random_snapshot', verdict: 'block', reasons: ['nudity'], user_id: a.user.id });
    expect((await slow(sa, { sessionId, image: await snapshotOf('clean.jpg') })).error.code).toBe('CONVERSATION_CLOSED');
  });

  it('refuses snapshots of sessions not yours, oversize or non-base64 images, and text sessions', async () => {
    const other = await connect(node.url, (await newUser(node.url)).accessToken);
    sockets.push(other);
    const { sessionId, sa } = await session();
    expect((await ack(other, 'match:snapshot', { sessionId, image: await snapshotOf('clean.jpg') })).error.code).toBe('NOT_FOUND');
    expect((await ack(other, 'match:snapshot', { sessionId, image: Buffer.alloc(46_000, 1).toString('base64') })).error.code).toBe('VALIDATION_FAILED');
    expect((await ack(other, 'match:snapshot', { sessionId, image: 'not base64 at all!' })).error.code).toBe('VALIDATION_FAILED');
    await ack(sa, 'match:leave');
    const text = await session('text');
    expect((await ack(text.sa, 'match:snapshot', { sessionId: text.sessionId, image: await snapshotOf('clean.jpg') })).error.code).toBe('VALIDATION_FAILED');
  });
});
