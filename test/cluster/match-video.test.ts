import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, newUser, nextEvent, type ClientSocket } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { assertJanusInstalled, JanusParticipant, startJanus, type JanusProcess } from '../support/janus.js';
import { assertNetnsSupport, createNetns, type TestNetns } from '../support/netns.js';

/**
 * Video random matches through a real Janus (in a test network namespace):
 * each side gets the same media credentials a call gives, TURN relays
 * included, so strangers behind NATs can reach the room too.
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
