import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { CallMedia } from '../../shared/calls.js';
import { MediaPeersProcess } from '../load/scenarios/calls/media/peers-client.js';
import { connect, newUser, nextEvent, type ClientSocket } from '../support/client.js';
import { assertJanusInstalled, startJanus, type JanusProcess } from '../support/janus.js';
import { assertNetnsSupport, createNetns, type TestNetns } from '../support/netns.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

/**
 * A Pairly call carries media both ways, with the node-side WebRTC peers the
 * calls load script uses (@roamhq/wrtc, test/load/scenarios/calls/media/peers.ts):
 *
 *   test process: Pairly node (root namespace) + two Socket.IO clients
 *      call:invite → call:ringing → call:accept (ack: callee's media) → call:accepted (caller's media)
 *   media-peer process inside the namespace: caller and callee each join the
 *      room with their own token, publish synthetic VP8 and subscribe to the
 *      other's feed through Janus ─► both decode frames.
 *
 * The proof that the load script's peers work, and that the credentials
 * Pairly hands out are all a client needs.
 */

let netns: TestNetns | undefined;
let janus: JanusProcess | undefined;
let backing: Backing | undefined;
let node: InProcessNode | undefined;
let peers: MediaPeersProcess | undefined;
const sockets: ClientSocket[] = [];

// A missing prerequisite (root, ip netns, janus, wrtc) fails the test, saying what is missing; it never skips.
let setupError: unknown;
beforeAll(async () => {
  try {
    assertNetnsSupport();
    assertJanusInstalled();
    netns = createNetns();
    const ns = netns;
    [janus, backing, peers] = await Promise.all([
      startJanus(ns),
      createBacking(),
      MediaPeersProcess.start(ns.spawn, { width: 320, height: 240, fps: 15, audio: true }),
    ]);
    node = await startInProcess({
      ...backing.env,
      SFU_JANUS_INSTANCES: JSON.stringify([{ id: 'janus-1', apiUrl: janus.apiUrl, clientUrl: janus.wsUrl, adminSecret: janus.adminKey }]),
    });
  } catch (err) {
    setupError = err;
  }
}, 60_000);
beforeEach(() => {
  if (setupError) throw setupError;
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await peers?.stop();
  await node?.stop();
  await janus?.stop();
  netns?.remove();
  await backing?.cleanup();
});

const ack = async (s: ClientSocket, event: string, payload: unknown) => {
  const res = await (s as any).timeout(8000).emitWithAck(event, payload);
  if (!res.ok) throw new Error(`${event}: ${JSON.stringify(res.error)}`);
  return res;
};

it('a Pairly call decodes video both ways between wrtc peers joined with the credentials Pairly hands out', { timeout: 30_000 }, async () => {
  if (!node || !peers || !janus) throw new Error('setup did not finish');
  const [alice, bob] = await Promise.all([newUser(node.url), newUser(node.url)]);
  const caller = await connect(node.url, alice.accessToken);
  const callee = await connect(node.url, bob.accessToken);
  sockets.push(caller, callee);

  const ringing = nextEvent<{ call: { id: string } }>(callee, 'call:ringing', 8000);
  const { call } = await ack(caller, 'call:invite', { toUserId: bob.user.id, video: true });
  expect((await ringing).call.id).toBe(call.id);
  const accepted = nextEvent<{ media: CallMedia }>(caller, 'call:accepted', 8000);
  const { media: calleeMedia } = (await ack(callee, 'call:accept', { callId: call.id })) as { media: CallMedia };
  const { media: callerMedia } = await accepted;
  expect(callerMedia).toMatchObject({ clientUrl: janus.wsUrl, roomId: calleeMedia.roomId });
  expect(callerMedia.token).not.toBe(calleeMedia.token);

  peers.join('callee', calleeMedia, { publish: true, subscribe: true });
  peers.join('caller', callerMedia, { publish: true, subscribe: true });
  const [toCallee, toCaller] = await Promise.all([peers.firstFrame('callee', 15_000), peers.firstFrame('caller', 15_000)]);
  expect(toCallee).toMatchObject({ width: 320, height: 240 });
  expect(toCaller).toMatchObject({ width: 320, height: 240 });
  // Let frames keep coming, then count them: media flows, it did not just start.
  await new Promise((r) => setTimeout(r, 1000));
  const [atCallee, atCaller] = await Promise.all([peers.leave('callee'), peers.leave('caller')]);
  for (const { received } of [atCallee, atCaller]) {
    expect(received.frames).toBeGreaterThan(1);
    expect(received.videoBytes ?? 0).toBeGreaterThan(0);
  }

  const ended = nextEvent<{ reason: string }>(callee, 'call:ended', 8000);
  await ack(caller, 'call:hangup', { callId: call.id });
  expect((await ended).reason).toBe('hangup');
});
