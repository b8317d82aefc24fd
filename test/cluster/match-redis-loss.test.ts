import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, http, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, freePort, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';

/**
 * Redis loses the random-match queue (killed and restarted empty, or
 * FLUSHALL) while a user waits, still connected: the node that queued them
 * queues them again, so the next stranger who joins is paired with them
 * without the waiting user doing anything. A redis-server of this test's
 * own, so the shared one is untouched.
 */
let backing: Backing;
let redis: PrivateRedis;
let node: InProcessNode;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  backing = await createBacking();
  redis = await startPrivateRedis(freePort());
  node = await startInProcess({ ...backing.env, REDIS_URL: redis.url, PRESENCE_TTL_SECONDS: '3', MATCH_PAIR_INTERVAL_MS: '100' });
}, 60_000);
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await redis?.stop();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload: unknown) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;
const open = async (token: string) => {
  const s = await connect(node.url, token);
  sockets.push(s);
  return s;
};

const flushAll = () => redis.flushAll();

describe.each([
  ['Redis killed and restarted empty', () => redis.restart()],
  ['FLUSHALL (no reconnect)', flushAll],
] as const)('the match queue after %s', (_name, lose) => {
  it('a user who was waiting is paired with the next stranger, without joining again', async () => {
    const interest = `loss-${Math.random().toString(36).slice(2, 8)}`;
    const waiting = await newUser(node.url);
    const stranger = await newUser(node.url);
    const sw = await open(waiting.accessToken);
    expect(await ack(sw, 'match:join', { mode: 'text', interests: [interest] })).toMatchObject({ ok: true, state: 'queued' });

    await lose();
    await waitFor(async () => (await http(node.url, 'GET', '/readyz')).status === 200, 30_000, 'the node back on Redis');

    const found = nextEvent<any>(sw, 'match:found', 45_000);
    const ss = await open(stranger.accessToken);
    // The stranger's join may come before or after the node has queued the waiting user again: either way they meet.
    await waitFor(async () => (await ack(ss, 'match:join', { mode: 'text', interests: [interest] })).ok === true, 30_000, 'the stranger queued');
    expect((await found).peer.userId).toBe(stranger.user.id);
    await ack(sw, 'match:leave', {});
    await ack(ss, 'match:leave', {});
  }, 120_000);
});
