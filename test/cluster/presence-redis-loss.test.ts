import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { connect, http, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, freePort, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { fund, newAdmin } from '../support/ledger.js';
import { CallsStore } from '../../server/src/modules/calls/calls.store.js';
import { createRedisPresence } from '../../server/src/modules/presence/presence.store.js';

/**
 * Redis loses presence (killed and restarted empty, or FLUSHALL) while users
 * stay connected: each node writes its live sockets back, so peers and the
 * admins read them online again without anyone reconnecting; and call
 * metering does not take the lost presence for participants gone. Two nodes
 * on a redis-server of this test's own (no persistence), so the faults are
 * real and the shared Redis is untouched.
 */
const TTL_S = 5;
let backing: Backing;
let redis: PrivateRedis;
let a: InProcessNode;
let b: InProcessNode;
let admin: { token: string };

beforeAll(async () => {
  backing = await createBacking();
  redis = await startPrivateRedis(freePort());
  const env = { ...backing.env, REDIS_URL: redis.url, PRESENCE_TTL_SECONDS: String(TTL_S) };
  [a, b] = await Promise.all([startInProcess({ ...env, NODE_ID: 'loss-a' }), startInProcess({ ...env, NODE_ID: 'loss-b' })]);
  admin = await newAdmin(a.pairly, a.url);
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload: unknown) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;

/** The peer's presence as `token`'s owner reads it over REST on `url` (undefined while Redis is not answering). */
async function presenceOf(url: string, token: string, peerId: string): Promise<string | null | undefined> {
  const res = await http(url, 'GET', '/api/conversations?limit=100', { token });
  if (res.status !== 200) return undefined;
  return res.body.conversations.find((c: any) => c.peer.id === peerId)?.peer.presence;
}
async function onlineCount(url: string): Promise<number | undefined> {
  const res = await http(url, 'GET', '/api/admin/presence', { token: admin.token });
  return res.status === 200 ? res.body.snapshot.onlineUsers : undefined;
}

/** Two engaged users (each wrote to the other), one connected to each node. */
async function engagedPair() {
  const [u, p] = await Promise.all([newUser(a.url), newUser(b.url)]);
  const su = await connect(a.url, u.accessToken);
  const sp = await connect(b.url, p.accessToken);
  expect((await ack(su, 'chat:send', { toUserId: p.user.id, clientId: randomUUID(), body: 'hi' })).ok).toBe(true);
  expect((await ack(sp, 'chat:send', { toUserId: u.user.id, clientId: randomUUID(), body: 'hey' })).ok).toBe(true);
  return { u, p, su, sp };
}

/** What "presence is right" means here, read through both nodes. */
async function bothOnline(pair: Awaited<ReturnType<typeof engagedPair>>): Promise<boolean> {
  const [uSeenByP, pSeenByU, count] = await Promise.all([
    presenceOf(b.url, pair.p.accessToken, pair.u.user.id),
    presenceOf(a.url, pair.u.accessToken, pair.p.user.id),
    onlineCount(a.url),
  ]);
  return uSeenByP === 'online' && pSeenByU === 'online' && count === 2;
}

const flushAll = () => redis.flushAll();

const losses: [string, () => Promise<void>][] = [
  ['Redis killed and restarted empty', () => redis.restart()],
  ['FLUSHALL (no reconnect)', flushAll],
];

describe.each(losses)('presence after %s', (_name, lose) => {
  it('connected users read online again via REST and the admin count, without reconnecting', async () => {
    const pair = await engagedPair();
    await waitFor(() => bothOnline(pair), 10_000, 'both online before the loss');

    await lose();
    const lostAt = Date.now();
    // Within about one heartbeat (PRESENCE_TTL_SECONDS / 3) of Redis answering again; the wait is generous on purpose.
    await waitFor(() => bothOnline(pair), 30_000, 'both online again after the loss');
    console.log(`[measure] presence correct again ${Date.now() - lostAt} ms after: ${_name}`);

    // Nothing written back outlives its socket: the users go offline and the count drops to zero.
    pair.su.close();
    pair.sp.close();
    await waitFor(async () => (await presenceOf(b.url, pair.p.accessToken, pair.u.user.id)) === 'offline', 15_000, 'u offline after closing');
    await waitFor(async () => (await onlineCount(a.url)) === 0, 15_000, 'nobody online after closing');
  }, 90_000);
});

describe('pushes across a Redis restart', () => {
  it('each node, once it has Redis back and has subscribed again, tells its sockets to catch up (system:resync); live pushes work from then on', async () => {
    const pair = await engagedPair();
    const heard = (s: ClientSocket) => {
      const nodes = new Set<string>();
      s.on('system:resync', (p: { nodeId: string }) => nodes.add(p.nodeId));
      return nodes;
    };
    const [onA, onB] = [heard(pair.su), heard(pair.sp)];
    await redis.restart();
    await waitFor(async () => onA.has('loss-a') && onB.has('loss-b'), 30_000, 'each node to tell its own sockets');
    // No socket was closed: the resync told them instead.
    expect(pair.su.connected && pair.sp.connected).toBe(true);
    const pushed = nextEvent<any>(pair.sp, 'chat:message', 10_000);
    const sent = await waitFor(async () => {
      const r = await ack(pair.su, 'chat:send', { toUserId: pair.p.user.id, clientId: randomUUID(), body: 'after the restart' }).catch(() => undefined);
      return r?.ok && r;
    }, 15_000, 'a send after the restart');
    expect((await pushed).id).toBe(sent.message.id);
    pair.su.close();
    pair.sp.close();
  }, 90_000);
});

describe('call metering across a presence loss', () => {
  /**
   * The metering decision itself (calls.tick), on a priced call made active
   * in the database as call:accept leaves it, without Janus: the minute tick
   * is what asks presence whether a participant is gone. Its participants
   * have no socket, so after the loss presence has nothing to write back:
   * exactly what a tick sees before the nodes have re-registered theirs.
   */
  async function activeCall(): Promise<{ id: string; fan: { accessToken: string } }> {
    const creator = await newUser(a.url, { role: 'creator' });
    const fan = await newUser(a.url);
    await fund(a.pairly, fan.user.id, 100);
    const store = new CallsStore(a.pairly.db);
    const id = randomUUID();
    expect(await store.create({ id, callerId: fan.user.id, calleeId: creator.user.id, video: true, price: 10 })).toBeDefined();
    await a.pairly.db.transaction((tx) => store.setState(tx, id, 'active'));
    // The hold call:accept places for minute 1 (same key as CallsMetering's).
    await a.pairly.services.ledger.hold({ key: `call:${id}:min:1:hold`, userId: fan.user.id, amount: 10, ttlSeconds: 600, kind: 'call_hold', metadata: { callId: id, minute: 1 } });
    return { id, fan };
  }
  const callRow = (id: string) => new CallsStore(a.pairly.db).get(id);

  it.each(losses)('a tick right after %s keeps the call and bills the minute; once presence has settled, gone is gone', async (_name, lose) => {
    const call = await activeCall();
    await lose();
    await waitFor(async () => (await http(a.url, 'GET', '/readyz')).status === 200, 20_000, 'node A back on Redis');

    await a.pairly.services.callsMetering.tick(call.id, 1);
    expect(await callRow(call.id)).toMatchObject({ state: 'active', minutes_billed: 1, credits_billed: 10 });
    const wallet = (await http(a.url, 'GET', '/api/wallet', { token: call.fan.accessToken })).body.wallet;
    expect(wallet).toMatchObject({ available: 80, held: 10 });

    // Once every node has had its heartbeat since the rebuild, presence is trusted again: these two really are gone.
    const reader = new Redis(redis.url);
    try {
      const presence = createRedisPresence(reader, backing.redisPrefix, 'test-reader');
      await waitFor(async () => {
        const at = await presence.rebuiltAt();
        return at !== null && Date.now() - at > TTL_S * 1000;
      }, 30_000, 'presence to settle');
    } finally {
      reader.disconnect();
    }
    await a.pairly.services.callsMetering.tick(call.id, 2);
    expect(await callRow(call.id)).toMatchObject({ state: 'ended', end_reason: 'server_lost', minutes_billed: 1 });
  }, 90_000);
});
