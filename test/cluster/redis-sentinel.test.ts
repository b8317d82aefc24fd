import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../support/pairly.js';
import { startRedisSentinel, type RedisSentinel } from '../support/redis-sentinel.js';
import { expectAckedDeliveredOnce } from '../support/acked.js';
import { pgQuery } from '../support/services.js';

/**
 * Pairly behind Redis Sentinel (REDIS_SENTINELS): two real nodes find the master through the
 * sentinel; the master is SIGKILLed while messages flow, the sentinel promotes the replica, the
 * nodes follow it, and nothing acked is lost.
 */
let sentinel: RedisSentinel;
let backing: Backing;
let a: NodeProcess;
let b: NodeProcess;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  [sentinel, backing] = await Promise.all([startRedisSentinel(), createBacking()]);
  const env = {
    ...backing.env,
    REDIS_URL: '',
    REDIS_SENTINELS: sentinel.sentinels,
    REDIS_SENTINEL_NAME: sentinel.name,
    CHAT_MESSAGES_PER_10S: '1000',
    CHAT_FLOOD_PER_5S: '1000',
  };
  a = await startNodeProcess(env);
  b = await startNodeProcess(env);
}, 120_000);
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await Promise.all([a, b].map((n) => n?.kill('SIGKILL')));
  await sentinel?.stop();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload: unknown, ms = 3000) => (s as any).timeout(ms).emitWithAck(event, payload) as Promise<any>;

describe('Pairly behind Redis Sentinel', () => {
  it('the master SIGKILLed mid-traffic: the replica is promoted, every acked message is stored once and reaches the recipient on the other node', async () => {
    const sender = await newUser(a.url);
    const recipient = await newUser(a.url);
    const senderSocket = await connect(a.url, sender.accessToken);
    const recipientSocket = await connect(b.url, recipient.accessToken);
    sockets.push(senderSocket, recipientSocket);
    const received = new Map<string, string>();
    recipientSocket.on('chat:message', (m: any) => received.set(m.id, m.body));
    const firstPush = nextEvent<any>(recipientSocket, 'chat:message');
    const first = await ack(senderSocket, 'chat:send', { toUserId: recipient.user.id, clientId: randomUUID(), body: 'start' });
    expect((await firstPush).id).toBe(first.message.id);
    const conversationId = first.message.conversationId;
    const startedAt = new Date(Date.now() - 1000).toISOString();

    const acked = new Map<string, string>();
    const sendUntilAcked = async (i: number) => {
      const clientId = randomUUID();
      for (let attempt = 0; attempt < 100; attempt++) {
        const r = await ack(senderSocket, 'chat:send', { conversationId, clientId, body: `msg ${i}` }).catch(() => undefined);
        if (r?.ok) {
          acked.set(clientId, r.message.id);
          return;
        }
        await new Promise((res) => setTimeout(res, 200));
      }
      throw new Error(`message ${i} never acked`);
    };
    // Both nodes lose the master with it: a push A published before its publisher was back, or B's
    // subscriber had subscribed again, is gone (pub/sub keeps nothing). Each node, once back, tells its
    // own sockets and the other node's to catch up.
    const resyncedBy = (s: ClientSocket) => {
      const nodes = new Set<string>();
      s.on('system:resync', (p: { nodeId: string }) => nodes.add(p.nodeId));
      return nodes;
    };
    const senderResyncs = resyncedBy(senderSocket);
    const recipientResyncs = resyncedBy(recipientSocket);
    const [nodeA, nodeB] = [`node-${a.port}`, `node-${b.port}`];
    let killed: Promise<void> | undefined;
    for (let i = 0; i < 40; i++) {
      if (i === 10) killed = sentinel.kill(sentinel.masterPort);
      await sendUntilAcked(i);
    }
    await killed;
    await waitFor(async () => (await sentinel.currentMaster()) === sentinel.replicaPort, 30_000, 'the sentinel to promote the replica');

    // From the moment A is back (its own socket heard it) and B is (likewise), live pushes work again.
    await waitFor(async () => senderResyncs.has(nodeA) && recipientResyncs.has(nodeB), 30_000, 'both nodes to have Redis back');
    const live = nextEvent<any>(recipientSocket, 'chat:message', 15_000);
    const last = await waitFor(async () => {
      const r = await ack(senderSocket, 'chat:send', { conversationId, clientId: randomUUID(), body: 'after the failover' }).catch(() => undefined);
      return r?.ok && r;
    }, 20_000, 'a send after the failover');
    expect((await live).id).toBe(last.message.id);

    expect(acked.size).toBe(40);
    await expectAckedDeliveredOnce({ recipient: recipientSocket, since: startedAt, received, acked, databaseUrl: backing.databaseUrl, conversationId });
  }, 120_000);
});
